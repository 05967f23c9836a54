// The per-CPU TLB and the memory-visibility state of the arm64.stage1 model:
// what lets a missing barrier or TLBI show up as a stale translation that a
// later access uses.
//
// Rules (Arm ARM DDI 0487):
//  - A CPU with its MMU on caches the leaf it used for a VA (D8.13 "TLB
//    maintenance": TLBs may hold any translation the walk could have
//    produced; a translation, address-size or access-flag fault is never
//    cached, D8.13.x "entries that generate such faults are not cached").
//    The model fills only on accesses (no speculative walks) and keeps only
//    leaves (no walk cache); entries are not ASID-tagged (kvm-unit-tests
//    uses global mappings, nG = 0), so an entry filled under one TTBR0 is
//    used under another.
//  - A store to a translation table is not visible to any translation table
//    walk (the storing CPU's included) until a DSB by the storing CPU
//    completes it (B2.3.x / D8.2.x "Ordering of translation table walks":
//    DSB after the table update; Linux and kvm-unit-tests issue DSB ISHST).
//    The model keeps such stores pending; walks read the value from before
//    the oldest pending store to that address.
//  - A TLBI (D8.13.x / C5.5 TLBI VAE1IS, VMALLE1IS and local VAE1, VMALLE1)
//    reaches its target CPUs but is only guaranteed complete after a DSB by
//    the issuing CPU (DSB ISH for the broadcast forms, DSB NSH or stronger
//    for the local ones; a DSB ISHST waits for stores only and does not
//    complete TLB maintenance, D8.13.x / B2.3.12). The model marks the
//    entries a TLBI covers at issue ("doomed"; still usable) and removes
//    them at completion; entries filled after the issue are not covered --
//    so a walk between an unsynchronised store and the TLBI's completion
//    re-caches the old entry (the missing DSB ISHST), and a TLBI never
//    completed leaves the old entry in use (the missing DSB ISH).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptspec::arm64::s1 {

struct TlbEntry {
  std::uint64_t va_base = 0;      // first VA the leaf maps
  std::uint64_t size = 0;         // bytes it maps (block or page size)
  unsigned level = 0;             // level of the leaf
  std::uint64_t pte = 0;          // the leaf as the walk read it
  std::uint64_t table_attrs = 0;  // OR of bits 63:59 of the table descriptors above it
  std::uint64_t ptep = 0;         // where the walk read the leaf
  std::uint64_t root = 0;         // TTBR0 when it was filled (not matched: no ASIDs)
  std::size_t filled_at = 0;      // event-log size when it was filled
  std::vector<std::uint32_t> doomed_by;  // ids of issued, not yet completed TLBIs covering it

  bool covers(std::uint64_t va) const { return va - va_base < size; }
  std::string describe() const;
};

class Tlb {
 public:
  // The most recently filled entry covering `va`, or nullptr.
  const TlbEntry* lookup(std::uint64_t va) const;
  // Adds an entry; an entry for the same VA range is replaced.
  void fill(const TlbEntry& e);
  // A TLBI `id` reached this TLB: every entry it covers (all, or those
  // covering `va`) is marked.
  void doom(std::uint32_t id, bool all, std::uint64_t va);
  // TLBI `id` completed: the entries it marked are gone.
  void complete(std::uint32_t id);
  const std::vector<TlbEntry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }

 private:
  std::vector<TlbEntry> entries_;  // fill order
};

// A table store not yet made visible to walks by a DSB of its CPU.
struct PendingStore {
  unsigned cpu = 0;
  std::uint64_t pa = 0;
  std::uint64_t old_value = 0;  // what walks still read
  std::uint64_t new_value = 0;
  std::size_t event = 0;        // index of its Write event in the log
};

// A TLBI issued and not yet completed by a DSB of its CPU.
struct PendingTlbi {
  std::uint32_t id = 0;
  unsigned cpu = 0;
  bool all = false;        // VMALLE1(IS) rather than VAE1(IS)
  std::uint64_t va = 0;
  bool broadcast = true;   // the IS form: reaches every CPU
  std::size_t event = 0;   // index of its event in the log
};

}  // namespace ptspec::arm64::s1
