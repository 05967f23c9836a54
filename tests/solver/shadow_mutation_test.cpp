// Every x86.shadow lemma can fail: the catalogue's own builders,
// instantiated with a ShadowLogic that has one function deliberately broken,
// must yield a counterexample. Several mutants are historical or reviewed-away
// variants (make_nonleaf_spte under a pae_root, the TDP role before seed 002,
// the PSE test of the review's alternative level calculation, the missing
// PAE page of "KVM: nSVM: Alloc page for PDPTEs when shadowing 32-bit NPT
// with 64-bit"). A coverage test checks every lemma is broken by some mutant.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/core/bits.hpp"
#include "model/x86/shadow_root.hpp"
#include "solver/x86/shadow_lemmas.hpp"
#include "tests/solver/mutation_harness.hpp"

namespace ptspec::solver::shadow {
namespace {

using S = Symbolic;
using W = z3::expr;
using namespace mutation;

W set_bit(const S& d, const W& w, unsigned n, const W& b) {
  return (w & d.lit(~bit(n))) | d.ite(b, d.lit(bit(n)), d.lit(0));
}

// default_pae_pdpte built like make_pae_pdpte (with the MMU-present bit).
struct DefaultShadowPresent : ShadowLogic {
  static W default_pdpte(const S& d, const PaeConfig& c, const W& zp) {
    return ShadowLogic::default_pdpte(d, c, zp) | d.lit(xs::kSpteMmuPresentMask);
  }
};
// Linking under a pae_root with make_nonleaf_spte's writable bit (what the
// patch avoids: R/W is reserved in a PAE PDPTE).
struct MakePdpteWritable : ShadowLogic {
  static W make_pdpte(const S& d, const PaeConfig& c, const W& child) {
    return ShadowLogic::make_pdpte(d, c, child) | d.lit(bit(1));
  }
};
// The software present bit moved to bit 52 (outside 11:9).
struct MmuPresentBit52 : ShadowLogic {
  static W is_shadow_present(const S& d, const W& spte) { return (spte & d.lit(bit(52))) != d.lit(0); }
};
// make_pae_pdpte without SPTE_MMU_PRESENT_MASK: KVM would not see the link.
struct MakePdpteNotShadowPresent : ShadowLogic {
  static W make_pdpte(const S& d, const PaeConfig& c, const W& child) {
    return ShadowLogic::make_pdpte(d, c, child) & d.lit(~xs::kSpteMmuPresentMask);
  }
};
// drop_parent_pte clears a pae_root parent's entry to 0 (the patch's
// mmu_spte_clear_no_track path for every parent).
struct DropClearsPaeRoot : ShadowLogic {
  static W dropped(const S& d, const W&, const W& def) { return ShadowLogic::dropped(d, d.blit(false), def); }
};
// The low zone's bound taken as inclusive of 4 GiB.
struct LowZoneInclusive : ShadowLogic {
  static W in_low_zone(const S& d, const W& page) {
    return d.ule(d.lit(PhysMem::kLowBase), page) && d.ule(page, d.lit(PhysMem::kLowLimit)) && d.aligned(page, 4096);
  }
};
// pae_root encoded at bit 20 (one of the unused bits).
struct PaeRootAtBit20 : ShadowLogic {
  static W encode_role(const S& d, const Role& r) {
    W w = ShadowLogic::encode_role(d, r) & d.lit(~bit(19));
    return w | d.shl(r.pae_root & d.lit(1), 20);
  }
};
// decode reads smm as one bit (bit 24) instead of the byte 31:24.
struct DecodeSmmOneBit : ShadowLogic {
  static Role decode_role(const S& d, const W& w) {
    Role r = ShadowLogic::decode_role(d, w);
    r.smm = r.smm & d.lit(1);
    return r;
  }
};
// The TDP root role before seed 002 (no pae_root for a level-3 TDP root).
struct TdpNoPaeRoot : ShadowLogic {
  static W tdp_root(const S& d, const Regs& r, const W& level, const W& ad) {
    return ShadowLogic::tdp_root(d, r, level, ad) & d.lit(~bit(19));
  }
};
// level_promoted = CR0.PG && !CR4.PSE outside IA-32e (the condition written
// in the review's alternative level calculation).
struct PromoteByPse : ShadowLogic {
  static W shadow_mmu_root(const S& d, const Regs& r) {
    return set_bit(d, ShadowLogic::shadow_mmu_root(d, r), 18, !r.efer_lma && r.cr0_pg && !r.cr4_pse);
  }
};
// Shadow NPT always promoted.
struct NptAlwaysPromoted : ShadowLogic {
  static W shadow_npt_root(const S& d, const Regs& r, const W& level) {
    return ShadowLogic::shadow_npt_root(d, r, level) | d.lit(bit(18));
  }
};
// kvm_mmu_get_page keeps the root's pae_root at every level.
struct GetPageKeepsPaeRoot : ShadowLogic {
  static W page_role_at(const S& d, const W& root, unsigned level, const W& guest) {
    return ShadowLogic::page_role_at(d, root, level, guest) | (root & d.lit(bit(19)));
  }
};
// Before "KVM: nSVM: Alloc page for PDPTEs when shadowing 32-bit NPT with
// 64-bit": only a pae_root root gets the PAE page.
struct NoPaePageFor32BitNpt : ShadowLogic {
  static W needs_pae_page(const S& d, const W& root, const W&) { return d.lshr(root, 19) & d.lit(1); }
};

// The invariant accepts any CPU-present entry (e.g. make_nonleaf_spte's).
struct EntryOkAnyPresent : ShadowLogic {
  static W entry_ok(const S& d, const PaeConfig&, const W& e, const W&) { return (e & d.lit(1)) != d.lit(0); }
};

template <class L> Mutation mut(std::string mutant, std::string lemma) {
  return {std::move(mutant), std::move(lemma), [] { return shadow_lemmas<L>(); }};
}

std::vector<Mutation> mutations() {
  return {
      mut<DefaultShadowPresent>("default-shadow-present", "shadow-default-pdpte-cpu-present-not-shadow-present"),
      mut<DefaultShadowPresent>("default-shadow-present", "shadow-drop-restores-default-pdpte"),
      mut<MakePdpteWritable>("make-pdpte-writable", "shadow-make-pdpte-sets-no-reserved-bit"),
      mut<MmuPresentBit52>("mmu-present-bit-52", "shadow-mmu-present-bit-in-ignored-bits"),
      mut<MmuPresentBit52>("mmu-present-bit-52", "shadow-make-pdpte-links-child"),
      mut<MakePdpteNotShadowPresent>("make-pdpte-not-shadow-present", "shadow-make-pdpte-links-child"),
      mut<DropClearsPaeRoot>("drop-clears-pae-root", "shadow-drop-restores-default-pdpte"),
      mut<EntryOkAnyPresent>("entry-ok-any-present", "shadow-pae-root-entry-invariant"),
      mut<LowZoneInclusive>("low-zone-inclusive", "shadow-pae-root-below-4g"),
      mut<PaeRootAtBit20>("pae-root-at-bit-20", "shadow-role-layout-matches-kernel"),
      mut<PaeRootAtBit20>("pae-root-at-bit-20", "shadow-role-round-trip"),
      mut<DecodeSmmOneBit>("decode-smm-one-bit", "shadow-role-round-trip"),
      mut<TdpNoPaeRoot>("tdp-no-pae-root", "shadow-pae-root-iff-level-3"),
      mut<TdpNoPaeRoot>("tdp-no-pae-root", "shadow-tdp-npt-roles-reviewed-rule"),
      mut<PromoteByPse>("promote-by-pse", "shadow-root-role-reviewed-rule"),
      mut<NptAlwaysPromoted>("npt-always-promoted", "shadow-tdp-npt-roles-reviewed-rule"),
      mut<GetPageKeepsPaeRoot>("get-page-keeps-pae-root", "shadow-non-root-never-pae-root"),
      mut<NoPaePageFor32BitNpt>("no-pae-page-for-32bit-npt", "shadow-pae-page-when-needed"),
  };
}

class ShadowMutated : public ::testing::TestWithParam<Mutation> {};

TEST_P(ShadowMutated, LemmaNoLongerHolds) { expect_mutation_breaks(GetParam(), kFormat); }

INSTANTIATE_TEST_SUITE_P(Shadow, ShadowMutated, ::testing::ValuesIn(mutations()), mutation_name);

TEST(ShadowMutations, EveryLemmaHasAMutationThatBreaksIt) {
  expect_every_lemma_broken(mutations(), kFormat);
  EXPECT_GE(lemmas_of_format(kFormat).size(), 10u);
}

// The PSE condition's counterexample is a 32-bit guest with CR4.PSE = 1; the
// concrete model promotes it (2 guest levels under a 3-level PAE root).
TEST(ShadowMutations, PromoteByPseCounterexampleIsA32BitPseGuest) {
  const std::vector<Lemma> cat = shadow_lemmas<PromoteByPse>();
  LemmaResult r = run_lemma(lemma_in(cat, "shadow-root-role-reviewed-rule"));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  EXPECT_EQ(*r.value("cr0_pg"), 1u);
  EXPECT_EQ(*r.value("efer_lma"), 0u);
  EXPECT_EQ(*r.value("cr4_pse"), 1u);
  x86::shadow::PagingContext c;
  c.cr0_pg = true;
  c.cr4_pse = true;
  c.cr4_pae = *r.value("cr4_pae") != 0;
  const x86::shadow::PageRole role = x86::shadow::shadow_mmu_root_role(c);
  EXPECT_EQ(role.level_promoted, c.cr4_pae ? 0u : 1u);
}

// The historical bug's counterexample is a 32-bit L1 under 64-bit NPT.
TEST(ShadowMutations, MissingPaePageCounterexampleIs32BitL1) {
  const std::vector<Lemma> cat = shadow_lemmas<NoPaePageFor32BitNpt>();
  LemmaResult r = run_lemma(lemma_in(cat, "shadow-pae-page-when-needed"));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  EXPECT_EQ(*r.value("efer_lma"), 0u);
  EXPECT_GE(*r.value("tdp_level"), 4u);
  x86::shadow::PagingContext l1;
  l1.cr4_pae = *r.value("cr4_pae") != 0;
  const auto level = static_cast<unsigned>(*r.value("tdp_level"));
  const x86::shadow::PageRole role = x86::shadow::shadow_npt_root_role(l1, level);
  EXPECT_EQ(role.pae_root, 0u);
  EXPECT_TRUE(x86::shadow::needs_pae_page(role, x86::shadow::guest_root_level(x86::shadow::npt_context(l1))));
}

}  // namespace
}  // namespace ptspec::solver::shadow
