// The invariant checkers of x86.ept (DESIGN.md "Invariants"), run by the
// session after every op. Free functions over plain inputs (the tables, the
// spec, one op's events) so a unit test can hand each a broken state and see
// it fail; none trusts the operations.
#pragma once

#include <cstdint>
#include <vector>

#include "model/core/events.hpp"
#include "model/spec/ept_spec.hpp"
#include "model/x86/ept_mmu.hpp"
#include "properties/driver.hpp"
#include "properties/mem_snapshot.hpp"

namespace ptspec::props::eptcheck {

using Violations = std::vector<Violation>;

// One read of the tables for a step: every table page as reached from the
// root (depth first; a page reached twice is listed twice) and every present
// leaf. Reads through PhysMem::find: a link to no memory is recorded.
struct EptScan {
  struct Table {
    std::uint64_t pa;
    unsigned level;
    std::uint64_t gpa;
    const std::uint64_t* words;  // nullptr: no memory backs it
  };
  std::vector<Table> tables;
  std::vector<x86::EptLeaf> leaves;  // GPA order
};
void scan_ept(const x86::EptMmu& mmu, EptScan& into);

// abstraction: the tables read back equal the spec, and the return codes agree.
void check_abstraction(const x86::EptMmu& mmu, const EptScan& scan, const spec::EptSpec& spec, int model_ret,
                       int spec_ret, Violations& out);
// abstraction (walk form): the hardware walk of each address agrees with the
// spec's page: a translation (or a permission violation at the leaf) with
// the spec's HPA and permissions for a mapped page, a not-present violation
// for an unmapped one.
void check_walk(const x86::EptMmu& mmu, const spec::EptSpec& spec, const std::vector<std::uint64_t>& addrs,
                Violations& out);
// reserved: no present entry KVM wrote sets a reserved bit or breaks another
// misconfiguration rule (SDM §29.3.3.1).
void check_reserved(const x86::EptConfig& cfg, const EptScan& scan, Violations& out);
// structure: each table page reached once, a live page; refcount: each table
// page's count == 1 + its present entries.
void check_structure(const x86::EptMmu& mmu, const EptScan& scan, Violations& out);
// leak: the live pages are exactly the reachable tables, and
// allocated - freed == live.
void check_leak(const x86::EptMmu& mmu, const EptScan& scan, Violations& out);
// flush (one op's events): every present entry made non-present, less
// permissive, or replaced (leaf <-> table, other address) is followed by a
// TlbiAll (INVEPT single-context) before the op's last event.
void check_flush(const x86::EptConfig& cfg, const std::vector<Event>& events, Violations& out);

}  // namespace ptspec::props::eptcheck
