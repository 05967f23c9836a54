// EptMmu: leaf sizes, huge-page split on map, table freeing, protect,
// split/collapse, SPP bit, argument checks, transactions, flush events.
#include <gtest/gtest.h>

#include "model/spec/ept_spec.hpp"
#include "model/x86/ept_mmu.hpp"

namespace ptspec::x86 {
namespace {

constexpr std::uint64_t kA = 0x4000'0000, kH = 0x2'0000'0000;
constexpr EptAccess kRead{ept::Access::Read, false, false};
constexpr EptAccess kWrite{ept::Access::Write, true, true};

bool flushed(const EptMmu& m) {
  for (const Event& e : m.log().events())
    if (e.kind == EventKind::TlbiAll) return true;
  return false;
}

TEST(EptMmu, LeafSizesFollowAlignment) {
  EptMmu m(make_ept_config(4, 46));
  ASSERT_EQ(m.map(kA, 0x40000000, kH, {}), 0);
  EXPECT_EQ(m.walk(kA + 0x1234, kRead).level, 3u);
  ASSERT_EQ(m.map(0x80000000, 0x200000, kH + 0x1000, {}), 0);  // HPA not 2M aligned: 4K leaves
  EXPECT_EQ(m.walk(0x80000000, kRead).level, 1u);
  EXPECT_EQ(m.walk(0x801ff000, kRead).hpa, kH + 0x200000);
  EptMmu n(make_ept_config(4, 46, false, true, false));  // no 1G pages
  ASSERT_EQ(n.map(kA, 0x40000000, kH, {}), 0);
  EXPECT_EQ(n.walk(kA, kRead).level, 2u);
}

TEST(EptMmu, MapInsideHugePageSplitsAndKeepsTheRest) {
  EptMmu m(make_ept_config(4, 46));
  ASSERT_EQ(m.map(kA, 0x200000, kH, {}), 0);
  m.log().clear();
  ASSERT_EQ(m.map(kA + 0x3000, 0x1000, 0x3'0000'0000, {}), 0);
  EXPECT_TRUE(flushed(m));
  EXPECT_EQ(m.walk(kA + 0x3000, kRead).hpa, 0x3'0000'0000u);
  EXPECT_EQ(m.walk(kA + 0x4000, kRead).hpa, kH + 0x4000);
  EXPECT_EQ(m.walk(kA + 0x4000, kRead).level, 1u);
  // Mapping the 2M range again replaces the table by a leaf and frees it.
  const auto before = m.mem().pages_in_use().size();
  ASSERT_EQ(m.map(kA, 0x200000, kH, {}), 0);
  EXPECT_EQ(m.mem().pages_in_use().size(), before - 1);
}

TEST(EptMmu, UnmapFreesEmptyTables) {
  EptMmu m(make_ept_config(5, 52));
  ASSERT_EQ(m.map(kA, 0x1000, kH, {}), 0);
  EXPECT_EQ(m.mem().pages_in_use().size(), 5u);
  m.log().clear();
  ASSERT_EQ(m.unmap(kA, 0x1000), 0);
  EXPECT_TRUE(flushed(m));
  EXPECT_EQ(m.mem().pages_in_use().size(), 1u);
  EXPECT_EQ(m.mem().allocated_total() - m.mem().freed_total(), 1u);
}

TEST(EptMmu, ProtectReducesAndFlushes) {
  EptMmu m(make_ept_config(4, 46));
  ASSERT_EQ(m.map(kA, 0x200000, kH, {}), 0);
  m.log().clear();
  ASSERT_EQ(m.protect(kA, 0x1000, 1, false), 0);
  EXPECT_TRUE(flushed(m));
  const auto r = m.walk(kA, kWrite);
  EXPECT_EQ(r.outcome, EptOutcome::Violation);
  EXPECT_EQ(r.exit_qualification, 0x18au);
  EXPECT_EQ(m.walk(kA + 0x1000, kWrite).outcome, EptOutcome::Translation);
  EXPECT_EQ(m.protect(kA, 0x1000, 2, false), kEinval);  // write without read
  EXPECT_EQ(m.protect(kA, 0x1000, 7, true), kEinval);   // user-X without MBEC
}

TEST(EptMmu, SplitAndCollapse) {
  EptMmu m(make_ept_config(4, 46));
  ASSERT_EQ(m.map(kA, 0x200000, kH, {}, 1), 0);
  EXPECT_EQ(m.walk(kA, kRead).level, 1u);
  EXPECT_EQ(m.split(kA, 2), kEnoent);
  ASSERT_EQ(m.collapse(kA, 2), 0);
  EXPECT_EQ(m.walk(kA + 0x5000, kRead).level, 2u);
  EXPECT_EQ(m.walk(kA + 0x5000, kRead).hpa, kH + 0x5000);
  ASSERT_EQ(m.split(kA, 2), 0);
  ASSERT_EQ(m.protect(kA + 0x1000, 0x1000, 3, false), 0);
  EXPECT_EQ(m.collapse(kA, 2), kEnoent);  // attributes differ
  EXPECT_EQ(m.split(kA, 1), kEinval);
}

TEST(EptMmu, SppBit) {
  EptMmu m(make_ept_config(4, 46));
  ASSERT_EQ(m.map(kA, 0x1000, kH, {}), 0);
  ASSERT_EQ(m.map(kA + 0x200000, 0x200000, kH + 0x200000, {}), 0);
  EXPECT_EQ(m.set_spp_bit(kA + 0x10, true), 0);
  EXPECT_EQ(m.mem().load(m.entry_pa(kA, 1)) >> 61 & 1, 1u);
  EXPECT_EQ(m.set_spp_bit(kA + 0x200000, true), kEinval);
  EXPECT_EQ(m.set_spp_bit(kA + 0x1000, true), kEnoent);
}

TEST(EptMmu, ArgumentChecks) {
  EptMmu m(make_ept_config(4, 39));
  EXPECT_EQ(m.map(kA + 1, 0x1000, kH, {}), kEinval);
  EXPECT_EQ(m.map(kA, 0x1000, kH + 8, {}), kEinval);
  EXPECT_EQ(m.map(std::uint64_t{1} << 39, 0x1000, kH, {}), kErange);  // GPA beyond MAXPHYADDR
  EXPECT_EQ(m.map(kA, 0x1000, std::uint64_t{1} << 39, {}), kErange);
  EptLeafAttrs bad;
  bad.memtype = 2;
  EXPECT_EQ(m.map(kA, 0x1000, kH, bad), kEinval);
  EXPECT_EQ(m.map(kA, 0x1000, kH, {}, 4), kEinval);
  EXPECT_EQ(m.mem().pages_in_use().size(), 1u);
}

TEST(EptMmu, EnomemRollsBack) {
  EptMmu m(make_ept_config(4, 46));
  m.mem().cache_set(2, Zone::High);
  EXPECT_EQ(m.map(kA, 0x1000, kH, {}), kEnomem);
  EXPECT_EQ(m.mem().pages_in_use().size(), 1u);
  EXPECT_EQ(m.mem().cache_size(), 2u);
  EXPECT_EQ(m.mem().load(m.root() + 8), 0u);
}

TEST(EptMmu, AccessWritesAd) {
  EptMmu m(make_ept_config(4, 46, true));
  ASSERT_EQ(m.map(kA, 0x1000, kH, {}), 0);
  const auto r = m.access(kA, kWrite);
  ASSERT_EQ(r.outcome, EptOutcome::Translation);
  EXPECT_TRUE(m.mem().load(m.entry_pa(kA, 1)) & ept::kDirty.mask());
  EXPECT_TRUE(m.mem().load(m.entry_pa(kA, 4)) & ept::kAccessed.mask());
  // A/D are not part of the abstract state.
  spec::EptSpec s(m.config());
  ASSERT_EQ(s.map(kA, 0x1000, kH, {}), 0);
  EXPECT_EQ(spec::diff(s.runs(), spec::abstraction(m)), "");
}

TEST(EptMmu, WriteRawRefusesForeignTableLinks) {
  EptMmu m(make_ept_config(4, 46));
  ASSERT_EQ(m.map(kA, 0x1000, kH, {}), 0);
  EXPECT_THROW(m.write_raw(m.entry_pa(kA, 2), kH | 7), InputError);  // non-leaf PDE to a non-table
  EXPECT_THROW(m.write_raw(kH, 0), InputError);                       // not a table entry
}

}  // namespace
}  // namespace ptspec::x86
