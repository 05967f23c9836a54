// KVM's root-role computation (shadow paging, TDP, shadow NPT) and the role
// of non-root pages, as Domain templates over the paging registers, plus the
// concrete entry points with input checking (shadow_root.cpp).
//
// Sources: KVM arch/x86/kvm/mmu/mmu.c of the v5.16 cycle
// (kvm_calc_mmu_role_common, kvm_calc_shadow_root_page_role_common,
// kvm_calc_shadow_mmu_root_page_role, kvm_calc_tdp_mmu_root_page_role,
// kvm_calc_shadow_npt_root_page_role, role_regs_to_root_level,
// kvm_mmu_get_page) with seed 002's changes AS CORRECTED BY ITS REVIEW
// (Sean Christopherson):
//  - pae_root is set exactly when the root level is PT32E_ROOT_LEVEL ("I
//    think this would be clearer: if (role.base.level == PT32E_ROOT_LEVEL)
//    role.base.pae_root = 1;" -- not the patch's !CR0.PG || !EFER.LMA test);
//  - kvm_mmu_get_page clears the flags by level alone: "if (level <=
//    vcpu->arch.mmu->root_level) role.level_promoted = 0; if (level !=
//    PT32E_ROOT_LEVEL) role.pae_root = 0;" (not the patch's `level < 3`).
// This file is independent of the guest paging model (model/x86/paging_*):
// the registers it needs are its own small struct.
#pragma once

#include <cstdint>

#include "model/core/domain.hpp"
#include "model/x86/shadow_role.hpp"

