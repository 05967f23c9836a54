// Shared by the x86.shadow lemma headers (shadow_lemmas.hpp assembles the
// catalogue): the logic type the lemmas are written over, the model's own
// logic ShadowLogic, and the independent description the statements are
// checked against.
//
// The lemmas call only L's static functions. The catalogue instantiates them
// with ShadowLogic, which forwards to the model's templates in
// model/x86/shadow_{role,root,pae}.hpp with the Symbolic domain;
// tests/solver/shadow_mutation_test.cpp instantiates them with a ShadowLogic
// that has one function broken.
//
// The description in `spec` is written here from seed 002 (patch and
// review), the v5.16 kvm_host.h / mmu.c / spte.h and SDM Vol. 3A Table 4-8:
// bit positions as literal numbers read with Z3 extract, never the model's
// Field constants or masks, so a claim is not circular.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/core/bits.hpp"
#include "model/x86/shadow_pae.hpp"
#include "model/x86/shadow_role.hpp"
#include "model/x86/shadow_root.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"

namespace ptspec::solver::shadow {

namespace xs = x86::shadow;
using x86::shadow::PaeConfig;
using Regs = xs::RoleRegs<Symbolic>;
using Role = xs::RoleFields<Symbolic>;

inline constexpr const char* kFormat = "x86.shadow";

// The model's logic, instantiated with Symbolic.
struct ShadowLogic {
  using S = Symbolic;
  using W = z3::expr;
  static W encode_role(const S& d, const Role& r) { return xs::encode_role(d, r); }
  static Role decode_role(const S& d, const W& w) { return xs::decode_role(d, w); }
  static W role_unused_bits(const S& d, const W& w) { return xs::role_unused_bits(d, w); }
  static W guest_root_level(const S& d, const Regs& r) { return xs::guest_root_level(d, r); }
  static W shadow_mmu_root(const S& d, const Regs& r) { return xs::encode_role(d, xs::shadow_mmu_root_role(d, r)); }
  static W tdp_root(const S& d, const Regs& r, const W& level, const W& ad_disabled) {
    return xs::encode_role(d, xs::tdp_root_role(d, r, level, ad_disabled));
  }
  static W shadow_npt_root(const S& d, const Regs& r, const W& level) {
    return xs::encode_role(d, xs::shadow_npt_root_role(d, r, level));
  }
  static W page_role_at(const S& d, const W& root, unsigned level, const W& guest_level) {
    return xs::page_role_at(d, root, level, guest_level);
  }
  static W needs_pae_page(const S& d, const W& root, const W& guest_level) {
    return xs::needs_pae_page(d, root, guest_level);
  }
  static W is_shadow_present(const S& d, const W& spte) { return xs::is_shadow_present_pte(d, spte); }
  static W is_mmio(const S& d, const PaeConfig& c, const W& spte) { return xs::is_mmio_spte(d, c, spte); }
  static W pdpte_present(const S& d, const W& pdpte) { return xs::pdpte_present(d, pdpte); }
  static W pdpte_reserved_bits(const S& d, const PaeConfig& c, const W& pdpte) {
    return xs::pdpte_reserved_bits(d, c, pdpte);
  }
  static W pdpte_addr(const S& d, const PaeConfig& c, const W& pdpte) { return xs::pdpte_addr(d, c, pdpte); }
  static W default_pdpte(const S& d, const PaeConfig& c, const W& zero_page) {
    return xs::default_pae_pdpte(d, c, zero_page);
  }
  static W make_pdpte(const S& d, const PaeConfig& c, const W& child) { return xs::make_pae_pdpte(d, c, child); }
  static W dropped(const S& d, const W& parent_is_pae_root, const W& default_pdpte) {
    return xs::dropped_parent_pte(d, parent_is_pae_root, default_pdpte);
  }
  static W entry_ok(const S& d, const PaeConfig& c, const W& entry, const W& default_pdpte) {
    return xs::pae_root_entry_ok(d, c, entry, default_pdpte);
  }
  static W pae_cr3_pdpt(const S& d, const W& cr3) { return xs::pae_cr3_pdpt(d, cr3); }
  static W in_low_zone(const S& d, const W& page) { return xs::in_low_zone(d, page); }
};

// ---- the independent description ----
namespace spec {

inline z3::expr bit_of(const z3::expr& w, unsigned n) { return w.extract(n, n) == w.ctx().bv_val(1, 1); }
inline z3::expr bits_zero(const z3::expr& w, unsigned hi, unsigned lo) {
  return w.extract(hi, lo) == w.ctx().bv_val(0, hi - lo + 1);
}
// Bits hi..lo of w equal the low bits of v (a 64-bit term).
inline z3::expr bits_are(const z3::expr& w, unsigned hi, unsigned lo, const z3::expr& v) {
  return w.extract(hi, lo) == v.extract(hi - lo, 0);
}
inline z3::expr b01(const Symbolic& d, const z3::expr& b) { return d.ite(b, d.lit(1), d.lit(0)); }

// kvm_mmu_page_role of seed 002 (kvm_host.h, v5.16 + level_promoted +
// pae_root): {name, hi, lo}.
struct SpecField {
  const char* name;
  unsigned hi, lo;
};
inline constexpr SpecField kRoleLayout[15] = {
    {"level", 3, 0},           {"has_4_byte_gpte", 4, 4}, {"quadrant", 6, 5},        {"direct", 7, 7},
    {"access", 10, 8},         {"invalid", 11, 11},       {"efer_nx", 12, 12},       {"cr0_wp", 13, 13},
    {"smep_andnot_wp", 14, 14}, {"smap_andnot_wp", 15, 15}, {"ad_disabled", 16, 16}, {"guest_mode", 17, 17},
    {"level_promoted", 18, 18}, {"pae_root", 19, 19},     {"smm", 31, 24}};

// The paging registers as free Booleans, and the constraint that they are a
// context a CPU can be in (EFER.LMA needs CR0.PG and CR4.PAE).
inline Regs regs(const Symbolic& d, const std::string& p = "") {
  return Regs{d.bvar(p + "cr0_pg"),   d.bvar(p + "cr0_wp"),  d.bvar(p + "cr4_pae"),   d.bvar(p + "cr4_pse"),
              d.bvar(p + "cr4_smep"), d.bvar(p + "cr4_smap"), d.bvar(p + "cr4_la57"), d.bvar(p + "efer_nx"),
              d.bvar(p + "efer_lma"), d.bvar(p + "smm"),      d.bvar(p + "guest_mode")};
}
inline z3::expr valid(const Symbolic& d, const Regs& r) { return d.implies(r.efer_lma, r.cr0_pg && r.cr4_pae); }
inline std::vector<Reported> report_regs(const Symbolic& d, const Regs& r) {
  return {{"cr0_pg", b01(d, r.cr0_pg)},     {"cr0_wp", b01(d, r.cr0_wp)},     {"cr4_pae", b01(d, r.cr4_pae)},
          {"cr4_pse", b01(d, r.cr4_pse)},   {"cr4_smep", b01(d, r.cr4_smep)}, {"cr4_smap", b01(d, r.cr4_smap)},
          {"cr4_la57", b01(d, r.cr4_la57)}, {"efer_nx", b01(d, r.efer_nx)},   {"efer_lma", b01(d, r.efer_lma)},
          {"smm", b01(d, r.smm)},           {"guest_mode", b01(d, r.guest_mode)}};
}

// The guest's root level (SDM §4.1: no paging 0, 32-bit 2, PAE 3, IA-32e 4/5).
inline z3::expr guest_level(const Symbolic& d, const Regs& r) {
  return d.ite(!r.cr0_pg, d.lit(0),
               d.ite(r.efer_lma, d.ite(r.cr4_la57, d.lit(5), d.lit(4)), d.ite(r.cr4_pae, d.lit(3), d.lit(2))));
}

// The reviewed rules a role word must satisfy, field by field, for the parts
// the three root kinds share: access = 7, efer_nx / cr0_wp only with paging,
// guest_mode / smm from the vCPU, quadrant, invalid, unused and 63:32 zero,
// pae_root exactly at level 3.
inline z3::expr common_bits(const Symbolic& d, const Regs& r, const z3::expr& w) {
  return bits_are(w, 10, 8, d.lit(7)) && bit_of(w, 12) == (r.cr0_pg && r.efer_nx) &&
         bit_of(w, 13) == (r.cr0_pg && r.cr0_wp) && bit_of(w, 17) == r.guest_mode &&
         bits_are(w, 31, 24, b01(d, r.smm)) && bits_zero(w, 6, 5) && bits_zero(w, 11, 11) &&
         bits_zero(w, 23, 20) && bits_zero(w, 63, 32) &&
         bit_of(w, 19) == (w.extract(3, 0) == d.ctx.bv_val(3, 4));
}
// smep/smap_andnot_wp and has_4_byte_gpte (shadow roots).
inline z3::expr shadow_bits(const Symbolic&, const Regs& r, const z3::expr& w) {
  return bit_of(w, 14) == (r.cr0_pg && r.cr4_smep && !r.cr0_wp) &&
         bit_of(w, 15) == (r.cr0_pg && r.cr4_smap && !r.cr0_wp) && bit_of(w, 4) == (r.cr0_pg && !r.cr4_pae);
}

// The PAE configurations the PAE lemmas range over: every MAXPHYADDR 36..52,
// without memory encryption, with a C-bit at 47 (SME/SEV parts) when 47 is an
// address bit, and at the top address bit M-1.
inline std::vector<PaeConfig> pae_configs() {
  std::vector<PaeConfig> v;
  for (unsigned m = xs::kMinMaxPhyAddr; m <= xs::kMaxMaxPhyAddr; ++m) {
    v.push_back(PaeConfig{m, 0});
    if (47 < m) v.push_back(PaeConfig{m, 47});
    if (m - 1 != 47) v.push_back(PaeConfig{m, m - 1});
  }
  return v;
}
// A page address KVM can hand out under `c`: 4 KiB aligned, below 2^M, C-bit
// clear (the C-bit is not an address bit).
inline z3::expr page_ok(const Symbolic& d, const PaeConfig& c, const z3::expr& pa) {
  z3::expr ok = bits_zero(pa, 11, 0) && d.ult(pa, d.lit(bit(c.maxphyaddr)));
  if (c.c_bit != 0) ok = ok && !bit_of(pa, c.c_bit);
  return ok;
}
// SDM Table 4-8: bits 2:1, 8:5 and 63:M reserved in a present PDPTE.
inline z3::expr pdpte_reserved_clear(const PaeConfig& c, const z3::expr& e) {
  return bits_zero(e, 2, 1) && bits_zero(e, 8, 5) && bits_zero(e, 63, c.maxphyaddr);
}

}  // namespace spec
}  // namespace ptspec::solver::shadow
