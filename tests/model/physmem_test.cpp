#include "model/core/physmem.hpp"

#include <gtest/gtest.h>

namespace ptspec {
namespace {

TEST(PhysMem, ZonesPlaceFramesBelowAndAbove4GiB) {
  PhysMem m(12);
  std::uint64_t low = m.alloc_contiguous(2, Zone::Low);
  std::uint64_t high = m.alloc_contiguous(1, Zone::High);
  EXPECT_LT(low + 2 * 4096, PhysMem::kLowLimit);
  EXPECT_GE(high, PhysMem::kLowLimit);
  EXPECT_EQ(m.zone_of(low), Zone::Low);
  EXPECT_EQ(m.zone_of(high), Zone::High);
  EXPECT_EQ(m.page_count(low), 1u);
  EXPECT_EQ(m.page_count(low + 4096), 1u);
  EXPECT_EQ(m.find(high + 4096), nullptr);  // nothing backs the next page
}

TEST(PhysMem, ManualCacheRunsDry) {
  EventLog log;
  PhysMem m(12, &log);
  m.cache_set(1, Zone::High);
  auto a = m.cache_alloc();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(m.load(*a), 0u);
  EXPECT_FALSE(m.cache_alloc().has_value());
  m.cache_set_auto(Zone::High);
  EXPECT_TRUE(m.cache_alloc().has_value());
}

TEST(PhysMem, RefcountZeroFreesAndRecyclesZeroed) {
  PhysMem m(12);
  auto a = *m.cache_alloc();
  m.store(a + 8, 0xdead);
  EXPECT_EQ(m.get_page(a), 2u);
  EXPECT_EQ(m.put_page(a), 1u);
  EXPECT_EQ(m.put_page(a), 0u);
  EXPECT_EQ(m.state_of(a), FrameState::Free);
  EXPECT_EQ(m.freed_total(), 1u);
  auto b = *m.cache_alloc();
  EXPECT_EQ(b, a);  // recycled from the free list...
  EXPECT_EQ(m.load(b + 8), 0u);  // ...and zeroed, like a memcache page
  EXPECT_THROW(m.store(0x1234'5000, 1), std::logic_error);
}

TEST(PhysMem, RollbackRestoresEverything) {
  EventLog log;
  PhysMem m(12, &log);
  std::uint64_t root = m.alloc_contiguous(1, Zone::High);
  m.store(root, 7);
  m.cache_set(2, Zone::High);
  const auto allocated = m.allocated_total();
  m.begin();
  m.store(root, 9);
  auto t = *m.cache_alloc();
  m.get_page(root);
  m.put_page(t);  // count 1 -> 0: pending free
  EXPECT_EQ(m.state_of(t), FrameState::PendingFree);
  m.rollback();
  EXPECT_EQ(m.load(root), 7u);
  EXPECT_EQ(m.page_count(root), 1u);
  EXPECT_EQ(m.cache_size(), 2u);
  EXPECT_EQ(m.state_of(t), FrameState::Cached);
  EXPECT_EQ(m.allocated_total(), allocated);
  EXPECT_EQ(m.freed_total(), 0u);
  ASSERT_FALSE(log.events().empty());
  EXPECT_EQ(log.events().back().kind, EventKind::Rollback);
}

TEST(PhysMem, CommitReleasesPendingFrees) {
  PhysMem m(12);
  m.begin();
  auto t = *m.cache_alloc();
  m.put_page(t);
  m.commit();
  EXPECT_EQ(m.state_of(t), FrameState::Free);
  EXPECT_TRUE(m.pages_in_use().empty());
}

}  // namespace
}  // namespace ptspec

namespace ptspec {
namespace {
TEST(PhysMem, ContiguousBlocksAreAlignedToTheirSize) {
  PhysMem m(12);
  (void)m.alloc_contiguous(1, Zone::High);  // misalign the arena's end
  std::uint64_t pgd = m.alloc_contiguous(16, Zone::High);
  EXPECT_EQ(pgd % (16 * 4096), 0u);
  std::uint64_t three = m.alloc_contiguous(3, Zone::High);
  EXPECT_EQ(three % (4 * 4096), 0u);
  EXPECT_TRUE(m.cache_alloc().has_value());  // padding frames are reusable
}
}  // namespace
}  // namespace ptspec
