// Each arm64.stage2 checker passes on a state KVM's operations produced and
// fails on a state or event sequence broken on purpose: a checker that cannot
// fail checks nothing.
#include <gtest/gtest.h>

#include "model/arm64/stage2.hpp"
#include "model/arm64/stage2_desc.hpp"
#include "model/spec/stage2_spec.hpp"
#include "properties/arm64/stage2_checks.hpp"

namespace ptspec::props {
namespace {

using namespace s2check;
using arm64::Prot;
using arm64::Stage2;
using arm64::Stage2Config;

constexpr std::uint64_t kG = 0x4000'0000;
const Prot kRw{true, true, false, false};

Stage2Config cfg4k() { return Stage2Config::make(4096, 40); }

bool has(const Violations& v, const std::string& invariant) {
  for (const auto& x : v)
    if (x.invariant == invariant) return true;
  return false;
}

std::string all(const Violations& v) {
  std::string s;
  for (const auto& x : v) s += x.invariant + ": " + x.detail + "\n";
  return s;
}

// The table page at `level` that the walk of `addr` goes through.
std::uint64_t table_page(const Stage2& s, std::uint64_t addr, unsigned level) {
  std::uint64_t found = 0;
  s.for_each_table([&](const arm64::TablePage& t) {
    const std::uint64_t span = s.geo().block_size(t.level) * s.geo().entries_per_page();
    if (t.level == level && addr >= t.addr && addr - t.addr < span) found = t.pa;
  });
  return found;
}

// The entry address for `addr` in the table page at `level`.
std::uint64_t entry_of(const Stage2& s, std::uint64_t addr, unsigned level) {
  return arm64::s2::entry_address(Concrete{}, s.geo(), table_page(s, addr, level), addr, level);
}

TEST(Checks, AllPassAfterKvmOps) {
  Stage2 s(cfg4k());
  spec::Stage2Spec sp(cfg4k());
  ASSERT_EQ(s.map(kG, 0x200000, 0x8000'0000, kRw), 0);
  ASSERT_EQ(sp.map(kG, 0x200000, 0x8000'0000, kRw), 0);
  s.log().clear();
  ASSERT_EQ(s.set_owner(kG + 0x1000, 0x1000, 1), 0);
  ASSERT_EQ(sp.set_owner(kG + 0x1000, 0x1000, 1), 0);
  Violations v;
  check_abstraction(s, sp, 0, 0, v);
  check_walk(s, sp, {kG, kG + 0x1000, kG + 0x1ff000}, v);
  check_refcount(s, v);
  check_structure(s, v);
  check_leak(s, v);
  check_bbm(s.geo(), s.log().events(), v);
  check_flush(s.geo(), s.log().events(), v);
  EXPECT_TRUE(v.empty()) << all(v);
}

TEST(Checks, AbstractionFailsWhenTablesAndSpecDiffer) {
  Stage2 s(cfg4k());
  spec::Stage2Spec sp(cfg4k());
  ASSERT_EQ(s.map(kG, 0x1000, 0x8000'0000, kRw), 0);  // the spec never hears of it
  Violations v;
  check_abstraction(s, sp, 0, 0, v);
  EXPECT_TRUE(has(v, "abstraction")) << all(v);
  Violations w;
  check_walk(s, sp, {kG}, w);
  EXPECT_TRUE(has(w, "abstraction")) << all(w);
}

TEST(Checks, AbstractionFailsOnDifferentReturnCodes) {
  Stage2 s(cfg4k());
  spec::Stage2Spec sp(cfg4k());
  Violations v;
  check_abstraction(s, sp, kEagain, 0, v);
  ASSERT_TRUE(has(v, "abstraction")) << all(v);
  EXPECT_NE(v[0].detail.find("-EAGAIN"), std::string::npos);
}

TEST(Checks, RefcountFailsOnAnExtraReference) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(kG, 0x1000, 0x8000'0000, kRw), 0);
  Violations ok;
  check_refcount(s, ok);
  ASSERT_TRUE(ok.empty()) << all(ok);
  s.mem().get_page(table_page(s, kG, 3));  // the leaked reference of the v5.11 bug
  Violations v;
  check_refcount(s, v);
  EXPECT_TRUE(has(v, "refcount")) << all(v);
}

TEST(Checks, RefcountFailsOnAnUncountedEntry) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(kG, 0x1000, 0x8000'0000, kRw), 0);
  // An annotation written without taking its reference.
  s.write_raw(entry_of(s, kG + 0x1000, 3), arm64::s2::make_owner(Concrete{}, arm64::s2::OwnerLayout::Upstream, 1));
  Violations v;
  check_refcount(s, v);
  EXPECT_TRUE(has(v, "refcount")) << all(v);
}

TEST(Checks, StructureFailsOnATableReachedTwice) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(kG, 0x1000, 0x8000'0000, kRw), 0);
  const std::uint64_t l2_entry = entry_of(s, kG, 2);
  // A second level-2 entry pointing at the same level-3 table.
  s.write_raw(entry_of(s, kG, 2) + 8, s.load(l2_entry));
  Violations v;
  check_structure(s, v);
  EXPECT_TRUE(has(v, "structure")) << all(v);
}

TEST(Checks, StructureFailsOnAnEncodingTheHardwareRejects) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(kG, 0x1000, 0x8000'0000, kRw), 0);
  Violations ok;
  check_structure(s, ok);
  ASSERT_TRUE(ok.empty()) << all(ok);
  // Level-3 descriptor with bit 1 clear: reserved (Arm ARM D8.3).
  s.write_raw(entry_of(s, kG, 3), s.load(entry_of(s, kG, 3)) & ~arm64::s2::kType.mask());
  Violations v;
  check_structure(s, v);
  EXPECT_TRUE(has(v, "structure")) << all(v);
}

TEST(Checks, StructureFailsOnAnnotationAtALevelWithoutLeaves) {
  // 16K granule starting at level 1: level 1 has no blocks.
  Stage2 s(Stage2Config::make(16384, 40, 1));
  s.write_raw(s.pgd(), arm64::s2::make_owner(Concrete{}, arm64::s2::OwnerLayout::Upstream, 1));
  Violations v;
  check_structure(s, v);
  EXPECT_TRUE(has(v, "structure")) << all(v);
}

TEST(Checks, StructureFailsOnOwnerAboveMax) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.set_owner(kG, 0x1000, 1), 0);
  s.write_raw(entry_of(s, kG, 3), arm64::s2::make_owner(Concrete{}, arm64::s2::OwnerLayout::Upstream, 5));
  Violations v;
  check_structure(s, v);
  EXPECT_TRUE(has(v, "structure")) << all(v);
}

TEST(Checks, LeakFailsOnAnUnreachablePage) {
  Stage2 s(cfg4k());
  Violations ok;
  check_leak(s, ok);
  ASSERT_TRUE(ok.empty()) << all(ok);
  ASSERT_TRUE(s.mem().cache_alloc().has_value());  // taken, never linked
  Violations v;
  check_leak(s, v);
  EXPECT_TRUE(has(v, "leak")) << all(v);
}

TEST(Checks, LeakFailsWhenFreeLeavesAPage) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(kG, 0x1000, 0x8000'0000, kRw), 0);
  s.mem().get_page(table_page(s, kG, 3));  // one reference too many: free cannot release it
  ASSERT_EQ(s.free(), 0);
  Violations v;
  check_leak(s, v);
  EXPECT_TRUE(has(v, "leak")) << all(v);
}

TEST(Checks, LeakHoldsAfterFree) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(kG, 0x1000, 0x8000'0000, kRw), 0);
  ASSERT_EQ(s.free(), 0);
  Violations v;
  check_leak(s, v);
  EXPECT_TRUE(v.empty()) << all(v);
}

// ---- event-sequence checkers: synthetic events ----

const arm64::Geometry kGeo = arm64::make_geometry(4096, 40, -1, 48);
constexpr std::uint64_t kPtep = 0x80'0000'1000;
constexpr std::uint64_t kPageRw = 0x8000'0000 | 0x4c3;  // valid, page, S2AP RW, AF
constexpr std::uint64_t kPageR = 0x8000'0000 | 0x443;   // the same page without W
constexpr std::uint64_t kOther = 0x9000'0000 | 0x4c3;   // another output address
constexpr std::uint64_t kTable = 0x80'0000'2000 | 0x3;  // a level-2 table entry
constexpr std::uint64_t kBlock = 0x8000'0000 | 0x4c1;   // a level-2 block

Event write(std::uint64_t old_v, std::uint64_t new_v, unsigned level = 3, std::uint64_t addr = kG) {
  return {EventKind::Write, static_cast<std::uint8_t>(level), kPtep, addr, old_v, new_v};
}
Event tlbi(std::uint64_t addr, unsigned level = 3) {
  return {EventKind::TlbiAddr, static_cast<std::uint8_t>(level), 0, addr};
}
Event tlbi_all() { return {EventKind::TlbiAll}; }

TEST(Checks, BbmFailsOnValidToValidOutputAddressChange) {
  Violations v;
  check_bbm(kGeo, {write(kPageRw, kOther)}, v);
  EXPECT_TRUE(has(v, "bbm")) << all(v);
  Violations ok;
  check_bbm(kGeo, {write(kPageRw, kPageR)}, ok);  // permission-only: allowed in place
  EXPECT_TRUE(ok.empty()) << all(ok);
}

TEST(Checks, BbmFailsOnTableBlockChangeInPlace) {
  Violations v;
  check_bbm(kGeo, {write(kTable, kBlock, 2)}, v);
  EXPECT_TRUE(has(v, "bbm")) << all(v);
}

TEST(Checks, BbmFailsWithoutTlbiBetweenBreakAndMake) {
  Violations v;
  check_bbm(kGeo, {write(kPageRw, 0), write(0, kOther)}, v);
  EXPECT_TRUE(has(v, "bbm")) << all(v);
  Violations far;  // a TLBI of another page does not cover this entry
  check_bbm(kGeo, {write(kPageRw, 0), tlbi(kG + 0x1000), write(0, kOther)}, far);
  EXPECT_TRUE(has(far, "bbm")) << all(far);
  Violations ok;
  check_bbm(kGeo, {write(kPageRw, 0), tlbi(kG + 0x800), write(0, kOther)}, ok);
  EXPECT_TRUE(ok.empty()) << all(ok);
  Violations ok_all;
  check_bbm(kGeo, {write(kBlock, 0, 2, kG + 0x5000), tlbi_all(), write(0, kTable, 2, kG + 0x5000)}, ok_all);
  EXPECT_TRUE(ok_all.empty()) << all(ok_all);
}

TEST(Checks, FlushFailsWhenAnInvalidationIsNotFlushed) {
  Violations v;
  check_flush(kGeo, {write(kPageRw, 0)}, v);
  EXPECT_TRUE(has(v, "flush")) << all(v);
  Violations ok;
  check_flush(kGeo, {write(kPageRw, 0), tlbi(kG)}, ok);
  EXPECT_TRUE(ok.empty()) << all(ok);
  Violations early;  // a TLBI before the write covers nothing
  check_flush(kGeo, {tlbi_all(), write(kPageRw, 0)}, early);
  EXPECT_TRUE(has(early, "flush")) << all(early);
}

TEST(Checks, FlushFailsWhenAPermissionReductionIsNotFlushed) {
  Violations v;
  check_flush(kGeo, {write(kPageRw, kPageR)}, v);
  EXPECT_TRUE(has(v, "flush")) << all(v);
  Violations xn;
  check_flush(kGeo, {write(kPageRw & ~arm64::s2::kXn.mask(), kPageRw | arm64::s2::kXn.mask())}, xn);
  EXPECT_TRUE(has(xn, "flush")) << all(xn);
  Violations relax;  // adding a permission needs no flush
  check_flush(kGeo, {write(kPageR, kPageRw)}, relax);
  EXPECT_TRUE(relax.empty()) << all(relax);
  Violations ok;
  check_flush(kGeo, {write(kPageRw, kPageR), tlbi_all()}, ok);
  EXPECT_TRUE(ok.empty()) << all(ok);
}

TEST(Checks, UnchangedFailsWhenAnEntryOrCountChanged) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(kG, 0x1000, 0x8000'0000, kRw), 0);
  const Snapshot before = take_snapshot(s);
  Violations ok;
  check_unchanged(before, s, ok);
  ASSERT_TRUE(ok.empty()) << all(ok);
  s.write_raw(entry_of(s, kG, 3), 0);
  Violations v;
  check_unchanged(before, s, v);
  EXPECT_TRUE(has(v, "unchanged")) << all(v);

  Stage2 t(cfg4k());
  ASSERT_EQ(t.map(kG, 0x1000, 0x8000'0000, kRw), 0);
  const Snapshot t0 = take_snapshot(t);
  t.mem().get_page(table_page(t, kG, 3));
  Violations c;
  check_unchanged(t0, t, c);
  EXPECT_TRUE(has(c, "unchanged")) << all(c);
}

TEST(Checks, UnchangedFailsWhenAFixedCacheShrank) {
  Stage2 s(cfg4k());
  s.mem().cache_set(4, Zone::High);
  const Snapshot before = take_snapshot(s);
  s.mem().cache_set(3, Zone::High);
  Violations v;
  check_unchanged(before, s, v);
  EXPECT_TRUE(has(v, "unchanged")) << all(v);
}

}  // namespace
}  // namespace ptspec::props

// The scan's leaves are exactly what Stage2::for_each_leaf yields, so the
// abstraction checked from the scan is the abstraction of the tables.
namespace ptspec::props {
namespace {
TEST(Checks, ScanLeavesMatchForEachLeaf) {
  for (unsigned granule : {4096u, 16384u, 65536u}) {
    for (unsigned ia : {36u, 40u, 42u}) {
      arm64::Stage2 pgt(arm64::Stage2Config::make(granule, ia));
      const std::uint64_t blk = pgt.geo().block_size(2), pg = pgt.geo().granule();
      ASSERT_EQ(pgt.map(blk, blk, 0x8000'0000ull & ~(blk - 1), arm64::Prot{true, true, false, false}), 0);
      ASSERT_EQ(pgt.map(2 * blk + pg, 3 * pg, 0x8000'0000ull + pg, arm64::Prot{true, false, false, false}), 0);
      ASSERT_EQ(pgt.set_owner(3 * blk, pg, 1), 0);
      std::vector<arm64::Leaf> direct;
      pgt.for_each_leaf([&](const arm64::Leaf& l) { direct.push_back(l); });
      std::vector<arm64::Leaf> scanned;
      s2check::scan_leaves(pgt, s2check::scan_tables(pgt), scanned);
      ASSERT_EQ(scanned.size(), direct.size()) << granule << "/" << ia;
      ASSERT_EQ(direct.size(), 5u);
      for (std::size_t i = 0; i < direct.size(); ++i) {
        EXPECT_EQ(scanned[i].addr, direct[i].addr);
        EXPECT_EQ(scanned[i].level, direct[i].level);
        EXPECT_EQ(scanned[i].pte, direct[i].pte);
        EXPECT_EQ(scanned[i].ptep, direct[i].ptep);
      }
    }
  }
}
}  // namespace
}  // namespace ptspec::props
