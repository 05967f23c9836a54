// The PAE root page: allocated below 4 GiB, four default entries,
// make_pae_pdpte links, drop restores the default (seed 002).
#include <gtest/gtest.h>

#include <cstdint>

#include "model/core/errors.hpp"
#include "model/core/physmem.hpp"
#include "model/x86/shadow_pae.hpp"

namespace ptspec::x86::shadow {
namespace {

const Concrete k;

TEST(ShadowPae, RootIsBelow4GWithFourDefaultEntries) {
  PhysMem mem(12);
  PaeRoots roots(mem, PaeConfig{46, 0});
  std::uint64_t root = 0;
  ASSERT_EQ(roots.alloc_root(root), kOk);
  EXPECT_EQ(mem.zone_of(root), Zone::Low);
  EXPECT_LT(root + 4096, PhysMem::kLowLimit + 1);
  EXPECT_EQ(pae_cr3_pdpt(k, root), root);  // CR3 bits 31:5 reach it
  for (unsigned i = 0; i < 4; ++i) EXPECT_EQ(roots.entry(root, i), roots.default_pdpte());
  const std::uint64_t def = roots.default_pdpte();
  EXPECT_TRUE(pdpte_present(k, def));
  EXPECT_FALSE(is_shadow_present_pte(k, def));
  EXPECT_FALSE(is_mmio_spte(k, roots.config(), def));
  EXPECT_EQ(pdpte_reserved_bits(k, roots.config(), def), 0u);
  EXPECT_EQ(mem.load(pdpte_addr(k, roots.config(), def)), 0u);  // points at a zeroed page
}

TEST(ShadowPae, LinkSetsOnlyPresentSoftwareBitAndCBit) {
  PhysMem mem(12);
  const PaeConfig cfg{48, 47};
  PaeRoots roots(mem, cfg);
  std::uint64_t root = 0, child = 0;
  ASSERT_EQ(roots.alloc_root(root), kOk);
  ASSERT_EQ(roots.alloc_root(child), kOk);
  const std::uint64_t v = roots.link(root, 2, child);
  EXPECT_EQ(v, child | 1u | (1u << 11) | (std::uint64_t{1} << 47));
  EXPECT_EQ(roots.entry(root, 2), v);
  EXPECT_TRUE(is_shadow_present_pte(k, v));
  EXPECT_EQ(pdpte_reserved_bits(k, cfg, v), 0u);
  EXPECT_EQ(pdpte_addr(k, cfg, v), child);
  EXPECT_EQ(roots.default_pdpte() & (std::uint64_t{1} << 47), std::uint64_t{1} << 47);
  roots.drop(root, 2);
  EXPECT_EQ(roots.entry(root, 2), roots.default_pdpte());
  // A non-pae_root parent is cleared to 0 instead.
  EXPECT_EQ(dropped_parent_pte(k, false, roots.default_pdpte()), 0u);
}

TEST(ShadowPae, EntriesAreDefaultOrLinkAndABrokenOneIsCaught) {
  PhysMem mem(12);
  const PaeConfig cfg{46, 0};
  PaeRoots roots(mem, cfg);
  std::uint64_t root = 0, child = 0;
  ASSERT_EQ(roots.alloc_root(root), kOk);
  ASSERT_EQ(roots.alloc_root(child), kOk);
  EXPECT_TRUE(roots.entries_ok(root));
  roots.link(root, 0, child);
  EXPECT_TRUE(roots.entries_ok(root));
  // make_nonleaf_spte's bits (W, U, A) in a pae_root entry break the invariant,
  // and so does a cleared (0) entry: drop must restore the default.
  mem.store(root + 8, roots.entry(root, 0) | 0x26);
  EXPECT_FALSE(roots.entries_ok(root));
  roots.drop(root, 1);
  EXPECT_TRUE(roots.entries_ok(root));
  mem.store(root + 16, 0);
  EXPECT_FALSE(roots.entries_ok(root));
}

TEST(ShadowPae, NoLowPageLeftIsEnomem) {
  PhysMem mem(12);
  PaeRoots roots(mem, PaeConfig{});
  roots.limit_pages(1);
  std::uint64_t a = 0, b = 0;
  EXPECT_EQ(roots.alloc_root(a), kOk);
  EXPECT_EQ(roots.alloc_root(b), kEnomem);
  EXPECT_EQ(b, 0u);
}

TEST(ShadowPae, BadInputIsAnInputError) {
  PhysMem mem(12);
  EXPECT_THROW(PaeRoots(mem, PaeConfig{35, 0}), InputError);
  EXPECT_THROW(PaeRoots(mem, PaeConfig{53, 0}), InputError);
  EXPECT_THROW(PaeRoots(mem, PaeConfig{46, 46}), InputError);  // C-bit not below MAXPHYADDR
  EXPECT_THROW(PaeRoots(mem, PaeConfig{46, 5}), InputError);   // C-bit not an address bit
  PhysMem mem16(16);
  EXPECT_THROW(PaeRoots(mem16, PaeConfig{}), InputError);
  PaeRoots roots(mem, PaeConfig{40, 0});
  std::uint64_t root = 0;
  ASSERT_EQ(roots.alloc_root(root), kOk);
  EXPECT_THROW(roots.link(root, 4, 0x1000), InputError);               // index
  EXPECT_THROW(roots.link(root, 0, 0x1234), InputError);               // unaligned
  EXPECT_THROW(roots.link(root, 0, std::uint64_t{1} << 40), InputError);  // beyond MAXPHYADDR
  EXPECT_THROW(roots.link(PhysMem::kHighBase, 0, 0x1000), InputError);  // not below 4 GiB
}

TEST(ShadowPae, MmioValueOnlyBelow52Bits) {
  EXPECT_EQ(mmio_value(PaeConfig{46, 0}), (std::uint64_t{1} << 51) | 1u);
  EXPECT_EQ(mmio_value(PaeConfig{52, 0}), 0u);
  EXPECT_TRUE(is_mmio_spte(k, PaeConfig{46, 0}, (std::uint64_t{1} << 51) | 1u));
  EXPECT_FALSE(is_mmio_spte(k, PaeConfig{52, 0}, (std::uint64_t{1} << 51) | 1u));
}

TEST(ShadowPae, ReservedMaskIsTable48) {
  EXPECT_EQ(pdpte_reserved_mask(36), 0xFFFF'FFF0'0000'01E6ull);
  EXPECT_EQ(pdpte_reserved_mask(52), 0xFFF0'0000'0000'01E6ull);
}

}  // namespace
}  // namespace ptspec::x86::shadow