namespace ptspec::x86::shadow {

// The paging registers KVM's role computation reads (struct
// kvm_mmu_role_regs: CR0, CR4, EFER), one Bool per bit, plus the vCPU state
// that goes into every role (is_smm, is_guest_mode).
template <Domain D> struct RoleRegs {
  BoolOf<D> cr0_pg, cr0_wp, cr4_pae, cr4_pse, cr4_smep, cr4_smap, cr4_la57, efer_nx, efer_lma;
  BoolOf<D> smm, guest_mode;
};

// role_regs_to_root_level: the guest's own root level -- 0 without paging,
// 5/4 in IA-32e mode (LA57), 3 with PAE (PT32E_ROOT_LEVEL), 2 for 32-bit
// paging (PT32_ROOT_LEVEL) with or without PSE (SDM Vol. 3A §4.1.1).
template <Domain D> WordOf<D> guest_root_level(const D& d, const RoleRegs<D>& r) {
  return d.ite(!r.cr0_pg, d.lit(0),
               d.ite(r.efer_lma, d.ite(r.cr4_la57, d.lit(kPt64Root5Level), d.lit(kPt64Root4Level)),
                     d.ite(r.cr4_pae, d.lit(kPt32eRootLevel), d.lit(kPt32RootLevel))));
}

// kvm_calc_mmu_role_common: access = ACC_ALL; efer_nx and cr0_wp only with
// paging on (v5.16: `if (____is_cr0_pg(regs)) { role.base.efer_nx = ...;
// role.base.cr0_wp = ...; }`); smm and guest_mode from the vCPU.
template <Domain D> RoleFields<D> mmu_role_common(const D& d, const RoleRegs<D>& r) {
  const WordOf<D> zero = d.lit(0);
  return RoleFields<D>{zero, zero, zero, zero, d.lit(kAccAll), zero, as_word(d, r.cr0_pg && r.efer_nx),
                       as_word(d, r.cr0_pg && r.cr0_wp), zero, zero, zero, as_word(d, r.guest_mode), zero, zero,
                       as_word(d, r.smm)};
}

// kvm_calc_shadow_root_page_role_common: adds smep/smap_andnot_wp (CR4.SMEP /
// SMAP enter the role only with paging on: role.ext.cr4_smep/smap are set
// under CR0.PG in kvm_calc_mmu_role_ext) and has_4_byte_gpte = CR0.PG &&
// !CR4.PAE (32-bit paging has 4-byte entries, SDM §4.3).
template <Domain D> RoleFields<D> shadow_role_common(const D& d, const RoleRegs<D>& r) {
  RoleFields<D> role = mmu_role_common(d, r);
  role.smep_andnot_wp = as_word(d, r.cr0_pg && r.cr4_smep && !r.cr0_wp);
  role.smap_andnot_wp = as_word(d, r.cr0_pg && r.cr4_smap && !r.cr0_wp);
  role.has_4_byte_gpte = as_word(d, r.cr0_pg && !r.cr4_pae);
  return role;
}

// pae_root exactly when the root level is PT32E_ROOT_LEVEL (the review's
// rule, for all three root kinds).
template <Domain D> WordOf<D> pae_root_for_level(const D& d, const WordOf<D>& level) {
  return as_word(d, level == d.lit(kPt32eRootLevel));
}

// kvm_calc_shadow_mmu_root_page_role: direct = !CR0.PG; level 3 outside
// IA-32e mode, 5/4 inside by CR4.LA57; level_promoted when the shadow root
// level exceeds the guest's (patch 4/6 of seed 002's series; e.g. a 32-bit
// guest, 2 levels, shadowed with a 3-level PAE root) -- only for a paging
// guest, a non-paging guest has no tables to promote; pae_root per level.
template <Domain D> RoleFields<D> shadow_mmu_root_role(const D& d, const RoleRegs<D>& r) {
  RoleFields<D> role = shadow_role_common(d, r);
  role.direct = as_word(d, !r.cr0_pg);
  role.level = d.ite(!r.efer_lma, d.lit(kPt32eRootLevel),
                     d.ite(r.cr4_la57, d.lit(kPt64Root5Level), d.lit(kPt64Root4Level)));
  role.level_promoted = as_word(d, r.cr0_pg && d.ult(guest_root_level(d, r), role.level));
  role.pae_root = pae_root_for_level(d, role.level);
  return role;
}

// kvm_calc_tdp_mmu_root_page_role: the common role with ad_disabled
// (shadow_accessed_mask == 0), level = kvm_mmu_get_tdp_level, direct,
// has_4_byte_gpte = false; pae_root when the TDP level is 3 (a 32-bit host's
// NPT; seed 002 adds this to the TDP role too).
template <Domain D>
RoleFields<D> tdp_root_role(const D& d, const RoleRegs<D>& r, const WordOf<D>& tdp_level,
                            const BoolOf<D>& ad_disabled) {
  RoleFields<D> role = mmu_role_common(d, r);
  role.ad_disabled = as_word(d, ad_disabled);
  role.level = tdp_level;
  role.direct = d.lit(1);
  role.has_4_byte_gpte = d.lit(0);
  role.pae_root = pae_root_for_level(d, tdp_level);
  return role;
}

// kvm_calc_shadow_npt_root_page_role: L1's NPT is shadowed with the host's
// TDP level; `r` are L1's registers (the caller forces CR0 = X86_CR0_PG, as
// nested_svm_init_mmu_context does). level_promoted when the host level
// exceeds L1's NPT level (seed 002's series: `if (role.base.level >
// role_regs_to_root_level(regs)) role.base.level_promoted = 1;`).
template <Domain D>
RoleFields<D> shadow_npt_root_role(const D& d, const RoleRegs<D>& r, const WordOf<D>& tdp_level) {
  RoleFields<D> role = shadow_role_common(d, r);
  role.direct = d.lit(0);
  role.level = tdp_level;
  role.level_promoted = as_word(d, d.ult(guest_root_level(d, r), tdp_level));
  role.pae_root = pae_root_for_level(d, tdp_level);
  return role;
}

// The PDPT page of four PAE PDPTEs a root needs: the root itself when it is a
// pae_root; and, for an indirect root of level >= 4 over a guest with fewer
// than 4 levels (a 32-bit PAE or non-PAE L1 NPT shadowed with 64-bit NPT),
// a separate PAE page under the root's entry 0 -- Linux "KVM: nSVM: Alloc
// page for PDPTEs when shadowing 32-bit NPT with 64-bit" (mmu_alloc_shadow_roots
// / mmu_alloc_special_roots). 1 when such a page is needed.
template <Domain D> WordOf<D> needs_pae_page(const D& d, const WordOf<D>& role_word, const WordOf<D>& guest_level) {
  const RoleFields<D> role = decode_role(d, role_word);
  const BoolOf<D> special = role.direct == d.lit(0) && d.ule(d.lit(kPt64Root4Level), role.level) &&
                            d.ult(guest_level, d.lit(kPt64Root4Level));
  return as_word(d, role.pae_root == d.lit(1) || special);
}

// kvm_mmu_get_page: the role of the page at `level` below a root whose role
// word is `root_word` (the root itself when `level` is the root's level):
// level replaced, level_promoted cleared at or below the guest's root level,
// pae_root cleared at every level but PT32E_ROOT_LEVEL (review's form).
template <Domain D>
WordOf<D> page_role_at(const D& d, const WordOf<D>& root_word, unsigned level, const WordOf<D>& guest_level) {
  RoleFields<D> role = decode_role(d, root_word);
  const WordOf<D> lv = d.lit(level);
  role.level = lv;
  role.level_promoted = d.ite(d.ule(lv, guest_level), d.lit(0), role.level_promoted);
  if (level != kPt32eRootLevel) role.pae_root = d.lit(0);
  return encode_role(d, role);
}

// ---- concrete entry points (shadow_root.cpp) ----

// A paging context: the registers above as plain flags.
struct PagingContext {
  bool cr0_pg = false, cr0_wp = false;
  bool cr4_pae = false, cr4_pse = false, cr4_smep = false, cr4_smap = false, cr4_la57 = false;
  bool efer_nx = false, efer_lma = false;
  bool smm = false, guest_mode = false;
};

// Throws InputError for a combination no CPU reaches: EFER.LMA without
// CR0.PG or without CR4.PAE (SDM Vol. 3A §4.1.1 and "Initializing IA-32e
// Mode", §9.8.5 / §10.8.5 by edition: LMA is set by CR0.PG with EFER.LME, and
// enabling IA-32e mode requires CR4.PAE = 1).
void check_context(const PagingContext& c);
RoleRegs<Concrete> regs_of(const PagingContext& c);
unsigned guest_root_level(const PagingContext& c);

PageRole shadow_mmu_root_role(const PagingContext& c);
// `tdp_level`: 3 (32-bit host NPT), 4 or 5; InputError otherwise.
PageRole tdp_root_role(const PagingContext& c, unsigned tdp_level, bool ad_disabled);
// `l1`: L1's CR4/EFER (and smm/guest_mode); CR0 is taken as X86_CR0_PG
// alone, as nested_svm_init_mmu_context passes it (so cr0_wp reads 0).
PageRole shadow_npt_root_role(const PagingContext& l1, unsigned tdp_level);
// The L1 context shadow_npt_root_role actually uses (CR0 = PG only).
PagingContext npt_context(const PagingContext& l1);
// The role of the page at `level` (1..root level) under `root`.
PageRole page_role_at(const PageRole& root, unsigned level, unsigned guest_level);
bool needs_pae_page(const PageRole& root, unsigned guest_level);

}  // namespace ptspec::x86::shadow
