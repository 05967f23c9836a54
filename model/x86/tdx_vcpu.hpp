// x86.tdx: the TD's vCPUs as the TDX module sees them, and the guest's
// memory accesses.
//
// Sources: ../shared/reference/x86-tdx-sept.md ("TRACK", "Tracked": vCPUs
// enter (TDH.VP.ENTER) in the current epoch and leave it on exit); seed
// 004_913031b64eea2a8b.txt ("TLB shoot down procedure": on re-entry the
// module compares the vCPU's local epoch with the TD epoch and, when older,
// takes the new epoch and flushes the TLB; the MMIO #VE sequence).
//
// A vCPU is Outside (not in TDX non-root mode) or Running in the epoch it
// entered with. Running, it fills a private TLB -- GPA page -> HPA of private
// (Secure-EPT) translations it used -- that survives exits and is flushed
// only at a VP.ENTER that finds the vCPU's epoch older than the TD epoch:
// exactly the hazard the block/track/kick protocol exists for. Shared-EPT
// translations are not cached (KVM flushes the shared EPTP with INVEPT in
// flush_tlb_current; the shared table is ordinary x86.ept).
//
// A guest access (guest_access) from a running vCPU:
//  - GPA with bits above GPAW (tdx_gpa.hpp route Invalid): InvalidGpa, the
//    vCPU keeps running (its own paging would have faulted; not modelled);
//  - private GPA: a TLB hit translates (even if the SEPT entry has changed
//    since -- that is what checkers look for); else the hardware walk of
//    the Secure EPT: a MAPPED leaf translates and fills the TLB (BLOCKEDW
//    for reads), a PENDING leaf raises #VE in the guest (it must ACCEPT),
//    anything else (a FREE/REMOVED/blocked entry, a missing or NL_BLOCKED
//    table) is an EPT violation: a TD exit to KVM;
//  - shared GPA: the shared-EPT walk (x86.ept ept_walk via EptMmu::access):
//    a translation; a violation on an entry with suppress-#VE clear (the
//    MMIO SPTE, tdx_mmio.hpp) raises #VE; any other violation or a
//    misconfiguration is a TD exit to KVM.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "model/x86/ept_mmu.hpp"
#include "model/x86/tdx_gpa.hpp"

namespace ptspec::x86::tdx {

class TdxModule;

enum class VcpuState : std::uint8_t { Outside, Running };
const char* vcpu_state_name(VcpuState s);
bool vcpu_state_from_name(std::string_view s, VcpuState& out);

// Why a running vCPU left TDX non-root mode.
enum class ExitReason : std::uint8_t {
  None,          // never ran / still running
  Kick,          // KVM's IPI (kvm_make_all_cpus_request): forced exit
  EptViolation,  // an access (or ACCEPT) the Secure or shared EPT does not allow
  EptMisconfig,  // a shared-EPT misconfiguration
  Voluntary,     // the guest exited on its own (TDG.VP.VMCALL, HLT, ...)
};
const char* exit_reason_name(ExitReason r);
bool exit_reason_from_name(std::string_view s, ExitReason& out);

// One private TLB entry: the HPA of the GPA page and the TD epoch at fill.
struct TlbEntry {
  std::uint64_t hpa = 0;
  std::uint64_t epoch = 0;
  bool writable = false;  // filled through a MAPPED leaf (a BLOCKEDW one allows reads only)
  bool operator==(const TlbEntry&) const = default;
};

struct TdxVcpu {
  VcpuState state = VcpuState::Outside;
  bool entered = false;          // has run at least once
  std::uint64_t epoch = 0;       // TD epoch at its last VP.ENTER (TDVPS local epoch)
  std::map<std::uint64_t, TlbEntry> tlb;  // private GPA page (shared bit clear) -> translation
  ExitReason last_exit = ExitReason::None;
  std::uint64_t enters = 0, exits = 0, tlb_flushes = 0;

  bool running() const { return state == VcpuState::Running; }
  bool operator==(const TdxVcpu&) const = default;
};

enum class AccessKind : std::uint8_t { Read, Write, Exec };
const char* access_kind_name(AccessKind k);
bool access_kind_from_name(std::string_view s, AccessKind& out);  // "read" | "write" | "exec"

enum class AccessOutcome : std::uint8_t {
  Translation,   // completed: `hpa` is the physical address used
  Ve,            // #VE delivered in the guest (pending private page, MMIO SPTE); no exit
  EptViolation,  // TD exit to KVM with an EPT violation (the vCPU is now Outside)
  EptMisconfig,  // TD exit to KVM with an EPT misconfiguration (shared EPT)
  InvalidGpa,    // GPA bits above GPAW set; nothing translated
};
const char* access_outcome_name(AccessOutcome o);
bool access_outcome_from_name(std::string_view s, AccessOutcome& out);

struct GuestAccessResult {
  AccessOutcome outcome = AccessOutcome::EptViolation;
  GpaRoute route = GpaRoute::Private;
  std::uint64_t gpa = 0;
  std::uint64_t hpa = 0;           // Translation: the byte's HPA
  bool tlb_hit = false;            // private: translated from the vCPU's TLB, no walk
  std::uint64_t sept_state = 0;    // private, no TLB hit: state of the deepest entry the walk read
  unsigned sept_level = 0;         // ... and its TDX level (0 = 4K)
  EptWalkResult shared;            // shared: the x86.ept walk
  std::string why;
};

// A guest access by running vCPU `vcpu` (InputError when it is not running
// or out of range). Private accesses use `module`'s SEPT and the vCPU's TLB;
// shared ones walk `shared` (with its A/D writes when enabled). An exit
// outcome makes the vCPU leave (TdxModule::td_exit).
GuestAccessResult guest_access(TdxModule& module, EptMmu& shared, unsigned vcpu, std::uint64_t gpa, AccessKind kind);

}  // namespace ptspec::x86::tdx
