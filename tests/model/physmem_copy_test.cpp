// Deep copies of PhysMem and EptMmu (added so x86.tdx systems are values
// that snapshot and roll back): the copy has the same frames, counts, cache
// and counters, is independent of the original, logs to its own log, and
// cannot be taken inside a transaction.
#include <gtest/gtest.h>

#include <stdexcept>

#include "model/core/physmem.hpp"
#include "model/x86/ept_mmu.hpp"

namespace ptspec {
namespace {

TEST(PhysMemCopy, DeepAndIndependent) {
  EventLog log, log2;
  PhysMem m(12, &log);
  const std::uint64_t root = m.alloc_contiguous(1, Zone::High);
  m.cache_set(2, Zone::High);
  const std::uint64_t p = *m.cache_alloc();
  m.store(p + 8, 0x1234);
  m.get_page(p);
  PhysMem c(m, &log2);
  EXPECT_EQ(c.load(p + 8), 0x1234u);
  EXPECT_EQ(c.page_count(p), 2u);
  EXPECT_EQ(c.cache_size(), 1u);
  EXPECT_FALSE(c.cache_auto());
  EXPECT_EQ(c.pages_in_use(), m.pages_in_use());
  EXPECT_EQ(c.allocated_total(), m.allocated_total());
  EXPECT_EQ(c.log(), &log2);
  c.store(p + 8, 7);
  c.put_page(p);
  EXPECT_EQ(m.load(p + 8), 0x1234u);
  EXPECT_EQ(m.page_count(p), 2u);
  EXPECT_EQ(c.page_count(p), 1u);
  EXPECT_EQ(log2.size(), 1u);  // the put, in the copy's log only
  // assign_from restores the original into the copy (a rollback).
  c.assign_from(m);
  EXPECT_EQ(c.load(p + 8), 0x1234u);
  EXPECT_EQ(c.page_count(root), m.page_count(root));
  m.begin();
  EXPECT_THROW(PhysMem(m, nullptr), std::logic_error);
  EXPECT_THROW(c.assign_from(m), std::logic_error);
  m.rollback();
  PhysMem other(13, nullptr);
  EXPECT_THROW(other.assign_from(m), std::logic_error);
}

TEST(EptMmuCopy, TablesAndLogAreCopied) {
  x86::EptConfig cfg;
  x86::EptMmu a(cfg);
  ASSERT_EQ(a.map(0x20'0000, 0x1000, 0x5000'0000, x86::EptLeafAttrs{}), 0);
  x86::EptMmu b = a;
  EXPECT_EQ(b.dump(), a.dump());
  EXPECT_EQ(b.log().size(), a.log().size());
  EXPECT_EQ(b.mem().log(), &b.log());
  ASSERT_EQ(b.unmap(0x20'0000, 0x1000), 0);
  EXPECT_EQ(a.walk(0x20'0000, x86::EptAccess{}).outcome, x86::EptOutcome::Translation);
  EXPECT_EQ(b.walk(0x20'0000, x86::EptAccess{}).outcome, x86::EptOutcome::Violation);
  b = a;
  EXPECT_EQ(b.walk(0x20'0000, x86::EptAccess{}).outcome, x86::EptOutcome::Translation);
  EXPECT_EQ(b.mem().log(), &b.log());
}

}  // namespace
}  // namespace ptspec
