// Scenario tests of KVM's operations on the model (seed 003 semantics).
#include <gtest/gtest.h>

#include "model/arm64/stage2.hpp"
#include "model/arm64/stage2_desc.hpp"

namespace ptspec::arm64 {
namespace {

constexpr std::uint64_t K4 = 0x1000, M2 = 0x20'0000, G1 = 0x4000'0000;
const Prot RW{true, true, false, false};
const Prot R{true, false, false, false};

Stage2Config cfg4k() { return Stage2Config::make(4096, 40); }

std::size_t live_tables(const Stage2& s) {
  std::size_t n = 0;
  s.for_each_table([&](const TablePage&) { ++n; });
  return n;
}

TEST(Stage2Ops, MapPageAndTranslate) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(G1, K4, 0x8000'0000, RW), kOk);
  Translation t = s.translate(G1 + 0x123);
  ASSERT_TRUE(t.ok()) << t.why;
  EXPECT_EQ(t.pa, 0x8000'0123u);
  EXPECT_EQ(t.level, 3u);
  EXPECT_TRUE(t.prot.r && t.prot.w && !t.prot.x);
  EXPECT_EQ(live_tables(s), 3u);  // pgd + L2 + L3
  EXPECT_FALSE(s.translate(G1 + K4).ok());
}

TEST(Stage2Ops, BlockChosenOnlyWhenAligned) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(G1, M2, 0x8000'0000, RW), kOk);
  EXPECT_EQ(s.translate(G1).level, 2u);
  ASSERT_EQ(s.map(G1 + M2, M2, 0x8000'1000, RW), kOk);  // PA not 2M-aligned: pages
  EXPECT_EQ(s.translate(G1 + M2).level, 3u);
  EXPECT_EQ(s.translate(G1 + 2 * M2 - 1).pa, 0x8000'1000u + M2 - 1);
}

TEST(Stage2Ops, PermissionOnlyChangeIsEagain) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(G1, K4, 0x8000'0000, R), kOk);
  std::size_t before = s.log().size();
  EXPECT_EQ(s.map(G1, K4, 0x8000'0000, RW), kEagain);
  EXPECT_FALSE(s.translate(G1).prot.w);
  // Nothing but the rollback marker and the final barrier was logged.
  EXPECT_LE(s.log().size() - before, 3u);
}

TEST(Stage2Ops, RemapIsBreakBeforeMake) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(G1, K4, 0x8000'0000, RW), kOk);
  s.log().clear();
  ASSERT_EQ(s.map(G1, K4, 0x9000'0000, RW), kOk);
  const auto& ev = s.log().events();
  // write valid->0, TLBI for the IPA, then write 0->new valid.
  std::size_t inval = ev.size(), tlbi = ev.size(), install = ev.size();
  for (std::size_t i = 0; i < ev.size(); ++i) {
    if (ev[i].kind == EventKind::Write && ev[i].new_value == 0 && inval == ev.size()) inval = i;
    if (ev[i].kind == EventKind::TlbiAddr && tlbi == ev.size()) tlbi = i;
    if (ev[i].kind == EventKind::Write && ev[i].new_value != 0) install = i;
  }
  ASSERT_LT(inval, tlbi);
  ASSERT_LT(tlbi, install);
  EXPECT_EQ(s.translate(G1).pa, 0x9000'0000u);
}

TEST(Stage2Ops, SetOwnerOverPartOfBlockLeavesRestUnmapped) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(G1, M2, 0x8000'0000, RW), kOk);
  ASSERT_EQ(s.set_owner(G1 + K4, K4, 1), kOk);
  Translation owned = s.translate(G1 + K4);
  EXPECT_EQ(owned.fault, FaultKind::Translation);
  EXPECT_EQ(owned.owner, 1u);
  EXPECT_EQ(owned.level, 3u);
  // The block was replaced by a table: the rest is faulted back lazily.
  EXPECT_EQ(s.translate(G1).fault, FaultKind::Translation);
  EXPECT_EQ(s.translate(G1).owner, 0u);
}

TEST(Stage2Ops, OwnerIdAboveMaxIsEinval) {
  Stage2 s(cfg4k());
  EXPECT_EQ(s.set_owner(G1, K4, 2), kEinval);
  EXPECT_EQ(live_tables(s), 1u);
}

TEST(Stage2Ops, UnmapFreesEmptiedTables) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.set_owner(G1, K4, 1), kOk);
  EXPECT_EQ(live_tables(s), 3u);
  ASSERT_EQ(s.unmap(G1, K4), kOk);
  EXPECT_EQ(live_tables(s), 1u);
  EXPECT_EQ(s.mem().pages_in_use().size(), s.geo().pgd_pages);
}

TEST(Stage2Ops, BlockReplacesTableAndFreesSubtree) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(G1 + K4, K4, 0x8000'1000, RW), kOk);
  ASSERT_EQ(live_tables(s), 3u);
  ASSERT_EQ(s.map(G1, M2, 0x8000'0000, RW), kOk);
  EXPECT_EQ(s.translate(G1 + K4).level, 2u);
  EXPECT_EQ(live_tables(s), 2u);  // the L3 table was freed
  EXPECT_EQ(s.mem().pages_in_use().size(), s.geo().pgd_pages + 1);
}

TEST(Stage2Ops, EmptyCacheIsEnomemWithNothingChanged) {
  Stage2 s(cfg4k());
  s.mem().cache_set(1, Zone::High);
  EXPECT_EQ(s.map(G1, K4, 0x8000'0000, RW), kEnomem);  // needs L2 and L3 tables
  EXPECT_EQ(live_tables(s), 1u);
  EXPECT_EQ(s.mem().cache_size(), 1u);
  EXPECT_FALSE(s.translate(G1).ok());
  s.mem().cache_set(2, Zone::High);
  EXPECT_EQ(s.map(G1, K4, 0x8000'0000, RW), kOk);
}

TEST(Stage2Ops, ArgumentChecks) {
  Stage2 s(cfg4k());
  EXPECT_EQ(s.map(G1 + 1, K4, 0x8000'0000, RW), kEinval);
  EXPECT_EQ(s.map(G1, K4, 0x8000'0001, RW), kEinval);
  EXPECT_EQ(s.map((std::uint64_t{1} << 40) - K4, 2 * K4, 0, RW), kErange);
  EXPECT_EQ(s.map(G1, K4, 0, Prot{true, false, true, true}), kEinval);  // executable device
  EXPECT_EQ(s.map(G1, K4, std::uint64_t{1} << 48, RW), kEinval);
}

TEST(Stage2Ops, RefcountIsOnePlusCountedEntries) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(G1, K4, 0x8000'0000, RW), kOk);
  ASSERT_EQ(s.set_owner(G1 + K4, 2 * K4, 1), kOk);
  std::uint64_t l3 = s.translate(G1).entries[1] & s2::oa_field(12).mask();
  EXPECT_EQ(s.mem().page_count(l3), 4u);
}

TEST(Stage2Ops, FreeReleasesEveryPage) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(G1, 3 * M2, 0x8000'1000, RW), kOk);
  ASSERT_EQ(s.set_owner(0, K4, 1), kOk);
  ASSERT_EQ(s.free(), kOk);
  EXPECT_TRUE(s.mem().pages_in_use().empty());
  EXPECT_EQ(s.mem().allocated_total(), s.mem().freed_total());
  EXPECT_EQ(s.map(G1, K4, 0, RW), kEinval);
}

TEST(Stage2Ops, WrprotectFlushesAndRelaxRestores) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(G1, M2, 0x8000'0000, RW), kOk);
  s.log().clear();
  ASSERT_EQ(s.wrprotect(G1, K4), kOk);  // whole block loses W
  EXPECT_FALSE(s.translate(G1 + M2 - 1).prot.w);
  bool flushed = false;
  for (const auto& e : s.log().events()) flushed |= e.kind == EventKind::TlbiAll;
  EXPECT_TRUE(flushed);
  ASSERT_EQ(s.relax_perms(G1 + 0x10, Prot{false, true, true, false}), kOk);
  EXPECT_TRUE(s.translate(G1).prot.w);
  EXPECT_TRUE(s.translate(G1).prot.x);
}

TEST(Stage2Ops, AccessFlag) {
  Stage2 s(cfg4k());
  ASSERT_EQ(s.map(G1, K4, 0x8000'0000, RW), kOk);
  bool young = false;
  ASSERT_EQ(s.mkold(G1, &young), kOk);
  EXPECT_TRUE(young);
  EXPECT_EQ(s.translate(G1).fault, FaultKind::AccessFlag);
  ASSERT_EQ(s.mkyoung(G1), kOk);
  EXPECT_TRUE(s.translate(G1).ok());
}

TEST(Stage2Ops, LeakVariantKeepsAnExtraReference) {
  Stage2Config c = cfg4k();
  c.variant = Stage2Variant::LeakOnValidUpdate;
  Stage2 s(c);
  ASSERT_EQ(s.map(G1, K4, 0x8000'0000, RW), kOk);
  ASSERT_EQ(s.map(G1, K4, 0x9000'0000, RW), kOk);
  ASSERT_EQ(s.unmap(G1, K4), kOk);
  EXPECT_GT(live_tables(s), 1u);  // the L3 table can no longer be freed
}

TEST(Stage2Ops, SeedLayoutRefusesSoftwareBitsUnlessVariant) {
  Stage2Config c = Stage2Config::make(4096, 40, -1, 48, s2::OwnerLayout::Seed);
  Stage2 ok(c);
  EXPECT_EQ(ok.set_owner(G1, K4, 0, 2), kEinval);
  c.variant = Stage2Variant::OwnerOverwritesSwBits;
  Stage2 bad(c);
  ASSERT_EQ(bad.set_owner(G1, K4, 0, 2), kOk);
  EXPECT_EQ(bad.translate(G1).owner, 1u);  // bit 56 is both sw bit 1 and owner bit 0
}

}  // namespace
}  // namespace ptspec::arm64
