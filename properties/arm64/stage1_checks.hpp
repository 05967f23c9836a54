// The invariant checkers of arm64.stage1 (DESIGN.md "Invariants"), each a
// free function or a small state machine over the model, the abstract map
// and the event log, so tests can run them on hand-broken states:
//
//  cpu-view     once no library call is in flight, every CPU with its MMU
//               on holds only TLB entries equal to what a walk of its tables
//               gives now (Arm ARM D8.13: a TLB may hold only translations
//               the tables could have produced since the last invalidation);
//               an access then gives what the abstract map says.
//  abstraction  the tables read back (every valid leaf) equal the abstract
//               map of what the library calls installed and cleared, and
//               each call returns what the map predicts.
//  maintenance  the update discipline of seed 001's "arm/arm64: Various
//               fixes", checked over the event log per CPU:
//                - every table store is one single-copy-atomic 64-bit store
//                  ("lib: arm/arm64: Use WRITE_ONCE to update the
//                  translation tables"; Arm ARM B2.2 single-copy atomicity);
//                - a store is followed by a DSB (ISHST or stronger) before a
//                  TLBI the CPU issues ("lib: arm: Add proper data
//                  synchronization barriers for TLBIs"; D8.13 / B2.3: the
//                  walk may otherwise refill the old entry after the TLBI);
//                - every store is completed by a DSB before the call
//                  returns (walkers see it only then, D8.2 / B2.3);
//                - a store that changes a valid entry (AP[1] cleared,
//                  output or permissions changed) is followed by a TLBI
//                  that covers its VA (VAE1(IS) of an address it maps, or
//                  VMALLE1(IS)) before the call returns (D8.13);
//                - a TLBI is completed by a DSB ISH (DSB NSH or stronger for
//                  the local forms) and then an ISB before the call returns
//                  (D8.13.x, "DSB ISH + ISB after");
//                - the MMU is enabled only after a TLBI VMALLE1(IS) that
//                  reached the CPU has completed since its MMU was last off
//                  or the CPU was reset ("arm/arm64: Invalidate TLB before
//                  enabling MMU"); SCTLR_EL1.M writes are followed by an ISB.
//               A CPU's obligations fall due when its call returns, and for
//               hand-written micro-steps at the next access or expectation.
//  structure    every table page reachable once from the tables' roots
//  leak         a table page allocated but not reachable
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/arm64/stage1_mmu.hpp"
#include "properties/arm64/stage1_map.hpp"
#include "properties/driver.hpp"

namespace ptspec::props::s1check {

using Violations = std::vector<Violation>;

// One line for a descriptor: "invalid", "table -> 0x...", "L3 page -> 0x...
// user,rdonly AF", ...
std::string entry_brief(const arm64::Geometry& g, std::uint64_t pte, unsigned level);

// ---- maintenance ----
class MaintenanceChecker {
 public:
  MaintenanceChecker(const arm64::Geometry& g, unsigned cpus);
  // Feeds one executed event (its CPU in e.cpu), part of case op `op`.
  void feed(const Event& e, std::size_t op, Violations& v);
  // The CPU's outstanding obligations are due; `when` ends the messages
  // ("before ops[4] returned", "before the access at ops[5]").
  void due(unsigned cpu, const std::string& when, Violations& v);
  // Nothing outstanding on `cpu` (tests).
  bool idle(unsigned cpu) const;

 private:
  struct Store {
    std::size_t op;
    std::uint64_t pa, va, old_value, new_value;
    unsigned level;
  };
  struct Tlbi {
    std::size_t op;
    bool all, broadcast;
    std::uint64_t va;
  };
  struct Cpu {
    std::vector<Store> unsynced;     // no DSB since
    std::vector<Store> needs_tlbi;   // changed a valid entry, no covering TLBI since
    std::vector<Tlbi> incomplete;    // TLBIs not completed by a DSB
    std::vector<Tlbi> needs_isb;     // completed, no ISB since
    int sctlr_op = -1;               // an SCTLR_EL1.M write at this op not followed by an ISB
    bool sctlr_on = false;
    bool flushed = false;            // a TLBI VMALLE1 reaching this CPU completed since reset / MMU off
    bool was_on = false;             // the MMU was enabled before
    std::uint64_t torn_old = 0;      // old value of a torn store's first half
  };
  std::string store_text(const Store& s) const;
  std::string change_text(const Store& s) const;
  static std::string tlbi_text(const Tlbi& t);

  arm64::Geometry g_;
  std::vector<Cpu> cpus_;
};

// ---- views ----
// TLB entries of every CPU with its MMU on against a walk of its tables now.
void check_cpu_views(const arm64::s1::Stage1Mmu& m, Violations& v);

// One scan of every table reachable from the model's roots.
struct TableScan {
  struct Leaf {
    unsigned level;
    std::uint64_t pte, ptep;
  };
  std::vector<std::map<std::uint64_t, Leaf>> leaves;  // per root index: va_base -> leaf
  std::vector<std::string> twice;                     // "page 0x... reached again from ..."
  std::set<std::uint64_t> reachable;                  // table pages (roots included)
};
void scan_tables(const arm64::s1::Stage1Mmu& m, TableScan& out);

// Tables against the map (roots()[i] is the map's table i).
void check_map(const arm64::s1::Stage1Mmu& m, const TableScan& scan, const Stage1Map& map, Violations& v);
void check_structure(const TableScan& scan, Violations& v);
void check_leak(const arm64::s1::Stage1Mmu& m, const TableScan& scan, Violations& v);

}  // namespace ptspec::props::s1check
