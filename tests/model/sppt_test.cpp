// x86.sppt model: the SPPT table (setup, get, lazy invalidation and
// re-validation, clear, free) and its decoder.
#include <gtest/gtest.h>

#include <cstdint>

#include "model/core/errors.hpp"
#include "model/x86/spp_vector.hpp"
#include "model/x86/sppt.hpp"
#include "model/x86/sppt_decode.hpp"

namespace ptspec::x86 {
namespace {

constexpr std::uint64_t kGfn = 0x40000;  // GPA 1 GiB

std::size_t count(const EventLog& log, EventKind k) {
  std::size_t n = 0;
  for (const Event& e : log.events()) n += e.kind == k;
  return n;
}

std::size_t tables(const Sppt& t) {
  std::size_t n = 0;
  t.for_each_table([&](const SpptTable&, bool) { ++n; });
  return n;
}

TEST(Sppt, SetupAllocatesLevelsWritesVectorAndFlushes) {
  Sppt t(46);
  EXPECT_EQ(tables(t), 1u);
  EXPECT_FALSE(t.get(kGfn));
  ASSERT_EQ(t.setup_structure(kGfn, 0xFFFF'0000u), 0);
  EXPECT_EQ(tables(t), 4u);
  EXPECT_EQ(count(t.log(), EventKind::Alloc), 3u);
  EXPECT_EQ(count(t.log(), EventKind::Write), 4u);  // L4E, L3E, L2E, L1E
  ASSERT_EQ(t.log().events().back().kind, EventKind::TlbiAll);
  ASSERT_TRUE(t.get(kGfn));
  EXPECT_EQ(*t.get(kGfn), 0xFFFF'0000u);
  EXPECT_EQ(*t.vector(kGfn), spp::format_spp_vector_reference(0xFFFF'0000u));
  const SpptWalk w = t.walk((kGfn << 12) + 0x880);
  EXPECT_EQ(w.r.outcome, sppt::Step::Next);
  EXPECT_EQ(w.r.vector, spp::format_spp_vector(0xFFFF'0000u));
  EXPECT_EQ(w.depth, 4u);
  // The neighbour GFN shares the tables; its vector is 0 (no valid bit in a leaf).
  EXPECT_EQ(*t.get(kGfn + 1), 0u);
  EXPECT_EQ(t.mem().allocated_total() - t.mem().freed_total(), t.mem().pages_in_use().size());
}

TEST(Sppt, SameVectorIsNotRewrittenButStillFlushed) {
  Sppt t(46);
  ASSERT_EQ(t.setup_structure(kGfn, 5), 0);
  t.log().clear();
  ASSERT_EQ(t.setup_structure(kGfn, 5), 0);
  EXPECT_EQ(count(t.log(), EventKind::Write), 0u);
  EXPECT_EQ(count(t.log(), EventKind::TlbiAll), 1u);
}

TEST(Sppt, InvalidateThenMissThenRevalidate) {
  Sppt t(46);
  ASSERT_EQ(t.setup_structure(kGfn, 1), 0);
  ASSERT_EQ(t.setup_structure(kGfn + 1, 2), 0);
  const std::uint64_t table_before = sppt::next_table(Concrete{}, 46, t.l2e(kGfn));
  t.log().clear();
  ASSERT_EQ(t.invalidate_l2e(kGfn), 0);
  EXPECT_FALSE(sppt::is_valid(Concrete{}, t.l2e(kGfn)));
  EXPECT_EQ(sppt::next_table(Concrete{}, 46, t.l2e(kGfn)), table_before);  // address kept
  EXPECT_EQ(t.log().events().back().kind, EventKind::TlbiAll);
  const SpptWalk miss = t.walk(kGfn << 12);
  EXPECT_EQ(miss.r.outcome, sppt::Step::Miss);
  EXPECT_EQ(miss.r.level, 2u);
  // The vectors are still there, under the invalidated entry.
  EXPECT_EQ(*t.get(kGfn + 1), 2u);
  // setup_structure re-validates the same table rather than allocating.
  const auto allocated = t.mem().allocated_total();
  ASSERT_EQ(t.setup_structure(kGfn, 3), 0);
  EXPECT_EQ(t.mem().allocated_total(), allocated);
  EXPECT_TRUE(sppt::is_valid(Concrete{}, t.l2e(kGfn)));
  EXPECT_EQ(sppt::next_table(Concrete{}, 46, t.l2e(kGfn)), table_before);
  EXPECT_EQ(t.walk(kGfn << 12).r.vector, spp::format_spp_vector(3));
  // Invalidating where there is no L2 table does nothing.
  t.log().clear();
  EXPECT_EQ(t.invalidate_l2e(0x100000), 0);
  EXPECT_EQ(t.log().size(), 0u);
}

TEST(Sppt, ClearAndFreeRegion) {
  Sppt t(40);
  ASSERT_EQ(t.setup_structure(kGfn, 0xFF), 0);
  ASSERT_EQ(t.setup_structure(kGfn + 512, 0xF0), 0);  // the next 2 MiB region: own L1 table
  EXPECT_EQ(tables(t), 5u);
  ASSERT_EQ(t.clear_vector(kGfn), 0);
  EXPECT_EQ(*t.get(kGfn), 0u);
  ASSERT_EQ(t.free_region(kGfn), 0);
  EXPECT_EQ(tables(t), 4u);  // only the L1 table went: the L2 table still has the other region
  EXPECT_FALSE(t.get(kGfn));
  EXPECT_EQ(*t.get(kGfn + 512), 0xF0u);
  ASSERT_EQ(t.free_region(kGfn + 512), 0);
  EXPECT_EQ(tables(t), 1u);  // everything but the root
  EXPECT_EQ(t.mem().pages_in_use().size(), 1u);
  EXPECT_EQ(t.mem().allocated_total() - t.mem().freed_total(), 1u);
  EXPECT_EQ(t.log().events().back().kind, EventKind::TlbiAll);
  EXPECT_EQ(t.free_region(kGfn), 0);  // nothing left: no-op
}

TEST(Sppt, BadInput) {
  EXPECT_THROW(Sppt(35), InputError);
  EXPECT_THROW(Sppt(53), InputError);
  Sppt t(46);
  EXPECT_EQ(t.setup_structure(kSpptGfnLimit, 1), kEinval);
  EXPECT_EQ(t.invalidate_l2e(kSpptGfnLimit), kEinval);
  EXPECT_THROW(t.write_raw(kGfn << 12, 1, 1), InputError);  // no L1 table yet
  EXPECT_THROW(t.write_raw(kGfn << 12, 5, 1), InputError);
}

TEST(Sppt, EnomemRollsBack) {
  Sppt t(46);
  t.mem().cache_set(2, Zone::High);
  t.log().clear();
  EXPECT_EQ(t.setup_structure(kGfn, 1), kEnomem);
  EXPECT_EQ(tables(t), 1u);
  EXPECT_EQ(t.log().events().back().kind, EventKind::Rollback);
  EXPECT_EQ(t.mem().cache_size(), 2u);
}

TEST(Sppt, RawWritesShowInTheWalk) {
  Sppt t(46);
  ASSERT_EQ(t.setup_structure(kGfn, 1), 0);
  t.write_raw(kGfn << 12, 1, 0x2);  // an odd bit
  EXPECT_EQ(t.walk(kGfn << 12).r.outcome, sppt::Step::Misconfig);
  const std::uint64_t l3e = t.walk(kGfn << 12).entries[1];
  t.write_raw(kGfn << 12, 3, l3e | 0x10);  // bit 4: reserved in a non-leaf entry
  const SpptWalk w = t.walk(kGfn << 12);
  EXPECT_EQ(w.r.outcome, sppt::Step::Misconfig);
  EXPECT_EQ(w.r.level, 3u);
}

TEST(SpptDecode, Leaf) {
  const DecodedEntry e = decode_sppt(46, spp::format_spp_vector(0x3), 1);
  EXPECT_EQ(e.kind, "leaf vector");
  ASSERT_GE(e.fields.size(), 32u);
  EXPECT_NE(e.fields[0].meaning.find("writable"), std::string::npos);
  EXPECT_NE(e.fields[2].meaning.find("write-protected"), std::string::npos);
  EXPECT_NE(e.fields[31].meaning.find("0xf80-0xfff"), std::string::npos);
  EXPECT_TRUE(e.problems.empty());
  const DecodedEntry bad = decode_sppt(46, 0x1 | (std::uint64_t{1} << 63), 1);
  ASSERT_EQ(bad.problems.size(), 1u);
  EXPECT_NE(bad.problems[0].find("bit 63"), std::string::npos);
}

TEST(SpptDecode, NonLeaf) {
  const DecodedEntry ok = decode_sppt(46, 0x1'2345'6001, 3);
  EXPECT_EQ(ok.kind, "table");
  EXPECT_TRUE(ok.problems.empty());
  const DecodedEntry inv = decode_sppt(46, 0x1'2345'6000, 2);
  EXPECT_EQ(inv.kind, "invalidated");
  const DecodedEntry bad = decode_sppt(40, 0x1'2345'6003 | (std::uint64_t{1} << 45), 4);
  ASSERT_EQ(bad.problems.size(), 2u);
  EXPECT_NE(bad.problems[0].find("bit 1 "), std::string::npos);
  EXPECT_NE(bad.problems[1].find("bit 45"), std::string::npos);
  EXPECT_NE(bad.problems[1].find("MAXPHYADDR 40"), std::string::npos);
}

TEST(SpptDecode, UnknownLevelAndBadInput) {
  const DecodedEntry e = decode_sppt(46, 0x3, -1);
  EXPECT_NE(e.summary.find("as an L1E"), std::string::npos);
  EXPECT_NE(e.summary.find("as an L2E..L4E"), std::string::npos);
  EXPECT_EQ(e.problems.size(), 2u);  // odd bit 1 as a leaf; bit 1 reserved as a non-leaf
  EXPECT_THROW(decode_sppt(46, 0, 5), InputError);
  EXPECT_THROW(decode_sppt(46, 0, 0), InputError);
  EXPECT_THROW(decode_sppt(30, 0, 1), InputError);
}

}  // namespace
}  // namespace ptspec::x86
