// The x86 guest walk over hand-built tables, mode by mode: 4K / 4M / 2M / 1G
// leaves, reserved-bit faults at every level, the error-code bits, the
// access-rights rules (WP, SMEP, SMAP, NX) and the A/D writes.
#include "model/x86/paging_walk.hpp"

#include <gtest/gtest.h>

#include "model/core/errors.hpp"
#include "tests/model/paging_test_util.hpp"

namespace ptspec::x86 {
namespace {

using namespace test;
using K = pg::AccessKind;

constexpr std::uint64_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, XD = std::uint64_t{1} << 63;

TEST(PagingWalk, Bits32FourKTranslationSetsAccessedThenDirty) {
  GuestTables t(ctx_32());
  const std::uint64_t va = 0x1234'5678;
  const std::uint64_t pte_pa = t.set(va, 1, 0x8765'4000 | P | RW);
  PagingWalkResult r = t.walk(va, K::Read);
  ASSERT_EQ(r.outcome, PagingOutcome::Translation) << r.why;
  EXPECT_EQ(r.pa, 0x8765'4678u);
  EXPECT_EQ(r.size, 4096u);
  ASSERT_EQ(r.ad_writes.size(), 2u);  // PDE A, PTE A
  EXPECT_EQ(r.ad_writes[1].pa, pte_pa);
  EXPECT_EQ(r.ad_writes[1].new_value, 0x8765'4000 | P | RW | A);
  EXPECT_EQ(r.ad_writes[1].bytes, 4u);
  apply_paging_ad_writes(t.mem, r);
  EXPECT_EQ(t.read(pte_pa), 0x8765'4000 | P | RW | A);
  // The other half of the 64-bit word is untouched (4-byte entries).
  EXPECT_EQ(t.read(pte_pa ^ 4), 0u);
  r = t.walk(va, K::Write);
  ASSERT_EQ(r.outcome, PagingOutcome::Translation);
  ASSERT_EQ(r.ad_writes.size(), 1u);  // only D on the leaf
  EXPECT_EQ(r.ad_writes[0].new_value, 0x8765'4000 | P | RW | A | D);
}

TEST(PagingWalk, Bits32FourMegPagesNeedPseAndUsePse36) {
  PagingContext c = ctx_32(true);
  c.maxphyaddr = 40;
  GuestTables t(c);
  const std::uint64_t va = 0x4012'3456;
  // PA 0x3_8040_0000 + offset: PDE 31:22 = 0x804 << 22 >> ..., PA 35:32 = 3 in PDE bits 16:13.
  t.set(va, 2, 0x8040'0000 | (std::uint64_t{3} << 13) | PS | P | RW);
  PagingWalkResult r = t.walk(va, K::Write);
  ASSERT_EQ(r.outcome, PagingOutcome::Translation) << r.why;
  EXPECT_EQ(r.size, 4u << 20);
  EXPECT_EQ(r.pa, 0x3'8052'3456u);
  ASSERT_EQ(r.ad_writes.size(), 1u);
  EXPECT_EQ(r.ad_writes[0].new_value & (A | D), A | D);
  // Bit 21 of a 4 MiB PDE is reserved: RSVD fault.
  t.set(va, 2, 0x8040'0000 | (1u << 21) | PS | P | RW);
  r = t.walk(va, K::Read);
  ASSERT_EQ(r.outcome, PagingOutcome::PageFault);
  EXPECT_EQ(r.error_code, 0x9u);  // P | RSVD
  EXPECT_EQ(r.reserved_bits, 1u << 21);
  // MAXPHYADDR 36: PDE bits 20:17 are reserved as well.
  c.maxphyaddr = 36;
  GuestTables t36(c);
  t36.set(va, 2, 0x8040'0000 | (1u << 17) | PS | P);
  r = t36.walk(va, K::Read);
  EXPECT_EQ(r.error_code, 0x9u);
}

TEST(PagingWalk, Bits32WithoutPseIgnoresPdeBit7) {
  GuestTables t(ctx_32(false));
  const std::uint64_t va = 0x0040'1000;
  const std::uint64_t pte_at = t.slot(va, 1);
  const std::uint64_t pde_at = t.slot(va, 2);
  t.write(pde_at, t.read(pde_at) | PS);  // ignored: still a table
  t.write(pte_at, 0x0009'9000 | P);
  PagingWalkResult r = t.walk(va, K::Read);
  ASSERT_EQ(r.outcome, PagingOutcome::Translation) << r.why;
  EXPECT_EQ(r.pa, 0x0009'9000u);
  EXPECT_EQ(r.size, 4096u);
}

TEST(PagingWalk, PaeTwoMegLeafAndXdReservedWithoutNxe) {
  GuestTables t(ctx_pae(false));
  const std::uint64_t va = 0xC060'1234;
  t.set(va, 2, 0x1'2340'0000 | PS | P | RW | US);
  PagingWalkResult r = t.walk(va, K::Read);
  ASSERT_EQ(r.outcome, PagingOutcome::Translation) << r.why;
  EXPECT_EQ(r.pa, 0x1'2340'1234u);
  EXPECT_EQ(r.size, 2u << 20);
  // No A write for the PDPTE (it has no A bit); one for the PDE.
  ASSERT_EQ(r.ad_writes.size(), 1u);
  EXPECT_EQ(r.ad_writes[0].level, 2u);
  t.set(va, 2, 0x1'2340'0000 | PS | P | XD);
  r = t.walk(va, K::Read);
  EXPECT_EQ(r.error_code, 0x9u);
  EXPECT_EQ(r.reserved_bits, XD);
  // 2 MiB PDE bits 20:13 reserved.
  t.set(va, 2, 0x1'2340'0000 | PS | P | (1u << 13));
  EXPECT_EQ(t.walk(va, K::Read).error_code, 0x9u);
}

TEST(PagingWalk, LongModeFourKTwoMegOneGig) {
  GuestTables t(ctx_long());
  const std::uint64_t va1 = 0x7F12'3456'7000, va2 = 0x0000'4020'0123, va3 = 0x0000'8123'4567;
  t.set(va1, 1, 0x0000'000A'BCDE'F000 | P);
  t.set(va2, 2, 0x0000'000F'FFE0'0000 | PS | P);
  t.set(va3, 3, 0x0000'0012'4000'0000 | PS | P);
  PagingWalkResult r = t.walk(va1 | 0xABC, K::Read);
  ASSERT_EQ(r.outcome, PagingOutcome::Translation) << r.why;
  EXPECT_EQ(r.pa, 0xA'BCDE'FABCu);
  EXPECT_EQ(r.ad_writes.size(), 4u);
  r = t.walk(va2, K::Read);
  ASSERT_EQ(r.outcome, PagingOutcome::Translation) << r.why;
  EXPECT_EQ(r.pa, 0xF'FFE0'0123u);
  EXPECT_EQ(r.size, 2u << 20);
  r = t.walk(va3, K::Read);
  ASSERT_EQ(r.outcome, PagingOutcome::Translation) << r.why;
  EXPECT_EQ(r.pa, 0x12'4123'4567u);
  EXPECT_EQ(r.size, 1u << 30);
  // 1 GiB leaf bits 29:13 reserved.
  t.set(va3, 3, 0x0000'0012'4000'0000 | PS | P | (1u << 29));
  EXPECT_EQ(t.walk(va3, K::Read).error_code, 0x9u);
}

TEST(PagingWalk, LongModeReservedBitsPerLevel) {
  PagingContext c = ctx_long();
  c.maxphyaddr = 40;
  GuestTables t(c);
  const std::uint64_t va = 0x1000;
  t.set(va, 1, 0x5000 | P);
  ASSERT_EQ(t.walk(va, K::Read).outcome, PagingOutcome::Translation);
  // PS in a PML4E is reserved.
  const std::uint64_t pml4e = t.slot(va, 4);
  t.write(pml4e, t.read(pml4e) | PS);
  PagingWalkResult r = t.walk(va, K::Read);
  EXPECT_EQ(r.error_code, 0x9u);
  EXPECT_EQ(r.level, 4u);
  t.write(pml4e, t.read(pml4e) & ~PS);
  // Bit 40 (>= MAXPHYADDR) in the PTE.
  t.set(va, 1, 0x5000 | P | (std::uint64_t{1} << 40));
  r = t.walk(va, K::Write);
  EXPECT_EQ(r.error_code, 0xBu);  // P | W | RSVD
  EXPECT_EQ(r.level, 1u);
  EXPECT_TRUE(r.ad_writes.empty());
  // Without 1 GiB support PS in a PDPTE is reserved.
  c.gb_pages = false;
  GuestTables t2(c);
  t2.set(0x4000'0000, 3, 0x4000'0000 | PS | P);
  EXPECT_EQ(t2.walk(0x4000'0000, K::Read).error_code, 0x9u);
}

TEST(PagingWalk, FiveLevelAndNonCanonical) {
  GuestTables t(ctx_long(true));
  const std::uint64_t va = 0x00FF'1234'5678'9000;  // bit 55 set: canonical only with LA57
  t.set(va, 1, 0x3000 | P);
  PagingWalkResult r = t.walk(va, K::Read);
  ASSERT_EQ(r.outcome, PagingOutcome::Translation) << r.why;
  EXPECT_EQ(r.depth, 5u);
  GuestTables t4(ctx_long(false));
  EXPECT_EQ(t4.walk(va, K::Read).outcome, PagingOutcome::GeneralProtection);
}

TEST(PagingWalk, ErrorCodeBits) {
  PagingContext c = ctx_long(false, true);
  c.cpl = 3;
  GuestTables t(c);
  const std::uint64_t va = 0x2000;
  // Not present: P = 0, U = 1 (user access), W on a write, I/D on a fetch (NXE on).
  EXPECT_EQ(t.walk(va, K::Read).error_code, 0x4u);
  EXPECT_EQ(t.walk(va, K::Write).error_code, 0x6u);
  EXPECT_EQ(t.walk(va, K::Fetch).error_code, 0x14u);
  // Implicit supervisor access at CPL 3: U = 0.
  EXPECT_EQ(t.walk(va, K::Read, true).error_code, 0x0u);
  // Protection: user access to a supervisor page, P = 1.
  t.set(va, 1, 0x9000 | P | RW, kLinkBits);
  EXPECT_EQ(t.walk(va, K::Write).error_code, 0x7u);
  // NX page fetched: P | U | I/D.
  t.set(va, 1, 0x9000 | P | US | XD);
  EXPECT_EQ(t.walk(va, K::Fetch).error_code, 0x15u);
  // I/D is only reported with NXE or SMEP: 32-bit paging with NXE does not count.
  PagingContext c32 = ctx_32();
  c32.efer_nxe = true;
  c32.cpl = 3;
  GuestTables t32(c32);
  EXPECT_EQ(t32.walk(va, K::Fetch).error_code, 0x4u);
  c32.cr4_smep = true;
  GuestTables t32s(c32);
  EXPECT_EQ(t32s.walk(va, K::Fetch).error_code, 0x14u);
}

TEST(PagingWalk, WriteProtectSmepSmapRules) {
  PagingContext c = ctx_long();
  const std::uint64_t va = 0x3000;
  // Supervisor write to a read-only page: allowed with WP = 0, fault with WP = 1.
  {
    GuestTables t(c);
    t.set(va, 1, 0x9000 | P);
    EXPECT_EQ(t.walk(va, K::Write).outcome, PagingOutcome::Translation);
    t.ctx.cr0_wp = true;
    EXPECT_EQ(t.walk(va, K::Write).error_code, 0x3u);
  }
  // SMEP: a supervisor fetch from a user page faults; from a supervisor page it does not.
  {
    c.cr4_smep = true;
    GuestTables t(c);
    t.set(va, 1, 0x9000 | P | US);
    EXPECT_EQ(t.walk(va, K::Fetch).error_code, 0x11u);
    t.set(va, 1, 0x9000 | P);
    EXPECT_EQ(t.walk(va, K::Fetch).outcome, PagingOutcome::Translation);
    c.cr4_smep = false;
  }
  // SMAP: a supervisor read of a user page faults unless EFLAGS.AC; an implicit one always.
  {
    c.cr4_smap = true;
    GuestTables t(c);
    t.set(va, 1, 0x9000 | P | US | RW);
    EXPECT_EQ(t.walk(va, K::Read).error_code, 0x1u);
    t.ctx.eflags_ac = true;
    EXPECT_EQ(t.walk(va, K::Read).outcome, PagingOutcome::Translation);
    EXPECT_EQ(t.walk(va, K::Write, true).error_code, 0x3u);
    // A user page that is supervisor somewhere up the path is a supervisor page: no SMAP.
    t.ctx.eflags_ac = false;
    const std::uint64_t pde = t.slot(va, 2);
    t.write(pde, t.read(pde) & ~US);
    EXPECT_EQ(t.walk(va, K::Read).outcome, PagingOutcome::Translation);
  }
}

TEST(PagingWalk, FaultingWalkWritesNothing) {
  GuestTables t(ctx_long());
  const std::uint64_t va = 0x5000;
  t.set(va, 1, 0x9000);  // PTE not present, tables above have A = 0
  PagingWalkResult r = t.walk(va, K::Read);
  ASSERT_EQ(r.outcome, PagingOutcome::PageFault);
  EXPECT_TRUE(r.ad_writes.empty());
  EXPECT_EQ(r.level, 1u);
}

TEST(PagingWalk, BadInputIsInputError) {
  GuestTables t(ctx_32());
  EXPECT_THROW(t.walk(std::uint64_t{1} << 32, K::Read), InputError);
  EXPECT_THROW(paging_walk(t.ctx, t.mem, std::uint64_t{1} << 33, 0, {}, Vendor::Intel, nullptr), InputError);
  GuestTables l(ctx_long());
  l.ctx.maxphyaddr = 40;
  EXPECT_THROW(paging_walk(l.ctx, l.mem, std::uint64_t{1} << 41, 0, {}), InputError);
  EXPECT_THROW(l.walk(0, K::Fetch, true), InputError);
  GuestTables p(ctx_pae());
  EXPECT_THROW(paging_walk(p.ctx, p.mem, p.cr3(), 0, {}, Vendor::Intel, nullptr), InputError);
}

TEST(PagingWalk, PagingOffIsIdentity) {
  PagingContext c;
  c.cr0_pg = false;
  PhysMem mem(12);
  PagingWalkResult r = paging_walk(c, mem, 0, 0x1234, {});
  EXPECT_EQ(r.outcome, PagingOutcome::Translation);
  EXPECT_EQ(r.pa, 0x1234u);
}

}  // namespace
}  // namespace ptspec::x86
