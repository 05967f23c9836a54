#include "model/arm64/stage1_config.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"

namespace ptspec::arm64::s1 {

const std::vector<VariantInfo>& stage1_variants() {
  static const std::vector<VariantInfo> v = {
      {Stage1Variant::ClearUserPageOnly, "clear-user-page-only",
       "seed 001 (kvm-unit-tests 'arm/arm64: Various fixes' v3), patch 'lib: arm/arm64: Teach mmu_clear_user "
       "about block mappings': the pre-fix mmu_clear_user assumed a page mapping"},
      {Stage1Variant::NoDsbBeforeTlbi, "no-dsb-before-tlbi",
       "seed 001, patch 'lib: arm: Add proper data synchronization barriers for TLBIs' (and v3's missing DSB "
       "ISHST in flush_tlb_all): no DSB ISHST between the table store and the TLBI"},
      {Stage1Variant::NoDsbAfterTlbi, "no-dsb-after-tlbi",
       "seed 001, patch 'lib: arm: Add proper data synchronization barriers for TLBIs': no DSB ISH after the "
       "TLBI, so the invalidation has not completed when flush_tlb_* returns"},
      {Stage1Variant::NoTlbiAfterClear, "no-tlbi-after-clear",
       "protocol mutation (not a commit of seed 001): mmu_clear_user without its flush_tlb_page; Arm ARM D8.13 "
       "requires TLB maintenance after a permission reduction"},
      {Stage1Variant::NoTlbFlushBeforeMmuEnable, "no-tlb-flush-before-mmu-enable",
       "seed 001, patch 'arm/arm64: Invalidate TLB before enabling MMU': asm_mmu_enable without TLBI VMALLE1 + "
       "DSB NSH"},
      {Stage1Variant::NoWriteOnce, "no-write-once",
       "seed 001, patch 'lib: arm/arm64: Use WRITE_ONCE to update the translation tables': a plain store may be "
       "torn (modelled as two 32-bit halves, low first)"},
  };
  return v;
}

std::optional<Stage1Variant> stage1_variant_from_name(std::string_view name) {
  if (name.empty() || name == "none") return Stage1Variant::None;
  for (const auto& v : stage1_variants())
    if (v.name == name) return v.variant;
  return std::nullopt;
}

std::string_view stage1_variant_name(Stage1Variant v) {
  for (const auto& i : stage1_variants())
    if (i.variant == v) return i.name;
  return "none";
}

unsigned stage1_start_level(unsigned granule_shift, unsigned va_bits) {
  const unsigned stride = granule_shift - 3;
  // levels = ceil((va_bits - granule_shift) / stride)
  const unsigned levels = (va_bits - granule_shift + stride - 1) / stride;
  return 4 - levels;
}

Geometry make_stage1_geometry(unsigned granule, unsigned va_bits, unsigned pa_bits) {
  Geometry g;
  g.granule_shift = granule_shift_of(granule, "VMSAv8-64");
  // T0SZ = 64 - va_bits in 16..39 (Arm ARM D8.2; FEAT_LVA/FEAT_TTST not modelled).
  if (va_bits < 25 || va_bits > 48)
    throw InputError(fmt::format("config.va_bits: {} outside 25..48 (TCR_EL1.T0SZ 16..39)", va_bits));
  switch (pa_bits) {
    case 32: case 36: case 40: case 42: case 44: case 48: break;
    default:
      throw InputError(fmt::format("config.pa_bits: {} is not a TCR_EL1.IPS size (32, 36, 40, 42, 44, 48)", pa_bits));
  }
  g.ia_bits = va_bits;
  g.pa_bits = pa_bits;
  g.start_level = stage1_start_level(g.granule_shift, va_bits);
  g.pgd_pages = 1;
  return g;
}

Stage1Config Stage1Config::make(unsigned granule, unsigned va_bits, unsigned pa_bits, unsigned cpus, bool wxn) {
  Stage1Config c;
  c.geo = make_stage1_geometry(granule, va_bits, pa_bits);
  if (cpus < 1 || cpus > kMaxCpus)
    throw InputError(fmt::format("config.cpus: {} outside 1..{}", cpus, kMaxCpus));
  c.cpus = cpus;
  c.wxn = wxn;
  // With a 32-bit PA size the tables themselves must sit below 4 GiB.
  if (pa_bits <= 32) c.table_zone = Zone::Low;
  return c;
}

std::string Stage1Config::describe() const {
  return fmt::format("granule={}K va_bits={} start_level={} pa_bits={} cpus={}{}{}", geo.granule() / 1024,
                     geo.ia_bits, geo.start_level, geo.pa_bits, cpus, wxn ? " wxn" : "",
                     variant == Stage1Variant::None ? std::string()
                                                    : fmt::format(" variant={}", stage1_variant_name(variant)));
}

}  // namespace ptspec::arm64::s1
