// x86.sppt: the sub-page permission table as KVM builds it (seed 000 patch
// 03/11 "Implement SPPT setup functions"; seed 001 v10 cover letter;
// reference/x86-ept-spp.md "SPP"). The entry layouts and the hardware walk
// are model/x86/sppt_entry.hpp, the vector is model/x86/spp_vector.hpp; this
// file holds the table pages (its own PhysMem, 4 KiB pages), and KVM's
// operations on them, each a transaction whose entry writes, flushes,
// allocations and frees are events in the log (like model/arm64/stage2_ops.cpp).
//
// Readings taken (each cited where it is implemented, sppt.cpp):
//  - The root page is allocated when the table is created (v4 change log:
//    "Allocated SPPT root page in init_spp()") and never freed.
//  - setup_structure walks from the root; a level with no entry gets a page
//    from the page cache; an entry that is not valid but still holds an
//    address (KVM's lazy invalidation of an L2E) is re-validated: KVM looks
//    the existing page up by gfn/role (kvm_spp_get_page) rather than
//    allocating, and the patch re-sets the present bit at L2 explicitly.
//  - Freeing: the SPPT pages of a 2 MiB region are freed once no GFN of the
//    region has a bitmap any more (free_region, called by the SPP system's
//    remove); otherwise a removed GFN's vector is zeroed. The tables never
//    hold a page that no bitmap needs, so "no leaks" is checkable as
//    allocated - freed == reachable.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "model/core/events.hpp"
#include "model/core/physmem.hpp"
#include "model/x86/sppt_entry.hpp"

namespace ptspec::x86 {

// A GFN the SPPT can describe: the walk indexes GPA bits 47:12.
inline constexpr std::uint64_t kSpptGfnLimit = std::uint64_t{1} << (48 - 12);

// One table page as the tables reach it.
struct SpptTable {
  std::uint64_t pa;
  unsigned level;        // 4 = root .. 1 = leaf table (holds vectors)
  std::uint64_t gpa;     // first GPA it covers
  std::uint64_t parent;  // address of the entry pointing at it (0 for the root)
  bool parent_valid;     // that entry's valid bit (an invalidated L2E: false)
};

// The hardware's SPPT walk of one GPA, through memory that may not back an
// address written by hand.
struct SpptWalk {
  sppt::WalkResult r;
  bool unbacked = false;  // a table address no memory backs (read as 0)
  std::uint64_t entries[sppt::kLevels] = {};  // entry read at each level, L4 first
  unsigned depth = 0;
};

class Sppt {
 public:
  // Throws InputError("config.maxphyaddr: ...") outside 36..52.
  explicit Sppt(unsigned maxphyaddr);
  Sppt(const Sppt&) = delete;
  Sppt& operator=(const Sppt&) = delete;

  unsigned maxphyaddr() const { return maxphyaddr_; }
  PhysMem& mem() { return mem_; }
  const PhysMem& mem() const { return mem_; }
  EventLog& log() { return log_; }
  const EventLog& log() const { return log_; }
  std::uint64_t root() const { return root_; }  // the SPPTP

  // ---- KVM's operations (each a transaction; 0 or a negative errno) ----
  // kvm_spp_setup_structure: the L1E of `gfn` gets format_spp_spte(bitmap)
  // (written only if it differs), missing levels are allocated, an
  // invalidated entry holding an address is re-validated; then a flush.
  // -EINVAL for a GFN beyond the 48-bit walk, -ENOMEM when a manual page
  // cache runs dry.
  int setup_structure(std::uint64_t gfn, std::uint32_t bitmap);
  // Lazy mode: clears the valid bit of the L2E covering `gfn` (keeping its
  // address) and flushes. Nothing to do (0) when there is no valid L2E.
  int invalidate_l2e(std::uint64_t gfn);
  // Zeroes the vector of `gfn` if it has one (then a flush).
  int clear_vector(std::uint64_t gfn);
  // Frees the leaf table of `gfn`'s 2 MiB region and every table above it
  // that is left with no entry (root excepted), clearing the entries that
  // pointed at them; then a flush. 0 when there is no leaf table.
  int free_region(std::uint64_t gfn);

  // The transaction-free bodies, for callers that combine several steps in
  // one transaction of their own (the SPP system's miss handler).
  int setup_structure_locked(std::uint64_t gfn, std::uint32_t bitmap);
  void flush();  // kvm_flush_remote_tlbs: a TlbiAll event

  // ---- reading ----
  // The vector of `gfn`: followed through entries that hold an address,
  // valid or not (the vector is there even under an invalidated L2E);
  // nullopt when no leaf table covers it.
  std::optional<std::uint64_t> vector(std::uint64_t gfn) const;
  // The bitmap the vector holds (spp_vector_bitmap), nullopt as above.
  std::optional<std::uint32_t> get(std::uint64_t gfn) const;
  // The hardware walk for `gpa` (sppt::walk over WalkMem).
  SpptWalk walk(std::uint64_t gpa) const;
  // The L2E covering gfn (0 if no L2 table), and its address (0 if none).
  std::uint64_t l2e(std::uint64_t gfn, std::uint64_t* pa = nullptr) const;
  // Every table page reachable from the root (through any entry holding an
  // address), depth first; pages no memory backs are reported with
  // `backed` false and not descended into.
  void for_each_table(const std::function<void(const SpptTable&, bool backed)>& fn) const;
  std::string dump() const;

  // Raw write of the entry for `gpa` at `level` in the existing table there
  // (misconfiguration experiments). Throws InputError when no table at that
  // level covers gpa. Logged as a Write event.
  void write_raw(std::uint64_t gpa, unsigned level, std::uint64_t value);

 private:
  void write_entry(std::uint64_t pa, std::uint64_t value, std::uint64_t gpa, unsigned level);
  // The table page at `level` covering gpa (following addresses), or 0.
  std::uint64_t table_at(std::uint64_t gpa, unsigned level) const;
  template <class Fn> int transaction(Fn&& fn);

  unsigned maxphyaddr_;
  EventLog log_;
  PhysMem mem_;
  std::uint64_t root_ = 0;
};

// "L2 -> table 0x...", "vector 0x... (bitmap 0x...)", "invalidated -> 0x..." ...
std::string sppt_entry_brief(unsigned maxphyaddr, std::uint64_t e, unsigned level);

}  // namespace ptspec::x86
