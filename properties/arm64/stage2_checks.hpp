// The invariant checkers of arm64.stage2 (DESIGN.md "Invariants"), run by
// the session after every op. Each reads the tables (or the op's events) and
// appends a Violation per broken rule; none trusts the operations. They are
// free functions over plain inputs so that a unit test can hand each one a
// broken state or event sequence and watch it fail.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "model/arm64/stage2.hpp"
#include "model/core/events.hpp"
#include "model/spec/stage2_spec.hpp"
#include "properties/driver.hpp"

namespace ptspec::props::s2check {

using Violations = std::vector<Violation>;

// abstraction: the tables read back (spec::abstraction) equal the abstract
// spec, and the model returned what the spec returned.
void check_abstraction(const arm64::Stage2& pgt, const spec::Stage2Spec& spec, int model_ret, int spec_ret,
                       Violations& out);

// abstraction (walk form): the hardware walk of each address agrees with
// what the spec says of its page (DESIGN.md "walk(tables, a) equals the
// abstract spec at every address the operation touched").
void check_walk(const arm64::Stage2& pgt, const spec::Stage2Spec& spec, const std::vector<std::uint64_t>& addrs,
                Violations& out);

// refcount: every live table page (each concatenated pgd page on its own)
// has count == 1 + its non-zero entries (stage2_pte_is_counted, seed 003).
void check_refcount(const arm64::Stage2& pgt, Violations& out);

// structure: every table page is reached exactly once and is a live page;
// every non-zero non-table entry is a leaf the hardware accepts at its level
// or an owner annotation (within max_owner) at a level that has leaves.
void check_structure(const arm64::Stage2& pgt, Violations& out);

// leak: the live pages are exactly the reachable tables (none after free),
// and allocated - freed == live.
void check_leak(const arm64::Stage2& pgt, Violations& out);

// bbm (one op's events): no valid->valid write that changes the output
// address or table<->leaf kind; an entry made invalid is not made valid
// again before a TLBI covering it (Arm ARM break-before-make).
void check_bbm(const arm64::Geometry& g, const std::vector<Event>& events, Violations& out);

// flush (one op's events): every entry made invalid, and every leaf that lost
// R, W or X, is covered by a TLBI before the op's last event.
void check_flush(const arm64::Geometry& g, const std::vector<Event>& events, Violations& out);

// unchanged: a failed op left every live page bit-for-bit, every refcount,
// and (in manual mode) the page cache as they were.
struct Snapshot {
  std::map<std::uint64_t, std::vector<std::uint64_t>> words;  // live page -> contents
  std::map<std::uint64_t, std::uint32_t> counts;              // live page -> refcount
  std::size_t cache_size = 0;
  bool cache_auto = true;
  bool destroyed = false;
};
Snapshot take_snapshot(const arm64::Stage2& pgt);
void check_unchanged(const Snapshot& before, const arm64::Stage2& after, Violations& out);

}  // namespace ptspec::props::s2check
