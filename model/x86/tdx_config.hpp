// x86.tdx: the configuration of one trust domain (TD) and the named
// protocol-bug variants of KVM's side.
//
// Sources: ../shared/reference/x86-tdx-sept.md ("Two tables, one
// guest-physical space"); seed 004_913031b64eea2a8b.txt (KVM TDX TDP MMU
// hooks, v10 058/108).
//
//  - gpaw: the TD's guest-physical address width, 48 or 52. The GPA shared
//    bit is bit gpaw - 1 (47 or 51); GPAW 52 needs a 5-level (Secure and
//    shared) EPT.
//  - ept_levels: 4 or 5, the walk length of both the Secure EPT and the
//    shared EPT (x86.ept's EptConfig::levels).
//  - vcpus: 1..8 vCPUs.
//  - finalized: the TD starts finalized (TDH.MR.FINALIZE done, KVM uses
//    PAGE.AUG) or not (KVM uses PAGE.ADD until TdxKvm::finalize()).
//  - maxphyaddr: the host's MAXPHYADDR; HPAs of guest and SEPT pages must
//    be below 2^maxphyaddr, and every GPA of the TD (shared bit included)
//    must be walkable by the shared EPT, so maxphyaddr >= gpaw.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/x86/ept_geometry.hpp"

namespace ptspec::x86::tdx {

// A named KVM protocol-rule violation put back into the model (DESIGN.md
// "Historical/protocol bugs live behind named variants"). Off by default.
enum class TdxVariant : std::uint8_t {
  None,
  RemoveBeforeTrack,  // remove_private_spte: PAGE.REMOVE before the TRACK + kick
  TrackWithoutKick,   // tdx_track: TDH.MEM.TRACK without kicking the vCPUs
  ZapBusyAsSuccess,   // zap_private_spte: TDX_ERROR_SEPT_BUSY from RANGE.BLOCK taken as success
};

struct TdxVariantInfo {
  TdxVariant variant;
  std::string_view name;    // the --variant spelling
  std::string_view source;  // where it comes from / why it is a bug
};
const std::vector<TdxVariantInfo>& tdx_variants();
std::optional<TdxVariant> tdx_variant_from_name(std::string_view name);  // "" / "none" -> None
std::string_view tdx_variant_name(TdxVariant v);                          // None -> "none"

inline constexpr unsigned kMaxVcpus = 8;

struct TdConfig {
  unsigned gpaw = 48;        // 48 | 52
  unsigned ept_levels = 4;   // 4 | 5 (gpaw 52 requires 5)
  unsigned vcpus = 2;        // 1..kMaxVcpus
  bool finalized = true;     // TD finalized at start
  unsigned maxphyaddr = 52;  // gpaw..52
  TdxVariant variant = TdxVariant::None;

  unsigned shared_bit() const { return gpaw - 1; }
  bool operator==(const TdConfig&) const = default;
  std::string describe() const;
};

// Checks every field; throws ptspec::InputError("config.<field>: ...") for
// the first that is out of range.
void check_td_config(const TdConfig& cfg);
// Builds a checked configuration.
TdConfig make_td_config(unsigned gpaw, unsigned ept_levels, unsigned vcpus, bool finalized = true,
                        unsigned maxphyaddr = 52, TdxVariant variant = TdxVariant::None);
// The configuration of the TD's shared EPT (x86.ept): same walk length and
// MAXPHYADDR, no A/D, execute-only and 1G pages as KVM's VMX defaults.
EptConfig shared_ept_config(const TdConfig& cfg);

}  // namespace ptspec::x86::tdx
