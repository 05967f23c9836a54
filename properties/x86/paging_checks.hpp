// The checkers of x86.paging, run by the session after every access. Free
// functions over plain inputs (the walk result, the entries before/after,
// the memory, a flat recomputation) so a unit test can hand each a broken
// input and see it fail; none trusts the walk.
#pragma once

#include <cstdint>
#include <vector>

#include "model/core/physmem.hpp"
#include "model/x86/paging_walk.hpp"
#include "properties/driver.hpp"

namespace ptspec::props::pagingcheck {

using Violations = std::vector<Violation>;

// One entry the flat oracle read: its address and width, and whether it
// came from Intel's PDPTE registers (no memory read).
struct Read {
  std::uint64_t pa = 0;
  unsigned bytes = 8;
  unsigned level = 0;
  bool from_register = false;
  bool backed = true;
  std::uint64_t value = 0;
};

// An independent recomputation of one access, written flat from the SDM
// tables (Vol. 3A §4.3-§4.8) with its own bit positions -- it uses none of
// paging_entry.hpp's templates, so a slip there shows up as a disagreement.
struct Oracle {
  x86::PagingOutcome outcome = x86::PagingOutcome::PageFault;
  unsigned level = 0;
  std::uint64_t pa = 0, size = 0, error_code = 0;
  std::vector<Read> reads;  // top level first
};
Oracle oracle_walk(const x86::PagingContext& ctx, x86::Vendor vendor, const PhysMem& mem, std::uint64_t cr3,
                   const x86::PdpteFile& regs, std::uint64_t va, x86::paging::AccessKind kind, bool implicit);

// "structure": the walk read only backed memory, or said it did not
// (outcome unbacked exactly when a read of the oracle's path is unbacked).
void check_backed(const x86::PagingWalkResult& r, const Oracle& o, Violations& out);
// "abstraction": an A/D write changed only A (bit 5) and D (bit 6), and
// only from 0 to 1; `before`/`after` are the entries of the path.
void check_ad_only(const std::vector<Read>& before, const std::vector<std::uint64_t>& after, Violations& out);
// "abstraction": a translation left A set in every entry of the path (not a
// PAE PDPTE, which has none) and D in the leaf of a write; a fault wrote nothing.
void check_ad_set(const x86::PagingWalkResult& r, x86::paging::AccessKind kind, const std::vector<Read>& path,
                  const std::vector<std::uint64_t>& after, Violations& out);
// "abstraction": a #PF error code has P iff the faulting entry is present
// (or the fault is an access-rights one at the leaf), RSVD only with P, W/R
// and U/S describing the access, I/D only on a fetch with NXE or SMEP (§4.7).
void check_error_code(const x86::PagingWalkResult& r, const x86::PagingContext& ctx, x86::paging::AccessKind kind,
                      bool user, Violations& out);
// "abstraction": the walk agrees with the oracle (outcome, level, PA, size, error code).
void check_oracle(const x86::PagingWalkResult& r, const Oracle& o, Violations& out);

}  // namespace ptspec::props::pagingcheck
