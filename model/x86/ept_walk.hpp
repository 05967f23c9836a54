// The hardware EPT walk of one guest-physical address (Intel SDM Vol. 3C
// §29.3.2-§29.3.5, EPT translation, misconfigurations, violations, A/D
// flags), built from the entry templates of ept_entry.hpp. Each level runs
// ept::walk_step, the step the solver proves.
//
// Outcomes, in the order the hardware meets them:
//  - an entry that is not present: EPT violation at that level;
//  - a present entry that breaks a misconfiguration rule: EPT misconfiguration
//    (rule and level);
//  - the leaf reached, but the AND of the permissions along the path does not
//    allow the access: EPT violation at the leaf level;
//  - otherwise a translation.
// The exit qualification of a violation follows the SDM table "Exit
// Qualification for EPT Violations" (ept::exit_qualification).
//
// A/D (SDM "Accessed and dirty flags for EPT"): with A/D enabled a completed
// translation sets A in every entry used and D in the leaf of a write. The
// SDM lets a processor also set A in entries used by a walk that then faults;
// this model takes the deterministic choice of writing nothing on a fault.
// The walk itself does not modify memory: it returns the writes, and
// apply_ad_writes performs them (as Write events).
//
// SPP (bit 61) is not applied here: a write to a W = 0 leaf is a violation;
// the x86.sppt layer refines that outcome per 128-byte sub-page.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/core/physmem.hpp"
#include "model/x86/ept_entry.hpp"
#include "model/x86/ept_geometry.hpp"

namespace ptspec::x86 {

struct EptAccess {
  ept::Access kind = ept::Access::Read;
  // Exit-qualification bits 7 and 8: the guest linear-address field is valid,
  // and the access was to the translation of that linear address (not to a
  // guest paging-structure entry). A bare GPA access: linear_valid = false.
  bool linear_valid = true;
  bool final_translation = true;
};

enum class EptOutcome : std::uint8_t { Translation, Violation, Misconfig, Unbacked };
const char* ept_outcome_name(EptOutcome o);
const char* ept_misconfig_name(ept::Misconfig m);
// The same as short keys, as case files, JSON and Python spell them
// ("violation", "write_without_read", ...).
const char* ept_outcome_key(EptOutcome o);
const char* ept_misconfig_key(ept::Misconfig m);

// One A/D update of the walk: the entry at `pa` (level `level`) old -> new.
struct EptAdWrite {
  std::uint64_t pa;
  unsigned level;
  std::uint64_t old_value;
  std::uint64_t new_value;
};

struct EptWalkResult {
  EptOutcome outcome = EptOutcome::Violation;
  std::uint64_t gpa = 0;           // the address walked (the VMCS guest-physical-address field on an exit)
  unsigned level = 0;              // the leaf's level, or the level of the faulting entry
  std::uint64_t entry = 0;         // that entry
  std::uint64_t entry_pa = 0;      // its address
  // AND of the permission bits (R 0, W 1, X 2, user-X 10 under MBEC) of the
  // entries used, including the last one read.
  std::uint64_t perms = 0;
  // Translation only.
  std::uint64_t hpa = 0;
  std::uint64_t size = 0;          // 4K, 2M or 1G
  unsigned memtype = 0;            // leaf bits 5:3
  bool ignore_pat = false;         // leaf bit 6
  std::vector<EptAdWrite> ad_writes;
  // Violation only.
  std::uint64_t exit_qualification = 0;
  // Misconfiguration only.
  ept::Misconfig misconfig = ept::Misconfig::None;
  std::uint64_t reserved_bits = 0;  // the reserved bits set (rule ReservedBit)
  // Every entry read, top level first.
  std::array<std::uint64_t, 5> entries{};
  unsigned depth = 0;
  std::string why;

  bool readable() const { return perms & ept::kR.mask(); }
  bool writable() const { return perms & ept::kW.mask(); }
  bool executable() const { return perms & ept::kX.mask(); }
  bool user_executable() const { return perms & ept::kUserExec.mask(); }
};

// Walks `gpa` for `access` from `eptp` over `mem`. Throws InputError when the
// EPTP would fail VM entry or disagrees with `cfg` ("eptp: ..."), or when
// `gpa` is beyond MAXPHYADDR or the walk's 48/57 bits ("gpa: ...").
EptWalkResult ept_walk(const EptConfig& cfg, const PhysMem& mem, std::uint64_t eptp, std::uint64_t gpa,
                       EptAccess access);

// Performs the walk's A/D writes on `mem` (logging a Write event for each
// when `mem` has a log).
void apply_ad_writes(PhysMem& mem, const EptWalkResult& r, std::uint64_t gpa);

}  // namespace ptspec::x86
