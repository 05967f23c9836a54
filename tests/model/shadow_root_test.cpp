// Root roles for shadow paging, TDP and shadow NPT over every combination of
// CR0.PG, CR4.PAE/PSE/LA57 and EFER.LMA, and the role of non-root pages
// (seed 002 as corrected by its review).
#include <gtest/gtest.h>

#include <cstdint>

#include "model/core/errors.hpp"
#include "model/x86/shadow_root.hpp"

namespace ptspec::x86::shadow {
namespace {

PagingContext ctx(bool pg, bool pae, bool pse, bool la57, bool lma) {
  PagingContext c;
  c.cr0_pg = pg;
  c.cr4_pae = pae;
  c.cr4_pse = pse;
  c.cr4_la57 = la57;
  c.efer_lma = lma;
  return c;
}
bool valid(const PagingContext& c) { return !c.efer_lma || (c.cr0_pg && c.cr4_pae); }

TEST(ShadowRoot, ThirtyTwoBitNonPseGuestShadowedWithPaeIsPromoted) {
  const PageRole r = shadow_mmu_root_role(ctx(true, false, false, false, false));
  EXPECT_EQ(r.level, 3u);
  EXPECT_EQ(r.has_4_byte_gpte, 1u);
  EXPECT_EQ(r.level_promoted, 1u);
  EXPECT_EQ(r.pae_root, 1u);
  EXPECT_EQ(r.direct, 0u);
  EXPECT_EQ(r.access, 7u);
}

TEST(ShadowRoot, PaeGuestIsNotPromotedButIsPaeRoot) {
  const PageRole r = shadow_mmu_root_role(ctx(true, true, false, false, false));
  EXPECT_EQ(r.level, 3u);
  EXPECT_EQ(r.has_4_byte_gpte, 0u);
  EXPECT_EQ(r.level_promoted, 0u);
  EXPECT_EQ(r.pae_root, 1u);
}

TEST(ShadowRoot, NonPagingGuestIsDirectPaeRoot) {
  // CR0.PG = 0: direct; still a 3-level PAE root (the review: pae_root by
  // level alone, not by the patch's !PG || !LMA).
  PagingContext c = ctx(false, false, false, false, false);
  c.efer_nx = c.cr0_wp = c.cr4_smep = true;
  const PageRole r = shadow_mmu_root_role(c);
  EXPECT_EQ(r.direct, 1u);
  EXPECT_EQ(r.level, 3u);
  EXPECT_EQ(r.pae_root, 1u);
  EXPECT_EQ(r.level_promoted, 0u);
  EXPECT_EQ(r.efer_nx, 0u);  // only with paging on
  EXPECT_EQ(r.cr0_wp, 0u);
  EXPECT_EQ(r.smep_andnot_wp, 0u);
}

TEST(ShadowRoot, LongModeRootsAreFourOrFiveLevelWithoutPaeRoot) {
  EXPECT_EQ(shadow_mmu_root_role(ctx(true, true, false, false, true)).level, 4u);
  EXPECT_EQ(shadow_mmu_root_role(ctx(true, true, false, true, true)).level, 5u);
  EXPECT_EQ(shadow_mmu_root_role(ctx(true, true, true, true, true)).pae_root, 0u);
  // LA57 outside IA-32e mode does not change the PAE root.
  EXPECT_EQ(shadow_mmu_root_role(ctx(true, true, false, true, false)).level, 3u);
}

// The reviewed rule, written out per combination and checked for all 32.
TEST(ShadowRoot, EveryCombinationFollowsTheReviewedRule) {
  int checked = 0, rejected = 0;
  for (unsigned m = 0; m < 32; ++m) {
    const PagingContext c = ctx(m & 1, m & 2, m & 4, m & 8, m & 16);
    if (!valid(c)) {
      EXPECT_THROW(shadow_mmu_root_role(c), InputError) << m;
      ++rejected;
      continue;
    }
    const PageRole r = shadow_mmu_root_role(c);
    const unsigned level = !c.efer_lma ? 3 : c.cr4_la57 ? 5 : 4;
    const unsigned guest = !c.cr0_pg ? 0 : c.efer_lma ? (c.cr4_la57 ? 5 : 4) : c.cr4_pae ? 3 : 2;
    EXPECT_EQ(r.level, level) << m;
    EXPECT_EQ(guest_root_level(c), guest) << m;
    EXPECT_EQ(r.pae_root, level == 3 ? 1u : 0u) << m;
    EXPECT_EQ(r.level_promoted, (c.cr0_pg && level > guest) ? 1u : 0u) << m;
    EXPECT_EQ(r.has_4_byte_gpte, (c.cr0_pg && !c.cr4_pae) ? 1u : 0u) << m;
    EXPECT_EQ(r.direct, c.cr0_pg ? 0u : 1u) << m;
    ++checked;
  }
  EXPECT_EQ(checked, 20);
  EXPECT_EQ(rejected, 12);
}

TEST(ShadowRoot, SmepSmapAndnotWp) {
  PagingContext c = ctx(true, true, false, false, true);
  c.cr4_smep = c.cr4_smap = true;
  PageRole r = shadow_mmu_root_role(c);
  EXPECT_EQ(r.smep_andnot_wp, 1u);
  EXPECT_EQ(r.smap_andnot_wp, 1u);
  c.cr0_wp = true;
  r = shadow_mmu_root_role(c);
  EXPECT_EQ(r.smep_andnot_wp, 0u);
  EXPECT_EQ(r.smap_andnot_wp, 0u);
  EXPECT_EQ(r.cr0_wp, 1u);
}

TEST(ShadowRoot, TdpRoleIsDirectAtTheTdpLevel) {
  const PagingContext c = ctx(true, false, false, false, false);
  const PageRole r4 = tdp_root_role(c, 4, false);
  EXPECT_EQ(r4.direct, 1u);
  EXPECT_EQ(r4.level, 4u);
  EXPECT_EQ(r4.has_4_byte_gpte, 0u);
  EXPECT_EQ(r4.pae_root, 0u);
  EXPECT_EQ(tdp_root_role(c, 5, true).ad_disabled, 1u);
  EXPECT_EQ(tdp_root_role(c, 3, false).pae_root, 1u);  // 32-bit host NPT
  EXPECT_THROW(tdp_root_role(c, 2, false), InputError);
  EXPECT_THROW(tdp_root_role(c, 6, false), InputError);
}

TEST(ShadowRoot, ShadowNptOf32BitL1With64BitHostNeedsAPaePage) {
  for (bool pae : {false, true}) {
    PagingContext l1 = ctx(false, pae, false, false, false);  // CR0 is forced to PG
    const PageRole r = shadow_npt_root_role(l1, 4);
    EXPECT_EQ(r.level, 4u);
    EXPECT_EQ(r.direct, 0u);
    EXPECT_EQ(r.pae_root, 0u);
    EXPECT_EQ(r.level_promoted, 1u);
    EXPECT_EQ(r.cr0_wp, 0u);
    EXPECT_TRUE(needs_pae_page(r, guest_root_level(npt_context(l1)))) << pae;
  }
  // A 64-bit L1 NPT under a 64-bit host needs no PAE page.
  const PagingContext l1 = ctx(true, true, false, false, true);
  const PageRole r = shadow_npt_root_role(l1, 4);
  EXPECT_EQ(r.level_promoted, 0u);
  EXPECT_FALSE(needs_pae_page(r, guest_root_level(l1)));
  // 32-bit host: the NPT root itself is the PAE root.
  const PageRole r3 = shadow_npt_root_role(ctx(true, true, false, false, false), 3);
  EXPECT_EQ(r3.pae_root, 1u);
  EXPECT_TRUE(needs_pae_page(r3, 3));
}

TEST(ShadowRoot, NonRootPagesNeverCarryPaeRoot) {
  const PagingContext c = ctx(true, false, true, false, false);  // 32-bit PSE guest
  const PageRole root = shadow_mmu_root_role(c);
  ASSERT_EQ(root.pae_root, 1u);
  const PageRole again = page_role_at(root, 3, 2);
  EXPECT_EQ(again.pae_root, 1u);
  EXPECT_EQ(again.level_promoted, 1u);
  for (unsigned level : {1u, 2u}) {
    const PageRole child = page_role_at(root, level, 2);
    EXPECT_EQ(child.level, level);
    EXPECT_EQ(child.pae_root, 0u);
    EXPECT_EQ(child.level_promoted, 0u);  // at or below the guest's 2 levels
  }
  EXPECT_THROW(page_role_at(root, 4, 2), InputError);
  EXPECT_THROW(page_role_at(root, 0, 2), InputError);
}

TEST(ShadowRoot, ImpossibleContextsAreInputErrors) {
  EXPECT_THROW(shadow_mmu_root_role(ctx(false, true, false, false, true)), InputError);
  EXPECT_THROW(shadow_mmu_root_role(ctx(true, false, false, false, true)), InputError);
}

}  // namespace
}  // namespace ptspec::x86::shadow
