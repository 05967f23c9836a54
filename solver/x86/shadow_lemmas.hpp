// The x86.shadow lemma catalogue, written over a "logic" type L whose static
// functions are the model's templates (model/x86/shadow_{role,root,pae}.hpp)
// instantiated with Symbolic.
//
// The catalogue instantiates it with ShadowLogic (the model's own code); the
// mutation tests instantiate it with a ShadowLogic that has one function
// broken, to show every lemma can fail (tests/solver/shadow_mutation_test.cpp).
// Builders: shadow_lemmas_pae.hpp (PAE root page), shadow_lemmas_role.hpp
// (role word, root roles).
#pragma once

#include <string>
#include <vector>

#include "solver/lemma.hpp"
#include "solver/x86/shadow_lemmas_common.hpp"
#include "solver/x86/shadow_lemmas_pae.hpp"
#include "solver/x86/shadow_lemmas_role.hpp"

namespace ptspec::solver::shadow {

template <class L = ShadowLogic> std::vector<Lemma> shadow_lemmas() {
  std::vector<Lemma> v;
  auto add = [&](std::string name, std::string statement, LemmaBuilder b, unsigned ms = 10'000) {
    v.push_back(Lemma{kFormat, std::move(name), std::move(statement), Expect::Proved, ms, std::move(b)});
  };
  add("shadow-default-pdpte-cpu-present-not-shadow-present",
      "For every MAXPHYADDR 36..52 and C-bit (none, 47, M-1) and every 4 KiB-aligned zero page below 2^M with the "
      "C-bit clear, default_pae_pdpte has P (bit 0) set, is not shadow-present (bit 11 clear), is not an MMIO "
      "SPTE, sets no SDM Table 4-8 reserved bit, carries the C-bit and points at the zero page.",
      [](z3::context& c) { return default_pdpte_cpu_present_not_shadow_present<L>(c); });
  add("shadow-make-pdpte-sets-no-reserved-bit",
      "For every MAXPHYADDR 36..52, C-bit (none, 47, M-1) and 4 KiB-aligned child below 2^M, make_pae_pdpte sets "
      "no PDPTE reserved bit (2:1, 8:5, 63:M) and none of R/W, U/S, PWT, PCD, A (5:1) or NX (63).",
      [](z3::context& c) { return make_pdpte_sets_no_reserved_bit<L>(c); });
  add("shadow-mmu-present-bit-in-ignored-bits",
      "is_shadow_present_pte reads exactly bit 11 (SPTE_MMU_PRESENT_MASK), which lies in the PDPTE's ignored "
      "bits 11:9: for every 64-bit word it equals bit 11 and is unchanged by clearing every bit outside 11:9.",
      [](z3::context& c) { return mmu_present_bit_in_ignored_bits<L>(c); });
  add("shadow-make-pdpte-links-child",
      "For every MAXPHYADDR 36..52, C-bit and 4 KiB-aligned child below 2^M, make_pae_pdpte is shadow-present "
      "(bit 11), present to the CPU (bit 0), not MMIO, has bits 10:9 clear, carries the C-bit, and its address "
      "bits M-1:12 (without the C-bit) are the child's.",
      [](z3::context& c) { return make_pdpte_links_child<L>(c); });
  add("shadow-drop-restores-default-pdpte",
      "drop_parent_pte on a pae_root parent writes exactly default_pae_pdpte (zero page | P | C-bit: present to "
      "the CPU, not shadow-present), and on any other parent writes 0, for every MAXPHYADDR 36..52 and C-bit.",
      [](z3::context& c) { return drop_restores_default<L>(c); });
  add("shadow-pae-root-entry-invariant",
      "For every MAXPHYADDR 36..52 and C-bit, the pae_root entry invariant accepts default_pae_pdpte and every "
      "make_pae_pdpte link, and any entry it accepts is the default or is shadow-present, present to the CPU, free "
      "of PDPTE reserved bits, not MMIO, with bits 10:1 clear.",
      [](z3::context& c) { return pae_root_entry_invariant<L>(c); });
  add("shadow-pae-root-below-4g",
      "Every 4 KiB page of PhysMem's low zone [1 GiB, 4 GiB) ends at or below 4 GiB, is addressed exactly by a "
      "PAE CR3 holding it (bits 31:5), and its four PDPTEs at (CR3 & ~0x1F) + 8i lie below 4 GiB.",
      [](z3::context& c) { return pae_root_below_4g<L>(c); });
  add("shadow-role-layout-matches-kernel",
      "encode_role places level at 3:0, has_4_byte_gpte 4, quadrant 6:5, direct 7, access 10:8, invalid 11, "
      "efer_nx 12, cr0_wp 13, smep_andnot_wp 14, smap_andnot_wp 15, ad_disabled 16, guest_mode 17, "
      "level_promoted 18, pae_root 19, smm 31:24 (seed 002's kvm_mmu_page_role), and leaves 23:20 and 63:32 "
      "clear, for all in-range field values.",
      [](z3::context& c) { return role_layout_matches_kernel<L>(c); });
  add("shadow-role-round-trip",
      "decode_role(encode_role(f)) == f with no unused bit set for all in-range fields; encode_role(decode_role(w)) "
      "== w for every word with bits 23:20 and 63:32 clear; role_unused_bits is non-zero for every other word.",
      [](z3::context& c) { return role_round_trip<L>(c); });
  add("shadow-pae-root-iff-level-3",
      "For every valid paging context (CR0.PG/WP, CR4.PAE/PSE/SMEP/SMAP/LA57, EFER.NX/LMA, SMM, guest mode) and "
      "TDP level 3..5, the shadow-paging, TDP and shadow-NPT root roles have pae_root set exactly when their "
      "level is 3 (PT32E_ROOT_LEVEL).",
      [](z3::context& c) { return pae_root_iff_level3<L>(c); });
  add("shadow-root-role-reviewed-rule",
      "For every valid paging context, the shadow-paging root role has level 3 outside IA-32e mode and 5/4 by "
      "CR4.LA57 inside, direct = !CR0.PG, level_promoted = CR0.PG and level > the guest's root level, "
      "has_4_byte_gpte = CR0.PG && !CR4.PAE, smep/smap_andnot_wp = CR0.PG && CR4.SMEP/SMAP && !CR0.WP, "
      "efer_nx/cr0_wp only with CR0.PG, access 7, pae_root at level 3, smm/guest_mode from the vCPU, all else 0.",
      [](z3::context& c) { return shadow_root_role_reviewed_rule<L>(c); });
  add("shadow-tdp-npt-roles-reviewed-rule",
      "For every valid paging context and TDP level 3..5, the TDP root role is direct at the TDP level with "
      "ad_disabled as configured and no 4-byte-gpte, smep/smap or promotion bit; the shadow-NPT root role is "
      "indirect at the TDP level with level_promoted exactly when it exceeds L1's level; both carry the common "
      "bits (access 7, efer_nx/cr0_wp with CR0.PG, pae_root at level 3, unused 0).",
      [](z3::context& c) { return tdp_npt_roles_reviewed_rule<L>(c); });
  add("shadow-non-root-never-pae-root",
      "For every valid paging context, root kind and TDP level, kvm_mmu_get_page's role for every level below "
      "the root has pae_root clear, the level set, and level_promoted clear at or below the guest's root level.",
      [](z3::context& c) { return non_root_never_pae_root<L>(c); });
  add("shadow-pae-page-when-needed",
      "A PAE PDPT page is needed exactly for a level-3 root (shadow paging outside IA-32e, TDP/NPT level 3) and "
      "for a shadow-NPT root of level 4/5 over a 32-bit (PAE or non-PAE) L1 -- the case of Linux's \"KVM: nSVM: "
      "Alloc page for PDPTEs when shadowing 32-bit NPT with 64-bit\".",
      [](z3::context& c) { return pae_page_when_needed<L>(c); });
  return v;
}

}  // namespace ptspec::solver::shadow
