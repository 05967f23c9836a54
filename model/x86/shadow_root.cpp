// Concrete root-role computation: checks the inputs, then runs the Domain
// templates of shadow_root.hpp with Concrete.
#include "model/x86/shadow_root.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"

namespace ptspec::x86::shadow {

namespace {
const Concrete k;

void check_tdp_level(unsigned tdp_level, const char* where) {
  // kvm_mmu_get_tdp_level: 4 or 5 on a 64-bit host (EPT / NPT), 3 for NPT on
  // a 32-bit host (svm.c get_npt_level returns PT32E_ROOT_LEVEL without
  // CONFIG_X86_64).
  if (tdp_level < kPt32eRootLevel || tdp_level > kPt64Root5Level)
    throw InputError(fmt::format("{}: tdp_level {} (must be 3, 4 or 5)", where, tdp_level));
}
}  // namespace

void check_context(const PagingContext& c) {
  if (c.efer_lma && !c.cr0_pg) throw InputError("paging context: EFER.LMA=1 with CR0.PG=0 (LMA needs paging on)");
  if (c.efer_lma && !c.cr4_pae) throw InputError("paging context: EFER.LMA=1 with CR4.PAE=0 (IA-32e needs PAE)");
}

RoleRegs<Concrete> regs_of(const PagingContext& c) {
  check_context(c);
  return RoleRegs<Concrete>{c.cr0_pg,   c.cr0_wp,  c.cr4_pae,   c.cr4_pse, c.cr4_smep,   c.cr4_smap,
                            c.cr4_la57, c.efer_nx, c.efer_lma, c.smm,     c.guest_mode};
}

unsigned guest_root_level(const PagingContext& c) {
  return static_cast<unsigned>(guest_root_level(k, regs_of(c)));
}

PageRole shadow_mmu_root_role(const PagingContext& c) { return shadow_mmu_root_role(k, regs_of(c)); }

PageRole tdp_root_role(const PagingContext& c, unsigned tdp_level, bool ad_disabled) {
  check_tdp_level(tdp_level, "tdp_root_role");
  return tdp_root_role(k, regs_of(c), tdp_level, ad_disabled);
}

PagingContext npt_context(const PagingContext& l1) {
  PagingContext c = l1;
  c.cr0_pg = true;  // nested_svm_init_mmu_context: kvm_init_shadow_npt_mmu(vcpu, X86_CR0_PG, ...)
  c.cr0_wp = false;
  return c;
}

PageRole shadow_npt_root_role(const PagingContext& l1, unsigned tdp_level) {
  check_tdp_level(tdp_level, "shadow_npt_root_role");
  return shadow_npt_root_role(k, regs_of(npt_context(l1)), tdp_level);
}

PageRole page_role_at(const PageRole& root, unsigned level, unsigned guest_level) {
  if (level < 1 || level > root.level)
    throw InputError(fmt::format("page_role_at: level {} outside 1..{} (the root's level)", level, root.level));
  if (guest_level > kPt64Root5Level) throw InputError(fmt::format("page_role_at: guest level {} > 5", guest_level));
  return role_from_word(page_role_at(k, role_word(root), level, guest_level));
}

bool needs_pae_page(const PageRole& root, unsigned guest_level) {
  return needs_pae_page(k, role_word(root), guest_level) != 0;
}

}  // namespace ptspec::x86::shadow
