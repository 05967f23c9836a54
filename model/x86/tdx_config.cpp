#include "model/x86/tdx_config.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"

namespace ptspec::x86::tdx {

const std::vector<TdxVariantInfo>& tdx_variants() {
  static const std::vector<TdxVariantInfo> v = {
      {TdxVariant::RemoveBeforeTrack, "remove-before-track",
       "seed 004 tdx_sept_remove_private_spte: 'TDX requires TLB tracking before dropping private page' -- "
       "the variant calls tdx_sept_drop_private_spte (PAGE.REMOVE) before kvm_flush_remote_tlbs "
       "(kick + TDH.MEM.TRACK); the module refuses with TDX_TLB_TRACKING_NOT_DONE and KVM_BUG_ON fires"},
      {TdxVariant::TrackWithoutKick, "track-without-kick",
       "seed 004 tdx_track: kvm_make_all_cpus_request(KVM_REQ_TLB_FLUSH) before TDH.MEM.TRACK forces every "
       "vCPU out of the old epoch ('IPI to remote vcpus ... TDExit and re-entry'); the variant drops the "
       "kick, so vCPUs keep running in the block epoch and the entry is never tracked"},
      {TdxVariant::ZapBusyAsSuccess, "zap-busy-as-success",
       "seed 004 tdx_sept_zap_private_spte: 'if (err == TDX_ERROR_SEPT_BUSY) return -EAGAIN;' -- the "
       "variant returns 0 instead, so KVM zaps its mirror and removes a page the module never blocked"},
  };
  return v;
}

std::optional<TdxVariant> tdx_variant_from_name(std::string_view name) {
  if (name.empty() || name == "none") return TdxVariant::None;
  for (const auto& v : tdx_variants())
    if (v.name == name) return v.variant;
  return std::nullopt;
}

std::string_view tdx_variant_name(TdxVariant v) {
  for (const auto& i : tdx_variants())
    if (i.variant == v) return i.name;
  return "none";
}

std::string TdConfig::describe() const {
  return fmt::format("gpaw={} ept_levels={} vcpus={} finalized={} maxphyaddr={}{}", gpaw, ept_levels, vcpus,
                     finalized, maxphyaddr,
                     variant == TdxVariant::None ? std::string()
                                                 : fmt::format(" variant={}", tdx_variant_name(variant)));
}

void check_td_config(const TdConfig& cfg) {
  if (cfg.gpaw != 48 && cfg.gpaw != 52)
    throw InputError(fmt::format("config.gpaw: {} (a TD's GPAW is 48 or 52)", cfg.gpaw));
  if (cfg.ept_levels != 4 && cfg.ept_levels != 5)
    throw InputError(fmt::format("config.ept_levels: {} (EPT walks have 4 or 5 levels)", cfg.ept_levels));
  // reference "Two tables": bit 51 as the shared bit (GPAW 52) requires 5-level EPT.
  if (cfg.gpaw == 52 && cfg.ept_levels != 5)
    throw InputError("config.ept_levels: 4, but gpaw 52 requires a 5-level EPT");
  if (cfg.vcpus < 1 || cfg.vcpus > kMaxVcpus)
    throw InputError(fmt::format("config.vcpus: {} (must be 1..{})", cfg.vcpus, kMaxVcpus));
  if (cfg.maxphyaddr < cfg.gpaw || cfg.maxphyaddr > kMaxMaxPhyAddr)
    throw InputError(fmt::format("config.maxphyaddr: {} (must be gpaw {}..{}: every GPA of the TD, shared bit "
                                 "included, is walked by the shared EPT)",
                                 cfg.maxphyaddr, cfg.gpaw, kMaxMaxPhyAddr));
  bool known = cfg.variant == TdxVariant::None;
  for (const auto& v : tdx_variants()) known = known || v.variant == cfg.variant;
  if (!known)
    throw InputError(fmt::format("config.variant: unknown value {}", static_cast<unsigned>(cfg.variant)));
}

TdConfig make_td_config(unsigned gpaw, unsigned ept_levels, unsigned vcpus, bool finalized, unsigned maxphyaddr,
                        TdxVariant variant) {
  TdConfig c{gpaw, ept_levels, vcpus, finalized, maxphyaddr, variant};
  check_td_config(c);
  return c;
}

EptConfig shared_ept_config(const TdConfig& cfg) {
  EptConfig e;
  e.levels = cfg.ept_levels;
  e.maxphyaddr = cfg.maxphyaddr;
  return e;
}

}  // namespace ptspec::x86::tdx
