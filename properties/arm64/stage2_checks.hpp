// The invariant checkers of arm64.stage2 (DESIGN.md "Invariants"), run by
// the session after every op. Each reads the tables (or the op's events) and
// appends a Violation per broken rule; none trusts the operations. They are
// free functions over plain inputs so that a unit test can hand each one a
// broken state or event sequence and watch it fail.
#pragma once

#include <cstdint>
#include <cstddef>
#include <vector>

#include "model/arm64/stage2.hpp"
#include "model/core/events.hpp"
#include "model/spec/stage2_spec.hpp"
#include "properties/driver.hpp"
#include "properties/mem_snapshot.hpp"

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

// One read of the tables, shared by the state checkers of a step (refcount,
// structure, leak), built in one pass. It reaches the tables as
// Stage2::for_each_table does (depth first, the pgd first, a table reached
// twice walked twice) and reads each distinct page's entries once, skipping
// runs of zero entries 16 words at a time. It reads memory through
// PhysMem::find, so a table entry pointing at no memory is recorded, not
// thrown. The pointers stay valid until the memory is next written.
struct TableScan {
  // One table page as the walk reaches it (each concatenated pgd page on
  // its own); a page reached twice appears twice, `first` on the first.
  struct Reach {
    std::uint64_t pa;
    std::uint64_t ipa;  // first IPA it covers, as reached here
    unsigned level;
    std::uint32_t page;  // index into `pages`
    bool first;
  };
  // A distinct reachable page, described as it was first reached.
  struct Page {
    std::uint64_t pa;
    std::uint64_t ipa;
    unsigned level;
    const std::uint64_t* words;  // entries_per_page words, or nullptr: no memory backs it
    FrameState state;
    std::uint32_t count;    // its reference count
    std::uint32_t counted;  // its counted (non-zero, seed 003) entries
    std::uint32_t leaf_begin = 0, leaf_end = 0;  // its entries in `leaves`
  };
  // A non-zero non-table entry (at the page's first-reach level).
  struct Entry {
    std::uint64_t pte;
    std::uint32_t index;  // within its page
  };
  std::vector<Reach> reach;    // every reach, in walk order
  std::vector<Page> pages;     // first-reach order
  std::vector<Entry> leaves;   // grouped by page
  std::vector<std::uint64_t> sorted_pas;  // the distinct reachable pages, ascending
};
TableScan scan_tables(const arm64::Stage2& pgt);
void scan_tables(const arm64::Stage2& pgt, TableScan& into);  // reuses into's buffers

// The leaves of a scan, in walk order (what Stage2::for_each_leaf yields).
void scan_leaves(const arm64::Stage2& pgt, const TableScan& scan, std::vector<arm64::Leaf>& into);

// abstraction, reading the tables' leaves from the step's one scan.
void check_abstraction(const arm64::Stage2& pgt, const TableScan& scan, const spec::Stage2Spec& spec, int model_ret,
                       int spec_ret, Violations& out);

// refcount: every live table page (each concatenated pgd page on its own)
// has count == 1 + its non-zero entries (stage2_pte_is_counted, seed 003).
void check_refcount(const arm64::Stage2& pgt, const TableScan& scan, Violations& out);
void check_refcount(const arm64::Stage2& pgt, Violations& out);  // scans first

// structure: every table page is reached exactly once and is a live page;
// every non-zero non-table entry is a leaf the hardware accepts at its level
// or an owner annotation (within max_owner) at a level that has leaves.
void check_structure(const arm64::Stage2& pgt, const TableScan& scan, Violations& out);
void check_structure(const arm64::Stage2& pgt, Violations& out);  // scans first

// leak: the live pages are exactly the reachable tables (none after free),
// and allocated - freed == live.
void check_leak(const arm64::Stage2& pgt, const TableScan& scan, Violations& out);
void check_leak(const arm64::Stage2& pgt, Violations& out);  // scans first

// bbm (one op's events): no valid->valid write that changes the output
// address or table<->leaf kind; an entry made invalid is not made valid
// again before a TLBI covering it (Arm ARM break-before-make).
void check_bbm(const arm64::Geometry& g, const std::vector<Event>& events, Violations& out);

// flush (one op's events): every entry made invalid, and every leaf that lost
// R, W or X, is covered by a TLBI before the op's last event.
void check_flush(const arm64::Geometry& g, const std::vector<Event>& events, Violations& out);

// unchanged: a failed op left every live page, refcount and (in manual
// mode) the page cache as they were (the shared check of mem_snapshot.hpp).
using Snapshot = MemSnapshot;
Snapshot take_snapshot(const arm64::Stage2& pgt);
void take_snapshot(const arm64::Stage2& pgt, Snapshot& into);  // reuses into's buffers
void check_unchanged(const Snapshot& before, const arm64::Stage2& after, Violations& out);

}  // namespace ptspec::props::s2check
