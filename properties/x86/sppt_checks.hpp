// The invariant checkers of x86.sppt, run by the session after every op
// (issue 3 "Checks"; DESIGN.md "Invariants"). Free functions over plain
// inputs so a unit test can hand each one a broken state and watch it fail
// (tests/properties/sppt_checks_test.cpp). Invariant names are the shared
// ones of properties/driver.hpp:
//   abstraction  effective permission: every sub-page of every GFN with a
//                bitmap is writable iff the last bitmap set for it says so
//                (the write check run with the miss handler as KVM runs it,
//                undone afterwards); GFNs without one follow EPT W alone;
//                reads and executes never denied by SPP
//   structure    a reserved bit in an SPPT entry KVM wrote (an odd bit in a
//                leaf vector, bits 11:1 or 63:N in a valid non-leaf entry),
//                a table page reached twice
//   leak         SPPT/EPT pages allocated - freed != reachable, or an SPPT
//                leaf table kept for a 2 MiB region no bitmap needs
//   flush        a permission reduction (a vector bit cleared, an SPPT entry
//                made invalid, EPT bit 61 set or W/R/X cleared) without a
//                flush after it before the op returned
//   unchanged    an op that returned an error changed the tables or bitmaps
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "model/core/events.hpp"
#include "model/x86/spp_system.hpp"
#include "properties/driver.hpp"

namespace ptspec::props::spptcheck {

using Violations = std::vector<Violation>;
using Bitmaps = std::map<std::uint64_t, std::uint32_t>;  // gfn -> last bitmap set

// `spec`: the last bitmap set per GFN (the session's own record of the ops);
// `plain`: GFNs without a bitmap whose writes are compared with EPT W.
void check_effective(x86::SppSystem& sys, const Bitmaps& spec, const std::vector<std::uint64_t>& plain,
                     Violations& out);
void check_reserved(const x86::Sppt& t, Violations& out);
void check_leak(const x86::SppSystem& sys, const Bitmaps& spec, Violations& out);
// One op's events from one log: the SPPT's, or the EPT's.
void check_flush_sppt(const std::vector<Event>& events, Violations& out);
void check_flush_ept(const x86::EptConfig& cfg, const std::vector<Event>& events, Violations& out);

struct Snapshot {
  std::map<std::uint64_t, std::vector<std::uint64_t>> ept, sppt;  // live page -> words
  Bitmaps bitmaps;
};
void take_snapshot(const x86::SppSystem& sys, Snapshot& into);
void check_unchanged(const Snapshot& before, const x86::SppSystem& after, Violations& out);

}  // namespace ptspec::props::spptcheck
