// x86.sppt: KVM's sub-page protection as a whole -- an EPT (EptMmu, the
// x86.ept model), the SPPT (Sppt) and KVM's per-GFN 32-bit write-permission
// bitmaps (KVM_SUBPAGES_SET_ACCESS), with the combined EPT + SPP check of a
// vCPU access. Sources: seed 000 patch 03/11 (kvm_spp_setup_structure,
// format_spp_spte, the L2E invalidation of the lazy mode); seed 001 v10
// cover letter change logs; reference/x86-ept-spp.md "SPP".
//
// Readings taken (each cited again where it is implemented, spp_system.cpp):
//  - A GFN is SPP-protected when it has a bitmap. Its EPT leaf must map 4K
//    with bit 61 set and W cleared; the W it had is remembered (KVM keeps it
//    as the SPTE's MMU-writable bit 58, reference "KVM's SPTE software bits")
//    and restored on remove.
//  - set_subpages on a GFN not mapped stores the bitmap only; the fault-in
//    (map) applies it (v3 change log "Deferred SPPT setup to EPT fault
//    handler"). A GFN mapped by a 2M/1G leaf is split down to 4K first (v9
//    "Flushed EPT rmap to remove existing mappings of the target gfns": KVM
//    zaps and re-faults at 4K; split gives the same 4K translation at once).
//  - Eager set writes the vector (setup_structure). If the covering L2E is
//    not valid (absent or invalidated), making it valid would expose every
//    vector under it, which a lazy update may have left stale or unwritten:
//    an eager set then builds the whole 2 MiB region, as the miss handler does.
//  - Lazy set invalidates the covering L2E; the next write that consults
//    SPP misses and the miss handler rebuilds every protected GFN of the
//    2 MiB region (v7 change log "Configured all available protected pages
//    once SPP induced vmexit happens since there's no PRESENT bit in SPPT
//    leaf entry").
//  - remove: bitmap erased, EPT bit 61 cleared and W restored, then the
//    vector zeroed -- or, when no GFN of the region keeps a bitmap, the
//    region's SPPT pages freed (Sppt::free_region).
//  - A write denied by SPP (or by EPT) is not retired: the guest RIP is
//    unchanged (seed 001 v8 change log: the instruction length goes to
//    userspace, which decides).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "model/x86/ept_mmu.hpp"
#include "model/x86/spp_check.hpp"
#include "model/x86/sppt.hpp"

namespace ptspec::x86 {

enum class SppOutcome : std::uint8_t {
  Allowed,        // the access completes (instruction retired)
  EptViolation,   // EPT alone forbids it (or nothing maps the GPA)
  SppViolation,   // SPP-induced EPT violation: the sub-page's bit is clear
  SpptMiss,       // an SPPT walk met a non-present entry the miss handler did not resolve
  SpptMisconfig,  // an SPPT entry with a reserved bit (exit reason 66, qualification bit 11 = 0)
  EptMisconfig,   // the EPT walk met a misconfigured (or unbacked) entry
};
const char* spp_outcome_name(SppOutcome o);
bool spp_outcome_from_name(const std::string& s, SppOutcome& out);

struct SppAccessResult {
  SppOutcome outcome = SppOutcome::EptViolation;
  bool retired = false;       // only an allowed access retires the instruction
  bool spp_applied = false;   // write through a 4K leaf with bit 61 = 1 and W = 0
  unsigned misses = 0;        // SPPT misses met (each followed by the miss handler when handled)
  std::uint64_t vector = 0;   // the vector the SPPT walk found (when it found one)
  unsigned level = 0;         // the SPPT level of a miss/misconfiguration
  EptWalkResult ept;
  std::string why;
};

class SppSystem {
 public:
  explicit SppSystem(const EptConfig& cfg);

  EptMmu& ept() { return ept_; }
  const EptMmu& ept() const { return ept_; }
  Sppt& sppt() { return sppt_; }
  const Sppt& sppt() const { return sppt_; }
  const std::map<std::uint64_t, std::uint32_t>& bitmaps() const { return bitmaps_; }
  // Miss-handler runs so far (each an SPP-miss exit KVM handled).
  std::uint64_t miss_handler_runs() const { return handler_runs_; }

  // ---- KVM operations: 0 or a negative errno; an error changes nothing ----
  // EPT fault-in of [gpa, gpa + size): EptMmu::map; a range holding a GFN
  // with a bitmap is mapped with 4K leaves and each such GFN is protected.
  int map(std::uint64_t gpa, std::uint64_t size, std::uint64_t hpa, const EptLeafAttrs& a, unsigned max_level = 3);
  int unmap(std::uint64_t gpa, std::uint64_t size);  // bitmaps and vectors stay
  // KVM_SUBPAGES_SET_ACCESS for one GFN. -EINVAL beyond the GPA space.
  int set_subpages(std::uint64_t gfn, std::uint32_t bitmap, bool lazy);
  // KVM_SUBPAGES_GET_ACCESS: the stored bitmap; -ENOENT when there is none.
  int get_subpages(std::uint64_t gfn, std::uint32_t& bitmap) const;
  // -ENOENT when the GFN has no bitmap.
  int remove_subpages(std::uint64_t gfn);
  // Lazy invalidation of the L2E covering gfn (Sppt::invalidate_l2e).
  int invalidate(std::uint64_t gfn);
  // The SPP-miss exit handler for gpa: every protected GFN of its 2 MiB
  // region set up, in one transaction, then a flush. -ENOENT when no GFN of
  // the region has a bitmap (nothing to build: the miss stays).
  int handle_miss(std::uint64_t gpa);

  // ---- a vCPU access: EPT walk, then SPP when it applies (SPPT walk; a
  // miss runs the handler and retries once when `handle_miss`) ----
  SppAccessResult access(std::uint64_t gpa, spp::Access kind, bool handle_miss = true);
  // The same write, with the SPPT changes the miss handler would make undone
  // afterwards (log included): what the write would see, for checkers.
  SppAccessResult probe_write(std::uint64_t gpa);

  // The present EPT leaf mapping gpa: its level and value; level 0 if none.
  unsigned ept_leaf(std::uint64_t gpa, std::uint64_t* pte = nullptr, std::uint64_t* ptep = nullptr) const;

 private:
  // Bit 61 on, W off on gfn's 4K leaf (splitting a large one first).
  int protect_gfn(std::uint64_t gfn);
  // The vector of gfn written (the whole region when its L2E is invalidated).
  int build_vector(std::uint64_t gfn);
  // What handle_miss does, without counting a handler run (an eager set that
  // re-validates an L2E is not a miss exit).
  int rebuild_region(std::uint64_t gpa);
  int rebuild_region_locked(std::uint64_t gpa);

  EptMmu ept_;
  Sppt sppt_;
  std::map<std::uint64_t, std::uint32_t> bitmaps_;
  std::map<std::uint64_t, bool> saved_w_;  // W of the leaf before SPP cleared it (MMU-writable)
  std::uint64_t handler_runs_ = 0;
  bool probing_ = false;  // inside probe_write: the handler runs in the probe's transaction
};

}  // namespace ptspec::x86
