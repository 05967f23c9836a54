// x86.shadow: the shadow MMU (model/x86/shadow_mmu.hpp) on hand-built guest
// tables: PAE root with four PDPTEs, level_promoted for a 32-bit guest,
// write protection and zapping, root reload, shadow-walk refinement, and
// the npt-32bit-no-pae-root variant.
#include <gtest/gtest.h>

#include <algorithm>

#include "model/core/errors.hpp"
#include "model/x86/shadow_mmu.hpp"
#include "paging_test_util.hpp"

namespace ptspec::x86::shadow {
namespace {

using test::GuestTables;
namespace pg = paging;

constexpr std::uint64_t kSlotGfn = 0x40000, kSlotPages = 0x10000, kSlotPfn = 0x200000;
constexpr std::uint64_t kData = 0x4100'0000;  // a guest data page inside the slot
constexpr std::uint64_t kPWU = 0x7, kPW = 0x3, kPU = 0x5;

ShadowMmuConfig config() {
  ShadowMmuConfig c;
  c.slots = {Memslot{kSlotGfn, kSlotPages, kSlotPfn}};
  return c;
}
std::uint64_t host_of(std::uint64_t gpa) { return ((gpa >> 12) - kSlotGfn + kSlotPfn) << 12 | (gpa & 0xFFF); }
PagingAccess read() { return PagingAccess{pg::AccessKind::Read, false}; }
PagingAccess write() { return PagingAccess{pg::AccessKind::Write, false}; }

struct Fixture {
  GuestTables g;
  EventLog hlog;
  PhysMem host{12, &hlog};
  ShadowMmu mmu;
  Fixture(const x86::PagingContext& ctx, ShadowMmuConfig cfg = config()) : g(ctx), mmu(g.mem, host, cfg) {}
  bool start() { return mmu.set_context(g.ctx, g.cr3()); }
  bool flushed_since(std::size_t mark) const {
    const auto& ev = hlog.events();
    return std::any_of(ev.begin() + static_cast<std::ptrdiff_t>(mark), ev.end(),
                       [](const Event& e) { return e.kind == EventKind::TlbiAll; });
  }
};

TEST(ShadowMmu, PaeGuestFaultsInAPageRootHasFourPdptesOneLinked) {
  Fixture f(test::ctx_pae());
  const std::uint64_t va = 0x4020'3000;  // PDPTE 1
  f.g.set(va, 1, kData | kPWU);
  ASSERT_TRUE(f.start());
  EXPECT_EQ(f.mmu.root_role().level, 3u);
  EXPECT_EQ(f.mmu.root_role().pae_root, 1u);
  EXPECT_EQ(f.host.zone_of(f.mmu.root()), Zone::Low);
  const FaultResult r = f.mmu.page_fault(va, read());
  ASSERT_EQ(r.outcome, FaultOutcome::Fixed) << r.why;
  for (unsigned i = 0; i < 4; ++i) {
    const std::uint64_t e = f.mmu.pae().entry(f.mmu.root(), i);
    if (i == 1) {
      EXPECT_NE(e, f.mmu.pae().default_pdpte());
      EXPECT_TRUE(is_shadow_present_pte(Concrete{}, e));
    } else {
      EXPECT_EQ(e, f.mmu.pae().default_pdpte()) << i;
    }
  }
  EXPECT_EQ(f.mmu.check_pae_entries(), "");
  const ShadowWalk s = f.mmu.shadow_walk(va + 0x123);
  ASSERT_TRUE(s.present);
  EXPECT_EQ(s.host_pa, host_of(kData + 0x123));
  // A read of a clean page maps it read-only, so the first write sets D.
  EXPECT_FALSE(s.perms & pg::kPermW);
  EXPECT_EQ(f.mmu.page_fault(va, write()).outcome, FaultOutcome::Fixed);
  EXPECT_TRUE(f.mmu.shadow_walk(va).perms & pg::kPermW);
  EXPECT_TRUE(f.g.read(f.g.slot(va, 1)) & pg::kD.mask());  // the walk's D write reached the guest
  EXPECT_EQ(f.mmu.check_refinement({va, va + 0x1000, 0}), "");
  EXPECT_EQ(f.mmu.check_no_leak(), "");
}

TEST(ShadowMmu, Bits32NonPseGuestShadowedWithPaeIsLevelPromoted) {
  Fixture f(test::ctx_32(false));
  const std::uint64_t va = 0xC060'1000;  // PDE 0x301: quadrant 3 of the PD, PT half 1
  f.g.set(va, 1, kData | kPWU);
  ASSERT_TRUE(f.start());
  EXPECT_EQ(f.mmu.root_role().level, 3u);
  EXPECT_EQ(f.mmu.root_role().level_promoted, 1u);
  EXPECT_EQ(f.mmu.root_role().has_4_byte_gpte, 1u);
  ASSERT_EQ(f.mmu.page_fault(va, read()).outcome, FaultOutcome::Fixed);
  unsigned seen = 0;
  for (const auto& [pa, sp] : f.mmu.pages()) {
    if (sp.root) continue;
    EXPECT_EQ(sp.role.level_promoted, 0u);
    EXPECT_EQ(sp.role.pae_root, 0u);
    if (sp.role.level == 2) {
      EXPECT_EQ(sp.role.quadrant, 3u);
      EXPECT_EQ(sp.gfn, f.g.cr3() >> 12);
      ++seen;
    }
    if (sp.role.level == 1) {
      EXPECT_EQ(sp.role.quadrant, 1u);
      ++seen;
    }
  }
  EXPECT_EQ(seen, 2u);
  EXPECT_EQ(f.mmu.shadow_walk(va).host_pa, host_of(kData));
  EXPECT_EQ(f.mmu.check_refinement({va, 0xC040'0000}), "");
  EXPECT_EQ(f.mmu.check_pae_entries(), "");
}

TEST(ShadowMmu, GuestWriteToItsOwnPageTableIsEmulatedAndZapsTheShadow) {
  Fixture f(test::ctx_long());
  const std::uint64_t a = 0x10'0000, b = 0x20'0000;
  const std::uint64_t pte_a = f.g.set(a, 1, kData | kPWU);
  const std::uint64_t pt_page = pte_a & ~0xFFFull;
  f.g.set(b, 1, pt_page | kPWU | pg::kD.mask());  // b maps a's page table, writable
  ASSERT_TRUE(f.start());
  ASSERT_EQ(f.mmu.page_fault(a, read()).outcome, FaultOutcome::Fixed);
  EXPECT_TRUE(f.mmu.write_protected(pt_page >> 12));
  const FaultResult wb = f.mmu.page_fault(b, write());
  EXPECT_EQ(wb.outcome, FaultOutcome::Emulate) << wb.why;
  EXPECT_FALSE(f.mmu.shadow_walk(b).perms & pg::kPermW);
  EXPECT_EQ(f.mmu.check_write_protection(), "");
  const std::size_t mark = f.hlog.size();
  f.mmu.write_guest(pte_a, 8, (kData + 0x1000) | kPWU);
  EXPECT_EQ(f.g.read(pte_a), (kData + 0x1000) | kPWU);  // the write landed
  EXPECT_FALSE(f.mmu.shadow_walk(a).present);          // the stale leaf is gone
  EXPECT_FALSE(f.mmu.write_protected(pt_page >> 12));
  EXPECT_TRUE(f.flushed_since(mark));
  EXPECT_EQ(f.mmu.check_refinement({a, b}), "");
  EXPECT_EQ(f.mmu.check_no_leak(), "");
  ASSERT_EQ(f.mmu.page_fault(a, read()).outcome, FaultOutcome::Fixed);
  EXPECT_EQ(f.mmu.shadow_walk(a).host_pa, host_of(kData + 0x1000));
}

TEST(ShadowMmu, Cr3ChangeReloadsTheRootAndFreesTheOldTree) {
  Fixture f(test::ctx_long());
  f.g.set(0x1000, 1, kData | kPWU);
  ASSERT_TRUE(f.start());
  ASSERT_EQ(f.mmu.page_fault(0x1000, read()).outcome, FaultOutcome::Fixed);
  const std::uint64_t old_root = f.mmu.root();
  EXPECT_EQ(f.mmu.pages().size(), 4u);
  const std::uint64_t freed = f.host.freed_total();
  const std::uint64_t new_pml4 = f.g.mem.alloc_contiguous(1, Zone::Low);
  const std::size_t mark = f.hlog.size();
  ASSERT_TRUE(f.mmu.set_context(f.g.ctx, new_pml4));
  EXPECT_EQ(f.host.freed_total(), freed + 4);
  EXPECT_EQ(f.mmu.pages().size(), 1u);
  EXPECT_FALSE(f.mmu.pages().count(old_root) && f.mmu.root() != old_root);
  EXPECT_EQ(f.host.pages_in_use().size(), 2u);  // the new root and default_pae_pdpte's zero page
  EXPECT_TRUE(f.flushed_since(mark));
  EXPECT_EQ(f.mmu.check_no_leak(), "");
  EXPECT_EQ(f.mmu.page_fault(0x1000, read()).outcome, FaultOutcome::GuestFault);
  // Same CR3 and role: no reload.
  const std::uint64_t root = f.mmu.root();
  ASSERT_TRUE(f.mmu.set_context(f.g.ctx, new_pml4));
  EXPECT_EQ(f.mmu.root(), root);
}

TEST(ShadowMmu, ShadowWalkRefinesGuestWalkOnHandBuiltTables) {
  Fixture f(test::ctx_long());
  const std::uint64_t ro_user = 0x1000, nx = 0x2000, large = 0x40'0000, mmio = 0x3000;
  f.g.set(ro_user, 1, kData | kPU);
  f.g.set(nx, 1, (kData + 0x1000) | kPW | pg::kXD.mask());
  f.g.set(large, 2, (kData + 0x20'0000) | kPWU | pg::kPS.mask() | pg::kD.mask());
  f.g.set(mmio, 1, 0xF000'0000 | kPW);  // a gfn in no memslot
  ASSERT_TRUE(f.start());
  EXPECT_EQ(f.mmu.page_fault(ro_user, read()).outcome, FaultOutcome::Fixed);
  EXPECT_EQ(f.mmu.page_fault(nx, read()).outcome, FaultOutcome::Fixed);
  EXPECT_EQ(f.mmu.page_fault(large + 0x5000, write()).outcome, FaultOutcome::Fixed);
  EXPECT_EQ(f.mmu.page_fault(mmio, read()).outcome, FaultOutcome::Mmio);
  const FaultResult pf = f.mmu.page_fault(0x7000, write());
  EXPECT_EQ(pf.outcome, FaultOutcome::GuestFault);
  EXPECT_EQ(pf.error_code, pg::kPfW.mask());  // not present, supervisor write
  EXPECT_EQ(f.mmu.shadow_walk(ro_user).perms, pg::kPermU | pg::kPermX);
  EXPECT_EQ(f.mmu.shadow_walk(nx).perms & pg::kPermX, 0u);
  EXPECT_EQ(f.mmu.shadow_walk(large + 0x5000).host_pa, host_of(kData + 0x20'5000));
  bool direct = false;
  for (const auto& [pa, sp] : f.mmu.pages()) direct = direct || (sp.role.direct && sp.role.level == 1);
  EXPECT_TRUE(direct);  // the 2 MiB guest page is shadowed by a direct page
  const std::uint64_t high = 0xFFFF'8000'0000'1000;  // upper half: canonical, bit 47 set
  f.g.set(high, 1, (kData + 0x4000) | kPW);
  EXPECT_EQ(f.mmu.page_fault(high, read()).outcome, FaultOutcome::Fixed);
  EXPECT_EQ(f.mmu.check_refinement({ro_user, nx, large, large + 0x5000, mmio, 0x7000}), "");
  const std::vector<std::uint64_t> vas = f.mmu.mapped_vas();
  EXPECT_EQ(vas, (std::vector<std::uint64_t>{ro_user, nx, large + 0x5000, high}));
  EXPECT_EQ(f.mmu.check_refinement_all(), "");
  // A guest edit the shadow did not see (a write not trapped, e.g. through
  // an alias) breaks the refinement: the check can fail.
  write_paging_entry(f.g.mem, f.g.slot(ro_user, 1), 8, (kData + 0x5000) | kPU);
  EXPECT_NE(f.mmu.check_refinement({ro_user}), "");
  EXPECT_NE(f.mmu.check_refinement_all(), "");
}

ShadowMmuConfig npt_config(bool variant) {
  ShadowMmuConfig c = config();
  c.kind = MmuKind::ShadowNpt;
  c.tdp_level = 4;
  c.variant_npt_32bit_no_pae_root = variant;
  return c;
}

TEST(ShadowMmu, Shadowing32BitNptWith64BitAllocatesThePdptPage) {
  for (const bool pae : {false, true}) {
    Fixture f(pae ? test::ctx_pae() : test::ctx_32(), npt_config(false));
    const std::uint64_t va = 0x8000'5000;
    f.g.set(va, 1, kData | kPWU);
    ASSERT_TRUE(f.start());
    EXPECT_EQ(f.mmu.root_role().level, 4u);
    EXPECT_EQ(f.mmu.root_role().pae_root, 0u);
    ASSERT_TRUE(f.mmu.pdpt_page().has_value());
    EXPECT_EQ(f.host.zone_of(*f.mmu.pdpt_page()), Zone::Low);
    EXPECT_EQ(f.mmu.check_pae_entries(), "");
    ASSERT_EQ(f.mmu.page_fault(va, read()).outcome, FaultOutcome::Fixed);
    EXPECT_EQ(f.mmu.check_pae_entries(), "");
    EXPECT_EQ(f.mmu.shadow_walk(va).host_pa, host_of(kData));
    EXPECT_EQ(f.mmu.check_refinement({va}), "");
    EXPECT_EQ(f.mmu.check_no_leak(), "");
  }
}

TEST(ShadowMmu, VariantNpt32BitNoPaeRootBreaksTheRootEntriesInvariant) {
  for (const bool pae : {false, true}) {
    Fixture f(pae ? test::ctx_pae() : test::ctx_32(), npt_config(true));
    f.g.set(0x5000, 1, kData | kPWU);
    ASSERT_TRUE(f.start());
    EXPECT_FALSE(f.mmu.pdpt_page().has_value());
    EXPECT_NE(f.mmu.check_pae_entries(), "");
    EXPECT_EQ(f.mmu.page_fault(0x5000, read()).outcome, FaultOutcome::RootMissing);
    EXPECT_FALSE(f.mmu.shadow_walk(0x5000).present);
  }
}

TEST(ShadowMmu, BadInputIsAnInputError) {
  GuestTables g(test::ctx_long());
  PhysMem host{12};
  ShadowMmuConfig c = config();
  c.slots.push_back(Memslot{kSlotGfn + 1, 1, 0});
  EXPECT_THROW(ShadowMmu(g.mem, host, c), InputError);
  ShadowMmuConfig t = npt_config(false);
  t.tdp_level = 6;
  EXPECT_THROW(ShadowMmu(g.mem, host, t), InputError);
  ShadowMmu mmu(g.mem, host, config());
  EXPECT_THROW(mmu.page_fault(0, read()), InputError);  // no context yet
  ASSERT_TRUE(mmu.set_context(g.ctx, g.cr3()));
  EXPECT_THROW(mmu.write_guest(g.cr3() + 4, 8, 0), InputError);
  EXPECT_THROW(mmu.write_guest(g.cr3(), 2, 0), InputError);
  x86::PagingContext off = g.ctx;
  off.cr0_pg = false;
  off.efer_lma = false;
  EXPECT_THROW(mmu.set_context(off, g.cr3()), InputError);
}

}  // namespace
}  // namespace ptspec::x86::shadow

namespace ptspec::x86::shadow {
namespace {

TEST(ShadowMmu, ZappingAChildOfThePaeRootRestoresDefaultPaePdpte) {
  // AMD-style PDPTE reads keep the PDPT in memory authoritative; the PD of
  // PDPTE 2 is shadowed by a level-2 page linked from the pae_root.
  ShadowMmuConfig c = config();
  c.vendor = Vendor::Amd;
  Fixture f(test::ctx_pae(), c);
  const std::uint64_t va = 0x8000'1000;
  const std::uint64_t pte = f.g.set(va, 1, kData | kPWU);
  const std::uint64_t pde = f.g.slot(va, 2);
  ASSERT_TRUE(f.start());
  ASSERT_EQ(f.mmu.page_fault(va, read()).outcome, FaultOutcome::Fixed);
  ASSERT_NE(f.mmu.pae().entry(f.mmu.root(), 2), f.mmu.pae().default_pdpte());
  // The guest rewrites its PDE (in the PD page the level-2 shadow page shadows).
  f.mmu.write_guest(pde, 8, f.g.read(pde));
  EXPECT_EQ(f.mmu.pae().entry(f.mmu.root(), 2), f.mmu.pae().default_pdpte());
  EXPECT_EQ(f.mmu.check_pae_entries(), "");
  EXPECT_EQ(f.mmu.check_no_leak(), "");
  EXPECT_EQ(f.mmu.pages().size(), 1u);  // only the root is left
  // A write to the PT page only zaps the level-1 page; the PD link stays.
  ASSERT_EQ(f.mmu.page_fault(va, read()).outcome, FaultOutcome::Fixed);
  f.mmu.write_guest(pte, 8, (kData + 0x2000) | kPWU);
  EXPECT_NE(f.mmu.pae().entry(f.mmu.root(), 2), f.mmu.pae().default_pdpte());
  EXPECT_EQ(f.mmu.check_refinement({va}), "");
  EXPECT_EQ(f.mmu.pages().size(), 2u);
}

}  // namespace
}  // namespace ptspec::x86::shadow

namespace ptspec::x86::shadow {
namespace {

TEST(ShadowMmu, IntelPdpteRegisterChangeOnMovCr3ReloadsTheRoot) {
  Fixture f(test::ctx_pae());
  const std::uint64_t va = 0x1000;
  f.g.set(va, 1, kData | kPWU);
  ASSERT_TRUE(f.start());
  ASSERT_EQ(f.mmu.page_fault(va, read()).outcome, FaultOutcome::Fixed);
  // A second PD mapping va elsewhere, installed in PDPTE 0 in memory.
  const std::uint64_t pd = f.g.mem.alloc_contiguous(1, Zone::Low), pt = f.g.mem.alloc_contiguous(1, Zone::Low);
  f.g.write(pd, pt | kPWU);
  f.g.write(pt + 8, (kData + 0x3000) | kPWU);
  f.mmu.write_guest(f.g.cr3(), 8, pd | pg::kP.mask());
  // The PDPT is write-protected (shadowed by the root): the write reloads it.
  EXPECT_EQ(f.mmu.pages().size(), 1u);
  // Intel walks through the PDPTE registers: until MOV CR3 the old PD counts.
  ASSERT_EQ(f.mmu.page_fault(va, read()).outcome, FaultOutcome::Fixed);
  EXPECT_EQ(f.mmu.shadow_walk(va).host_pa, host_of(kData));
  EXPECT_EQ(f.mmu.check_refinement({va}), "");
  ASSERT_TRUE(f.mmu.set_context(f.g.ctx, f.g.cr3()));  // same CR3, new PDPTEs
  EXPECT_FALSE(f.mmu.shadow_walk(va).present);
  EXPECT_EQ(f.mmu.check_refinement({va}), "");
  EXPECT_EQ(f.mmu.check_no_leak(), "");
  ASSERT_EQ(f.mmu.page_fault(va, read()).outcome, FaultOutcome::Fixed);
  EXPECT_EQ(f.mmu.shadow_walk(va).host_pa, host_of(kData + 0x3000));
}

}  // namespace
}  // namespace ptspec::x86::shadow
