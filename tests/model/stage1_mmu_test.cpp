// arm64.stage1: the kvm-unit-tests library operations (their micro-step
// sequences, results and refusals), the per-CPU TLB, and each variant's
// observable staleness -- a later access on some CPU uses a translation the
// tables no longer give -- against the fixed library, where the same
// scenario is clean.
#include <gtest/gtest.h>

#include "model/arm64/stage1_mmu.hpp"

namespace ptspec::arm64::s1 {
namespace {

constexpr std::uint64_t kVa = 0x4000'0000;
constexpr std::uint64_t kPa = 0x8000'0000;

Stage1Config cfg(Stage1Variant v = Stage1Variant::None, unsigned granule = 4096) {
  Stage1Config c = Stage1Config::make(granule, 48, 48, 2);
  c.variant = v;
  return c;
}

// The kinds of the events of op `i`.
std::vector<EventKind> kinds_of(const Stage1Mmu& m, std::size_t i) {
  std::vector<EventKind> k;
  const OpRecord& r = m.ops().at(i);
  for (std::size_t e = r.first_event; e < r.end_event; ++e) {
    EXPECT_EQ(m.log().events()[e].op, i);
    k.push_back(m.log().events()[e].kind);
  }
  return k;
}

bool el0_reads(Stage1Mmu& m, unsigned cpu, std::uint64_t va) { return m.access(cpu, va, El::El0, Access::Read).ok(); }

using K = EventKind;

TEST(Stage1Ops, InstallPageSequence) {
  Stage1Mmu m{cfg()};
  ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
  // Three tables linked (L0->L1->L2->L3), the leaf, then flush_tlb_page.
  const std::vector<K> want = {K::Alloc, K::Write, K::Alloc, K::Write, K::Alloc, K::Write, K::Write,
                               K::Dsb,   K::TlbiVa, K::Dsb,  K::Isb};
  EXPECT_EQ(kinds_of(m, 0), want);
  const auto& ev = m.log().events();
  const OpRecord& r = m.ops()[0];
  EXPECT_TRUE(r.done);
  for (std::size_t e = r.first_event; e < r.end_event; ++e)
    if (ev[e].kind == K::Write) {
      EXPECT_EQ(ev[e].flags, kEventSingleCopyAtomic);
    }
  EXPECT_EQ(ev[r.end_event - 4].level, static_cast<std::uint8_t>(DsbKind::Ishst));
  EXPECT_EQ(ev[r.end_event - 3].flags, kEventBroadcast);
  EXPECT_EQ(ev[r.end_event - 3].addr, kVa);
  EXPECT_EQ(ev[r.end_event - 2].level, static_cast<std::uint8_t>(DsbKind::Ish));
  // A second page in the same L3 table: no allocation, one store.
  ASSERT_EQ(m.install_page(0, kVa + 0x1000, kPa + 0x1000), 0);
  EXPECT_EQ(kinds_of(m, 1), (std::vector<K>{K::Write, K::Dsb, K::TlbiVa, K::Dsb, K::Isb}));
  EXPECT_TRUE(m.pending_stores().empty());
  EXPECT_TRUE(m.pending_tlbis().empty());
}

TEST(Stage1Ops, MapRangeAndSect) {
  Stage1Mmu m{cfg()};
  // mmu_set_range_ptes masks the start down to a page: 3 pages.
  ASSERT_EQ(m.map_range(0, kVa + 0x10, kPa + 0x10, 0x2ff0), 0);
  ASSERT_EQ(m.map_sect(0, 0x8000'0000, 0x1'0000'0000, 0x40'0000), 0);  // two 2 MiB sections
  unsigned pages = 0, blocks = 0;
  m.for_each_leaf(0, [&](std::uint64_t va, unsigned level, std::uint64_t pte, std::uint64_t) {
    if (level == 3) {
      ++pages;
      EXPECT_EQ(oa_of(Concrete{}, m.geo(), pte) - kPa, va - kVa);
    } else {
      ++blocks;
      EXPECT_EQ(level, 2u);
    }
  });
  EXPECT_EQ(pages, 3u);
  EXPECT_EQ(blocks, 2u);
  // Every store says the VA of the install it belongs to: the one the
  // following TLBI names.
  std::uint64_t last_store_va = ~std::uint64_t{0};
  for (const Event& e : m.log().events()) {
    if (e.kind == K::Write) last_store_va = e.addr;
    if (e.kind == K::TlbiVa) {
      EXPECT_EQ(e.addr, last_store_va);
    }
  }
  EXPECT_EQ(last_store_va, 0x8020'0000u);
}

TEST(Stage1Ops, RefusalsChangeNothing) {
  Stage1Mmu m{cfg()};
  ASSERT_EQ(m.install_block(0, kVa, kPa, 2), 0);
  const auto pages = m.mem().pages_in_use();
  const std::size_t events = m.log().size();
  // A page under a block, a block over a table.
  EXPECT_EQ(m.install_page(0, kVa + 0x1000, kPa), kEinval);
  ASSERT_EQ(m.install_page(0, kVa + 0x20'0000, kPa), 0);
  const auto pages2 = m.mem().pages_in_use();
  const std::size_t events2 = m.log().size();
  EXPECT_EQ(m.install_block(0, kVa + 0x20'0000, kPa, 2), kEinval);
  EXPECT_EQ(m.mem().pages_in_use(), pages2);
  EXPECT_EQ(m.log().size(), events2);
  EXPECT_GT(pages2.size(), pages.size());
  EXPECT_GT(events2, events);
  EXPECT_EQ(m.ops().back().result, kEinval);
  EXPECT_TRUE(m.ops().back().done);
}

TEST(Stage1Ops, BadArgumentsThrowNamingTheField) {
  Stage1Mmu m{cfg()};
  auto what = [&](auto fn) {
    try {
      fn();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(what([&] { m.install_page(2, kVa, kPa); }).find("cpu 2"), std::string::npos);
  EXPECT_NE(what([&] { m.install_page(0, kVa + 8, kPa); }).find("va"), std::string::npos);
  EXPECT_NE(what([&] { m.install_page(0, kVa, kPa + 8); }).find("pa"), std::string::npos);
  EXPECT_NE(what([&] { m.install_page(0, std::uint64_t{1} << 48, kPa); }).find("va"), std::string::npos);
  EXPECT_NE(what([&] { m.install_block(0, kVa, kPa, 3); }).find("level"), std::string::npos);
  EXPECT_NE(what([&] { m.install_block(0, kVa + 0x1000, kPa, 2); }).find("va"), std::string::npos);
  EXPECT_NE(what([&] { m.map_range(0, kVa, kPa, 0); }).find("size"), std::string::npos);
  EXPECT_NE(what([&] { m.clear_user(0, kVa, 0x1234000); }).find("root"), std::string::npos);
  Prot p;
  EXPECT_FALSE(Prot::parse("user,bogus", p));
  ASSERT_TRUE(Prot::parse("kernel,rdonly,uxn", p));
  EXPECT_EQ(p.str(), "kernel,rdonly,uxn");
  // One operation in flight per CPU.
  m.start({OpKind::FlushTlbAll, 0});
  EXPECT_NE(what([&] { m.start({OpKind::FlushTlbAll, 0}); }).find("in flight"), std::string::npos);
  EXPECT_NO_THROW(m.start({OpKind::FlushTlbAll, 1}));
  m.finish(0);
  m.finish(1);
  EXPECT_TRUE(m.ops().empty() == false && m.ops().back().done);
}

TEST(Stage1Ops, MmuEnableDisableSequences) {
  Stage1Mmu m{cfg()};
  ASSERT_EQ(m.mmu_enable(1), 0);
  EXPECT_EQ(kinds_of(m, 0), (std::vector<K>{K::TlbiVmall, K::Dsb, K::Isb, K::MmuOn, K::Isb}));
  const auto& ev = m.log().events();
  EXPECT_EQ(ev[m.ops()[0].first_event].flags & kEventBroadcast, 0);  // local TLBI VMALLE1
  EXPECT_EQ(ev[m.ops()[0].first_event + 1].level, static_cast<std::uint8_t>(DsbKind::Nsh));
  EXPECT_EQ(ev[m.ops()[0].first_event].cpu, 1);
  EXPECT_TRUE(m.cpu(1).mmu_on);
  EXPECT_EQ(m.cpu(1).ttbr, m.root());
  EXPECT_FALSE(m.cpu(0).mmu_on);
  ASSERT_EQ(m.mmu_disable(1), 0);
  EXPECT_EQ(kinds_of(m, 1), (std::vector<K>{K::MmuOff, K::Isb}));
  EXPECT_FALSE(m.cpu(1).mmu_on);
}

TEST(Stage1Ops, MmuOnTakesEffectAtTheIsb) {
  Stage1Mmu m{cfg()};
  m.start({OpKind::MmuEnable, 0});
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(m.step(0));  // up to the SCTLR write
  EXPECT_TRUE(m.cpu(0).sctlr_m);
  EXPECT_FALSE(m.cpu(0).mmu_on);
  EXPECT_TRUE(m.busy(0));
  EXPECT_EQ(m.remaining_steps(0).size(), 1u);
  ASSERT_TRUE(m.step(0));
  EXPECT_TRUE(m.cpu(0).mmu_on);
  EXPECT_FALSE(m.step(0));
}

TEST(Stage1Ops, ClearUserOnPageAndBlock) {
  Stage1Mmu m{cfg()};
  ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
  ASSERT_EQ(m.install_block(0, kVa + 0x20'0000, kPa, 2), 0);
  // MMU off on the calling CPU: mmu_get_pte returns NULL, nothing happens.
  const std::size_t before = m.log().size();
  EXPECT_EQ(m.clear_user(0, kVa), kEnoent);
  EXPECT_EQ(m.log().size(), before);
  ASSERT_EQ(m.mmu_enable(0), 0);
  EXPECT_EQ(m.clear_user(0, kVa + 0x40'0000), kEnoent);  // unmapped
  for (std::uint64_t va : {kVa, kVa + 0x20'0000 + 0x5000}) {
    const Translation t0 = m.translate(m.root(), va, El::El0, Access::Read, false, View::Latest);
    ASSERT_TRUE(t0.ok());
    ASSERT_EQ(m.clear_user(0, va), 0);
    const std::size_t op = m.ops().size() - 1;
    EXPECT_EQ(kinds_of(m, op), (std::vector<K>{K::Write, K::Dsb, K::TlbiVa, K::Dsb, K::Isb}));
    const Event& w = m.log().events()[m.ops()[op].first_event];
    EXPECT_EQ(w.pa, t0.ptep);                      // the descriptor that maps va
    EXPECT_EQ(w.old_value ^ w.new_value, bit(6));  // only AP[1]
    const Translation t1 = m.translate(m.root(), va, El::El0, Access::Read, false, View::Latest);
    EXPECT_EQ(t1.fault, Fault::Permission);
    EXPECT_EQ(t1.level, t0.level);
    EXPECT_TRUE(m.translate(m.root(), va, El::El1, Access::Read, false, View::Latest).ok());
  }
}

TEST(Stage1Tlb, FixedLibraryLeavesNoStaleTranslation) {
  Stage1Mmu m{cfg()};
  ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
  ASSERT_EQ(m.mmu_enable(0), 0);
  ASSERT_EQ(m.mmu_enable(1), 0);
  ASSERT_TRUE(el0_reads(m, 1, kVa));
  ASSERT_FALSE(m.cpu(1).tlb.empty());
  EXPECT_TRUE(m.access(1, kVa, El::El0, Access::Read).tlb_hit);
  ASSERT_EQ(m.clear_user(0, kVa), 0);
  EXPECT_TRUE(m.cpu(1).tlb.empty());
  const Translation t = m.access(1, kVa, El::El0, Access::Read);
  EXPECT_EQ(t.fault, Fault::Permission);
  EXPECT_FALSE(t.tlb_hit);
  // The permission-faulting walk was cached: the leaf is valid.
  EXPECT_TRUE(m.access(1, kVa, El::El0, Access::Read).tlb_hit);
}

TEST(Stage1Tlb, InterleavedAccessesAroundTheFixedSequence) {
  // CPU1 reads between each step of CPU0's clear_user: whatever it cached,
  // once the operation returns CPU1 sees the new entry.
  for (std::size_t at = 0; at <= 5; ++at) {
    Stage1Mmu m{cfg()};
    ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
    ASSERT_EQ(m.mmu_enable(0), 0);
    ASSERT_EQ(m.mmu_enable(1), 0);
    ASSERT_EQ(m.start({OpKind::ClearUser, 0, 0, kVa}), 0);
    for (std::size_t i = 0; i < at; ++i) ASSERT_TRUE(m.step(0));
    m.access(1, kVa, El::El0, Access::Read);
    m.finish(0);
    EXPECT_EQ(m.access(1, kVa, El::El0, Access::Read).fault, Fault::Permission) << "CPU1 read after step " << at;
  }
}

TEST(Stage1Variants, NoTlbiAfterClearLeavesTheUserTranslation) {
  Stage1Mmu m{cfg(Stage1Variant::NoTlbiAfterClear)};
  ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
  ASSERT_EQ(m.mmu_enable(0), 0);
  ASSERT_EQ(m.mmu_enable(1), 0);
  ASSERT_TRUE(el0_reads(m, 1, kVa));
  ASSERT_EQ(m.clear_user(0, kVa), 0);
  EXPECT_EQ(kinds_of(m, m.ops().size() - 1), (std::vector<K>{K::Write}));
  const Translation t = m.access(1, kVa, El::El0, Access::Read);
  EXPECT_TRUE(t.ok());
  EXPECT_TRUE(t.tlb_hit);
  // ... which the tables no longer allow.
  EXPECT_EQ(m.translate(m.root(), kVa, El::El0, Access::Read, false, View::Latest).fault, Fault::Permission);
}

TEST(Stage1Variants, NoDsbAfterTlbiLeavesTheInvalidationIncomplete) {
  Stage1Mmu m{cfg(Stage1Variant::NoDsbAfterTlbi)};
  ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
  ASSERT_EQ(m.mmu_enable(0), 0);
  ASSERT_EQ(m.mmu_enable(1), 0);
  ASSERT_TRUE(el0_reads(m, 1, kVa));
  ASSERT_EQ(m.clear_user(0, kVa), 0);
  ASSERT_FALSE(m.pending_tlbis().empty());
  EXPECT_EQ(m.pending_tlbis().back().cpu, 0u);
  const Translation t = m.access(1, kVa, El::El0, Access::Read);
  EXPECT_TRUE(t.ok());
  EXPECT_TRUE(t.tlb_hit);
  ASSERT_NE(m.cpu(1).tlb.lookup(kVa), nullptr);
  EXPECT_FALSE(m.cpu(1).tlb.lookup(kVa)->doomed_by.empty());
}

TEST(Stage1Variants, NoDsbBeforeTlbiLetsAWalkRecacheTheOldEntry) {
  // CPU1 reads after the TLBI was issued but before CPU0's DSB ISH: without
  // the DSB ISHST the store is still invisible to walks, so CPU1 caches the
  // old user entry after the invalidation -- and keeps it.
  for (auto v : {Stage1Variant::None, Stage1Variant::NoDsbBeforeTlbi}) {
    Stage1Mmu m{cfg(v)};
    ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
    ASSERT_EQ(m.mmu_enable(0), 0);
    ASSERT_EQ(m.mmu_enable(1), 0);
    ASSERT_EQ(m.start({OpKind::ClearUser, 0, 0, kVa}), 0);
    while (m.busy(0)) {
      const bool tlbi = m.remaining_steps(0).front().kind == K::TlbiVa;
      m.step(0);
      if (tlbi) break;
    }
    m.access(1, kVa, El::El0, Access::Read);
    m.finish(0);
    const Translation t = m.access(1, kVa, El::El0, Access::Read);
    if (v == Stage1Variant::None) {
      EXPECT_EQ(t.fault, Fault::Permission);
    } else {
      EXPECT_TRUE(t.ok());
      EXPECT_TRUE(t.tlb_hit);
    }
  }
}

TEST(Stage1Variants, NoTlbFlushBeforeMmuEnableUsesEntriesOfAnotherTable) {
  for (auto v : {Stage1Variant::None, Stage1Variant::NoTlbFlushBeforeMmuEnable}) {
    Stage1Mmu m{cfg(v)};
    const std::uint64_t other = m.new_table();
    ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
    ASSERT_EQ(m.install_page(0, kVa, kPa + 0x10'0000, Prot{}, other), 0);
    ASSERT_EQ(m.mmu_enable(0), 0);
    ASSERT_EQ(m.access(0, kVa, El::El1, Access::Read).pa, kPa);
    ASSERT_EQ(m.mmu_disable(0), 0);
    ASSERT_EQ(m.mmu_enable(0, other), 0);
    const Translation t = m.access(0, kVa, El::El1, Access::Read);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t.pa, v == Stage1Variant::None ? kPa + 0x10'0000 : kPa);
    EXPECT_EQ(t.tlb_hit, v != Stage1Variant::None);
  }
}

TEST(Stage1Variants, ClearUserPageOnlyMissesABlock) {
  Stage1Mmu m{cfg(Stage1Variant::ClearUserPageOnly)};
  ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
  ASSERT_EQ(m.install_block(0, kVa + 0x20'0000, kPa, 2), 0);
  ASSERT_EQ(m.mmu_enable(0), 0);
  // On a page it works.
  ASSERT_EQ(m.clear_user(0, kVa), 0);
  EXPECT_EQ(m.access(0, kVa, El::El0, Access::Read).fault, Fault::Permission);
  // On a block it writes through the block's output address and leaves the
  // block user-accessible.
  const std::uint64_t blk = kVa + 0x20'0000 + 0x3000;
  ASSERT_EQ(m.clear_user(0, blk), 0);
  const std::size_t op = m.ops().size() - 1;
  EXPECT_EQ(kinds_of(m, op), (std::vector<K>{K::DataWrite, K::Dsb, K::TlbiVa, K::Dsb, K::Isb}));
  EXPECT_EQ(m.log().events()[m.ops()[op].first_event].pa, kPa + ((blk >> 12) & 0x1ff) * 8);
  EXPECT_TRUE(m.access(0, blk, El::El0, Access::Read).ok());
  EXPECT_TRUE(m.translate(m.root(), blk, El::El0, Access::Read, false, View::Latest).ok());
  // The fixed library on the same tables.
  Stage1Mmu f{cfg()};
  ASSERT_EQ(f.install_block(0, kVa + 0x20'0000, kPa, 2), 0);
  ASSERT_EQ(f.mmu_enable(0), 0);
  ASSERT_EQ(f.clear_user(0, blk), 0);
  EXPECT_EQ(f.access(0, blk, El::El0, Access::Read).fault, Fault::Permission);
}

TEST(Stage1Variants, NoWriteOnceExposesATornDescriptor) {
  // A fresh UXN|PXN page next to an existing one (its L3 table exists):
  // after the first half of a torn store a walk sees a valid page without
  // the execute-never bits (they live in the high word).
  for (auto v : {Stage1Variant::None, Stage1Variant::NoWriteOnce}) {
    Stage1Mmu m{cfg(v)};
    ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
    ASSERT_EQ(m.mmu_enable(1), 0);
    Prot p;
    p.uxn = p.pxn = true;
    ASSERT_EQ(m.start({OpKind::InstallPage, 0, 0, kVa + 0x1000, kPa + 0x1000, 0, 0, p}), 0);
    ASSERT_TRUE(m.step(0));
    const Translation t = m.access(1, kVa + 0x1000, El::El0, Access::Fetch);
    if (v == Stage1Variant::None) {
      EXPECT_EQ(t.fault, Fault::Translation);  // the store is not visible yet
      EXPECT_EQ(m.log().events().back().flags, kEventSingleCopyAtomic);
    } else {
      EXPECT_TRUE(t.ok()) << t.describe();  // executable: neither the old nor the new entry
      EXPECT_EQ(m.log().events().back().flags, kEventTornHalf);
    }
    m.finish(0);
    // Once complete, the page is execute-never for EL0.
    EXPECT_EQ(m.access(1, kVa + 0x1000 + 8, El::El0, Access::Fetch).fault, Fault::Permission);
  }
}

TEST(Stage1Ops, RawStepsBuildTheLibrarySequenceByHand) {
  // A hand-written clear of the user bit with the full sequence is clean; a
  // bad micro-step is an InputError.
  Stage1Mmu m{cfg()};
  ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
  ASSERT_EQ(m.mmu_enable(1), 0);
  ASSERT_TRUE(el0_reads(m, 1, kVa));
  const Translation t = m.translate(m.root(), kVa, El::El0, Access::Read, false, View::Latest);
  Event w{K::Write, 3, t.ptep, kVa, 0, t.pte & ~bit(6), 0, kEventSingleCopyAtomic};
  m.raw_step(0, w);
  EXPECT_TRUE(el0_reads(m, 1, kVa));  // not yet visible, still cached
  m.raw_step(0, {K::Dsb, static_cast<std::uint8_t>(DsbKind::Ishst)});
  Event tlbi{K::TlbiVa};
  tlbi.addr = kVa;
  tlbi.flags = kEventBroadcast;
  m.raw_step(0, tlbi);
  EXPECT_TRUE(el0_reads(m, 1, kVa));  // doomed but not yet gone
  m.raw_step(0, {K::Dsb, static_cast<std::uint8_t>(DsbKind::Ish)});
  m.raw_step(0, {K::Isb});
  EXPECT_FALSE(el0_reads(m, 1, kVa));
  EXPECT_EQ(m.log().events().back().kind, K::Isb);
  EXPECT_EQ(m.log().events().back().cpu, 0);
  Event bad{K::Write, 3, t.ptep + 4, kVa, 0, 0, 0, kEventSingleCopyAtomic};
  EXPECT_THROW(m.raw_step(0, bad), InputError);
  EXPECT_THROW(m.raw_step(0, {K::Alloc}), InputError);
  EXPECT_THROW(m.raw_step(0, {K::MmuOn, 0, 0x1234000}), InputError);
  EXPECT_THROW(m.raw_step(0, {K::Dsb, 9}), InputError);
  m.start({OpKind::FlushTlbAll, 0});
  EXPECT_THROW(m.raw_step(0, {K::Isb}), InputError);
}

TEST(Stage1Model, CopiesAreIndependent) {
  Stage1Mmu m{cfg()};
  ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
  ASSERT_EQ(m.mmu_enable(1), 0);
  ASSERT_TRUE(el0_reads(m, 1, kVa));
  Stage1Mmu c = m;
  ASSERT_EQ(c.clear_user(1, kVa), 0);
  EXPECT_FALSE(el0_reads(c, 1, kVa));
  EXPECT_TRUE(el0_reads(m, 1, kVa));  // original tables and TLB untouched
  EXPECT_GT(c.log().size(), m.log().size());
  EXPECT_EQ(c.ops().size(), m.ops().size() + 1);
  m = c;
  EXPECT_FALSE(el0_reads(m, 1, kVa));
  EXPECT_EQ(m.dump(), c.dump());
}

}  // namespace
}  // namespace ptspec::arm64::s1
