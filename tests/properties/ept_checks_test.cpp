// Each x86.ept checker passes on a state KVM's operations (EptMmu) produced
// and fails on a state or event sequence broken on purpose.
#include <gtest/gtest.h>

#include "model/spec/ept_spec.hpp"
#include "model/x86/ept_mmu.hpp"
#include "properties/mem_snapshot.hpp"
#include "properties/x86/ept_checks.hpp"

namespace ptspec::props {
namespace {

using namespace eptcheck;
using x86::EptMmu;

constexpr std::uint64_t kA = 0x4000'0000, kH = 0x2'0000'0000;

x86::EptConfig cfg() { return x86::make_ept_config(4, 46); }

bool has(const Violations& v, const std::string& inv) {
  for (const auto& x : v)
    if (x.invariant == inv) return true;
  return false;
}

struct Fixture {
  EptMmu mmu{cfg()};
  spec::EptSpec spec{cfg()};
  EptScan scan;
  Fixture() {
    EXPECT_EQ(mmu.map(kA, 0x200000, kH, {}), 0);
    EXPECT_EQ(spec.map(kA, 0x200000, kH, {}), 0);
    EXPECT_EQ(mmu.map(kA + 0x200000, 0x3000, kH + 0x400000, {}), 0);
    EXPECT_EQ(spec.map(kA + 0x200000, 0x3000, kH + 0x400000, {}), 0);
    scan_ept(mmu, scan);
  }
  Violations all() {
    Violations v;
    scan_ept(mmu, scan);
    check_abstraction(mmu, scan, spec, 0, 0, v);
    check_walk(mmu, spec, {kA, kA + 0x1ff000, kA + 0x200000, kA + 0x203000}, v);
    check_reserved(mmu.config(), scan, v);
    check_structure(mmu, scan, v);
    check_leak(mmu, scan, v);
    return v;
  }
};

TEST(EptChecks, CleanStatePasses) {
  Fixture f;
  EXPECT_TRUE(f.all().empty());
}

TEST(EptChecks, AbstractionCatchesSpecMismatchAndReturnCode) {
  Fixture f;
  ASSERT_EQ(f.spec.unmap(kA + 0x200000, 0x1000), 0);
  Violations v;
  check_abstraction(f.mmu, f.scan, f.spec, 0, 0, v);
  EXPECT_TRUE(has(v, "abstraction"));
  Violations r;
  Fixture g;
  check_abstraction(g.mmu, g.scan, g.spec, kEinval, 0, r);
  EXPECT_TRUE(has(r, "abstraction"));
}

TEST(EptChecks, WalkCatchesWrongHpa) {
  Fixture f;
  f.mmu.write_raw(f.mmu.entry_pa(kA + 0x200000, 1), kH + 0x900037);  // same perms, other page
  Violations v;
  check_walk(f.mmu, f.spec, {kA + 0x200000}, v);
  EXPECT_TRUE(has(v, "abstraction"));
}

TEST(EptChecks, ReservedCatchesReservedBitAndXwr010) {
  Fixture f;
  const std::uint64_t pde = f.mmu.entry_pa(kA + 0x200000, 2);
  f.mmu.write_raw(pde, f.mmu.mem().load(pde) | 0x8);  // bit 3: reserved in a non-leaf PDE
  Violations v;
  scan_ept(f.mmu, f.scan);
  check_reserved(f.mmu.config(), f.scan, v);
  EXPECT_TRUE(has(v, "reserved"));
  Fixture g;
  g.mmu.write_raw(g.mmu.entry_pa(kA + 0x201000, 1), kH + 0x401032);  // XWR = 010
  Violations w;
  scan_ept(g.mmu, g.scan);
  check_reserved(g.mmu.config(), g.scan, w);
  EXPECT_TRUE(has(w, "reserved"));
}

TEST(EptChecks, StructureCatchesRefcountAndDoubleReach) {
  Fixture f;
  const std::uint64_t pt = f.mmu.entry_pa(kA + 0x200000, 1) & ~0xfffull;
  f.mmu.mem().get_page(pt);  // a stray reference
  Violations v;
  check_structure(f.mmu, f.scan, v);
  EXPECT_TRUE(has(v, "refcount"));
  // A second PDE pointing at the same PT: reached twice.
  Fixture g;
  const std::uint64_t pde = g.mmu.entry_pa(kA + 0x200000, 2);
  const std::uint64_t other = g.mmu.entry_pa(kA + 0x400000, 2);
  g.mmu.mem().store(other, g.mmu.mem().load(pde));
  scan_ept(g.mmu, g.scan);
  Violations w;
  check_structure(g.mmu, g.scan, w);
  EXPECT_TRUE(has(w, "structure"));
}

TEST(EptChecks, LeakCatchesUnreachableTable) {
  Fixture f;
  f.mmu.mem().store(f.mmu.entry_pa(kA + 0x200000, 2), 0);  // orphan the PT
  scan_ept(f.mmu, f.scan);
  Violations v;
  check_leak(f.mmu, f.scan, v);
  EXPECT_TRUE(has(v, "leak"));
}

TEST(EptChecks, FlushCatchesReductionWithoutInvept) {
  const auto c = cfg();
  const Event reduce{EventKind::Write, 1, 0x1000, kA, kH | 0x37, kH | 0x31};
  const Event relax{EventKind::Write, 1, 0x1000, kA, kH | 0x31, kH | 0x37};
  const Event zap{EventKind::Write, 2, 0x2000, kA, 0x100003007, 0};
  const Event flush{EventKind::TlbiAll};
  Violations v;
  check_flush(c, {reduce}, v);
  EXPECT_TRUE(has(v, "flush"));
  Violations z;
  check_flush(c, {flush, zap}, z);  // the flush came before the zap
  EXPECT_TRUE(has(z, "flush"));
  Violations ok;
  check_flush(c, {reduce, zap, flush}, ok);
  check_flush(c, {relax}, ok);  // a permission gained needs no flush
  EXPECT_TRUE(ok.empty());
}

TEST(EptChecks, FlushEventsFromTheModelSatisfyTheChecker) {
  Fixture f;
  f.mmu.log().clear();
  ASSERT_EQ(f.mmu.protect(kA, 0x1000, 1, false), 0);  // splits the 2M leaf and reduces
  Violations v;
  check_flush(f.mmu.config(), f.mmu.log().events(), v);
  EXPECT_TRUE(v.empty());
  // Drop the INVEPT: the checker must see it missing.
  std::vector<Event> ev;
  for (const Event& e : f.mmu.log().events())
    if (e.kind != EventKind::TlbiAll) ev.push_back(e);
  check_flush(f.mmu.config(), ev, v);
  EXPECT_TRUE(has(v, "flush"));
}

TEST(EptChecks, UnchangedCatchesAChangeAfterAFailedOp) {
  Fixture f;
  MemSnapshot before;
  take_mem_snapshot(f.mmu.mem(), false, before);
  f.mmu.mem().cache_set(0, Zone::High);
  MemSnapshot empty_cache;
  take_mem_snapshot(f.mmu.mem(), false, empty_cache);
  ASSERT_EQ(f.mmu.map(kA + 0x40000000, 0x1000, kH, {}), kEnomem);
  Violations ok;
  check_mem_unchanged(empty_cache, f.mmu.mem(), false, ok);
  EXPECT_TRUE(ok.empty());
  f.mmu.mem().store(f.mmu.entry_pa(kA + 0x200000, 1), 0);
  Violations v;
  check_mem_unchanged(empty_cache, f.mmu.mem(), false, v);
  EXPECT_TRUE(has(v, "unchanged"));
}

}  // namespace
}  // namespace ptspec::props
