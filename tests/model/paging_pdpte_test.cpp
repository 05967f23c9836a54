// PAE PDPTE loading, Intel vs AMD (seed 002 and its review): Intel checks
// the four PDPTEs at CR3 load (#GP, nothing loaded) or VM entry (failure),
// not-present PDPTEs are fine; AMD NPT reads and checks them on use (#PF).
// Also the paging context's modes and the decoder.
#include "model/x86/paging_pdpte.hpp"

#include <gtest/gtest.h>

#include "model/core/errors.hpp"
#include "model/x86/paging_decode.hpp"
#include "tests/model/paging_test_util.hpp"

namespace ptspec::x86 {
namespace {

using namespace test;
using K = pg::AccessKind;

TEST(PagingPdpte, AddressesFollowCr3Bits31To5) {
  EXPECT_EQ(pdpte_pa(0x1234'5678, 0), 0x1234'5660u);
  EXPECT_EQ(pdpte_pa(0x1234'5678, 3), 0x1234'5678u);
  EXPECT_EQ(pdpte_pa(0xFFFF'FFFF, 2), 0xFFFF'FFF0u);
}

TEST(PagingPdpte, IntelLoadsNotPresentPdptesFine) {
  GuestTables t(ctx_pae());
  t.write(t.root + 8, 0xFFFF'FFFF'FFFF'FFFE);  // not present: bits 63:1 ignored
  const std::uint64_t va = 0x4000'1000;  // PDPTE 1
  PdpteLoadResult r = intel_load_pdptes(t.ctx, t.mem, t.cr3());
  ASSERT_EQ(r.outcome, PdpteLoadOutcome::Loaded) << r.why;
  EXPECT_TRUE(r.regs.loaded);
  EXPECT_EQ(r.regs.e[1], 0xFFFF'FFFF'FFFF'FFFEu);
  PagingWalkResult w = paging_walk(t.ctx, t.mem, t.cr3(), va, {}, Vendor::Intel, &r.regs);
  ASSERT_EQ(w.outcome, PagingOutcome::PageFault);
  EXPECT_EQ(w.error_code, 0u);  // P = 0
  EXPECT_EQ(w.level, 3u);
  EXPECT_TRUE(w.from_pdpte_register);
}

TEST(PagingPdpte, IntelReservedBitIsGpAndNothingLoaded) {
  for (std::uint64_t bad : {std::uint64_t{1} << 1, std::uint64_t{1} << 2, std::uint64_t{1} << 5,
                            std::uint64_t{1} << 8, std::uint64_t{1} << 46, std::uint64_t{1} << 63}) {
    GuestTables t(ctx_pae());  // MAXPHYADDR 46
    t.write(t.root + 16, 0x5000 | 1 | bad);
    PdpteLoadResult r = intel_load_pdptes(t.ctx, t.mem, t.cr3());
    EXPECT_EQ(r.outcome, PdpteLoadOutcome::GeneralProtection) << bad;
    EXPECT_FALSE(r.regs.loaded);
    EXPECT_EQ(r.bad_index, 2);
    EXPECT_EQ(r.reserved_bits, bad);
    // The same PDPTE fails a VM entry with EPT.
    PdpteLoadResult v = vmentry_check_pdptes(t.ctx, r.read);
    EXPECT_EQ(v.outcome, PdpteLoadOutcome::VmEntryFailure);
    EXPECT_EQ(v.bad_index, 2);
  }
  // Bits 11:9 are ignored, PWT/PCD allowed.
  GuestTables t(ctx_pae());
  t.write(t.root, 0x5000 | 1 | 0xE00 | 0x18);
  EXPECT_EQ(intel_load_pdptes(t.ctx, t.mem, t.cr3()).outcome, PdpteLoadOutcome::Loaded);
}

TEST(PagingPdpte, AmdChecksOnUseWithPageFault) {
  GuestTables t(ctx_pae());
  const std::uint64_t va = 0x8000'0000;  // PDPTE 2
  t.set(va, 1, 0x7000 | 1);
  ASSERT_EQ(t.walk(va, K::Read, false, Vendor::Amd).outcome, PagingOutcome::Translation);
  // A reserved bit in the PDPTE in memory: AMD faults #PF with RSVD on use...
  const std::uint64_t at = t.root + 16;
  t.write(at, t.read(at) | (1u << 5));
  PagingWalkResult w = t.walk(va, K::Write, false, Vendor::Amd);
  ASSERT_EQ(w.outcome, PagingOutcome::PageFault);
  EXPECT_EQ(w.error_code, 0xBu);  // P | W | RSVD
  EXPECT_EQ(w.level, 3u);
  EXPECT_FALSE(w.from_pdpte_register);
  // ... where Intel's CR3 load raises #GP.
  EXPECT_EQ(intel_load_pdptes(t.ctx, t.mem, t.cr3()).outcome, PdpteLoadOutcome::GeneralProtection);
  // Other PDPTEs are unaffected on AMD (checked only on use).
  t.set(0x1000, 1, 0x9000 | 1);
  EXPECT_EQ(t.walk(0x1000, K::Read, false, Vendor::Amd).outcome, PagingOutcome::Translation);
  // Not present on AMD: #PF with P = 0.
  t.write(t.root, 0);
  EXPECT_EQ(t.walk(0x1000, K::Read, false, Vendor::Amd).error_code, 0u);
}

TEST(PagingPdpte, IntelUsesTheRegistersNotMemory) {
  GuestTables t(ctx_pae());
  const std::uint64_t va = 0x1000;
  t.set(va, 1, 0x7000 | 1);
  PdpteFile regs = t.load_intel();
  t.write(t.root, 0);  // the guest clears PDPTE 0 without reloading CR3
  PagingWalkResult w = paging_walk(t.ctx, t.mem, t.cr3(), va, {}, Vendor::Intel, &regs);
  EXPECT_EQ(w.outcome, PagingOutcome::Translation);
  EXPECT_EQ(t.walk(va, K::Read, false, Vendor::Amd).outcome, PagingOutcome::PageFault);
  // Registers holding a value the load refuses are bad input.
  regs.e[0] |= 1u << 1;
  EXPECT_THROW(paging_walk(t.ctx, t.mem, t.cr3(), va, {}, Vendor::Intel, &regs), InputError);
}

TEST(PagingPdpte, LoadNeedsPaeAnd32BitCr3) {
  GuestTables t(ctx_long());
  EXPECT_THROW(intel_load_pdptes(t.ctx, t.mem, t.cr3()), InputError);
  GuestTables p(ctx_pae());
  EXPECT_THROW(intel_load_pdptes(p.ctx, p.mem, std::uint64_t{1} << 32), InputError);
  PhysMem empty(12);
  EXPECT_EQ(intel_load_pdptes(p.ctx, empty, 0x2000).outcome, PdpteLoadOutcome::Unbacked);
}

TEST(PagingContextTest, ModesAndImpossibleCombinations) {
  PagingContext c;
  EXPECT_EQ(paging_mode(c), pg::Mode::Bits32);
  c.cr4_pae = true;
  EXPECT_EQ(paging_mode(c), pg::Mode::Pae);
  c.cr4_la57 = true;  // no effect outside IA-32e mode
  EXPECT_EQ(paging_mode(c), pg::Mode::Pae);
  c.efer_lma = true;
  EXPECT_EQ(paging_mode(c), pg::Mode::Level5);
  c.cr4_la57 = false;
  EXPECT_EQ(paging_mode(c), pg::Mode::Level4);
  c.cr4_pae = false;
  EXPECT_THROW(paging_mode(c), InputError);  // LMA without PAE
  c.cr4_pae = true;
  c.cr0_pg = false;
  EXPECT_THROW(paging_mode(c), InputError);  // LMA without PG
  c.efer_lma = false;
  EXPECT_EQ(paging_mode(c), pg::Mode::None);
  EXPECT_THROW(format_of(c), InputError);
  c.cr0_pg = true;
  c.cpl = 4;
  EXPECT_THROW(paging_mode(c), InputError);
  c.cpl = 3;
  c.maxphyaddr = 35;
  EXPECT_THROW(paging_mode(c), InputError);
  c.maxphyaddr = 53;
  EXPECT_THROW(paging_mode(c), InputError);
  c.maxphyaddr = 52;
  EXPECT_TRUE(rights_of(c, {}).user);
  EXPECT_FALSE(rights_of(c, {pg::AccessKind::Read, true}).user);
}

TEST(PagingDecode, NamesEveryReservedBit) {
  pg::Format f;
  f.mode = pg::Mode::Pae;
  f.maxphyaddr = 40;
  DecodedEntry e = decode_paging(f, 0x8000'0100'0000'5027, 3);  // PDPTE: bits 1, 2, 5, 40, 63
  EXPECT_EQ(e.kind, "pdpte");
  EXPECT_EQ(e.problems.size(), 5u);
  f.mode = pg::Mode::Level4;
  f.nxe = false;
  e = decode_paging(f, 0x8000'0000'0000'2083, 2);  // 2 MiB PDE with bit 13 and XD (NXE off)
  EXPECT_EQ(e.kind, "large page");
  ASSERT_EQ(e.problems.size(), 2u);
  EXPECT_NE(e.problems[0].find("20:13"), std::string::npos);
  EXPECT_NE(e.problems[1].find("NXE"), std::string::npos);
  e = decode_paging(f, 0x81, 4);
  ASSERT_EQ(e.problems.size(), 1u);
  EXPECT_NE(e.problems[0].find("PS"), std::string::npos);
  EXPECT_TRUE(decode_paging(f, 0x1003, 1).problems.empty());
  EXPECT_EQ(decode_paging(f, 0x1002, 1).kind, "not present");
  EXPECT_THROW(decode_paging(f, 0, 5), InputError);
  f.mode = pg::Mode::Bits32;
  EXPECT_THROW(decode_paging(f, std::uint64_t{1} << 32, 1), InputError);
  f.pse = true;
  f.maxphyaddr = 36;
  e = decode_paging(f, 0x0020'0083, 2);  // 4 MiB PDE with bit 21
  ASSERT_EQ(e.problems.size(), 1u);
  EXPECT_NE(e.problems[0].find("bit 21"), std::string::npos);
}

}  // namespace
}  // namespace ptspec::x86
