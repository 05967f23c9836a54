// The x86.shadow lemma builders about the PAE root page (seed 002):
// default_pae_pdpte, make_pae_pdpte, the software present bit, drop, and the
// low zone's reach from a PAE CR3. Over a logic L (shadow_lemmas_common.hpp).
#pragma once

#include <z3++.h>

#include <cstdint>
#include <vector>

#include "model/core/bits.hpp"
#include "model/core/physmem.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/x86/shadow_lemmas_common.hpp"

namespace ptspec::solver::shadow {

inline Labels pae_labels(const PaeConfig& c) { return {{"maxphyaddr", c.maxphyaddr}, {"c_bit", c.c_bit}}; }

// default_pae_pdpte is present to the CPU (bit 0), not shadow-present (bit 11
// clear), not an MMIO SPTE (bit 51 clear while M < 52; MMIO off at 52), sets
// no Table 4-8 reserved bit, carries the C-bit, and points at the zero page.
template <class L> Claim default_pdpte_cpu_present_not_shadow_present(z3::context& ctx) {
  Symbolic d(ctx);
  z3::expr zp = d.var("zero_page");
  SelectedCases cases(d);
  for (const PaeConfig& c : spec::pae_configs()) {
    z3::expr e = L::default_pdpte(d, c, zp);
    z3::expr cbit = c.c_bit == 0 ? d.blit(true) : spec::bit_of(e, c.c_bit);
    z3::expr holds = d.implies(spec::page_ok(d, c, zp),
                               spec::bit_of(e, 0) && L::pdpte_present(d, e) && !spec::bit_of(e, 11) &&
                                   !L::is_shadow_present(d, e) && !L::is_mmio(d, c, e) &&
                                   !(c.maxphyaddr < 52 && spec::bit_of(e, 51)) && spec::pdpte_reserved_clear(c, e) &&
                                   L::pdpte_reserved_bits(d, c, e) == d.lit(0) && cbit &&
                                   L::pdpte_addr(d, c, e) == zp);
    cases.add(holds, pae_labels(c));
  }
  return cases.claim({{"zero_page", zp}});
}

// make_pae_pdpte never sets a PDPTE reserved bit (Table 4-8, by the literal
// mask and by the model's), nor R/W (1), U/S (2), PWT (3), PCD (4), A (5) or
// NX (63), for every M 36..52, C-bit and child address below 2^M.
template <class L> Claim make_pdpte_sets_no_reserved_bit(z3::context& ctx) {
  Symbolic d(ctx);
  z3::expr child = d.var("child");
  SelectedCases cases(d);
  for (const PaeConfig& c : spec::pae_configs()) {
    z3::expr e = L::make_pdpte(d, c, child);
    z3::expr holds = d.implies(spec::page_ok(d, c, child),
                               spec::pdpte_reserved_clear(c, e) && L::pdpte_reserved_bits(d, c, e) == d.lit(0) &&
                                   spec::bits_zero(e, 5, 1) && !spec::bit_of(e, 63));
    cases.add(holds, pae_labels(c));
  }
  return cases.claim({{"child", child}});
}

// KVM's software present bit is bit 11 (spte.h SPTE_MMU_PRESENT_MASK), one of
// the PDPTE's ignored bits 11:9: is_shadow_present reads exactly that bit,
// so no bit outside 11:9 -- reserved or architectural -- can make an entry
// shadow-present, and the CPU's view (bits 8:0, 63:12) never depends on it.
template <class L> Claim mmu_present_bit_in_ignored_bits(z3::context& ctx) {
  Symbolic d(ctx);
  z3::expr w = d.var("spte");
  z3::expr holds = L::is_shadow_present(d, w) == spec::bit_of(w, 11) &&
                   L::is_shadow_present(d, w) == L::is_shadow_present(d, w & d.lit(genmask(11, 9)));
  return Claim(holds, {{"spte", w}});
}

// make_pae_pdpte(child) is shadow-present, present to the CPU, not MMIO, and
// points back at the child; bits 10:9 stay clear.
template <class L> Claim make_pdpte_links_child(z3::context& ctx) {
  Symbolic d(ctx);
  z3::expr child = d.var("child");
  SelectedCases cases(d);
  for (const PaeConfig& c : spec::pae_configs()) {
    z3::expr e = L::make_pdpte(d, c, child);
    z3::expr cbit = c.c_bit == 0 ? d.blit(true) : spec::bit_of(e, c.c_bit);
    z3::expr holds = d.implies(spec::page_ok(d, c, child),
                               L::is_shadow_present(d, e) && spec::bit_of(e, 11) && spec::bit_of(e, 0) &&
                                   L::pdpte_present(d, e) && !L::is_mmio(d, c, e) && spec::bits_zero(e, 10, 9) &&
                                   cbit && L::pdpte_addr(d, c, e) == child &&
                                   spec::bits_are(e, c.maxphyaddr - 1, 12, d.lshr(child, 12) |
                                                                               d.lit(c.c_bit ? bit(c.c_bit - 12) : 0)));
    cases.add(holds, pae_labels(c));
  }
  return cases.claim({{"child", child}});
}

// drop_parent_pte on a pae_root parent writes exactly default_pae_pdpte (not
// shadow-present, still present to the CPU); on any other parent it clears
// the entry to 0.
template <class L> Claim drop_restores_default(z3::context& ctx) {
  Symbolic d(ctx);
  z3::expr zp = d.var("zero_page");
  z3::expr pae_root = d.bvar("parent_pae_root");
  SelectedCases cases(d);
  for (const PaeConfig& c : spec::pae_configs()) {
    z3::expr def = L::default_pdpte(d, c, zp);
    z3::expr e = L::dropped(d, pae_root, def);
    z3::expr expected = zp | d.lit(1 | (c.c_bit ? bit(c.c_bit) : 0));
    z3::expr holds = d.implies(spec::page_ok(d, c, zp),
                               d.ite(pae_root, e == expected && !L::is_shadow_present(d, e) && spec::bit_of(e, 0),
                                     e == d.lit(0)));
    cases.add(holds, pae_labels(c));
  }
  return cases.claim({{"zero_page", zp}, {"parent_pae_root", spec::b01(d, pae_root)}});
}

// The pae_root entry invariant (pae_root_entry_ok) accepts default_pae_pdpte
// and every make_pae_pdpte link, and every entry it accepts is either exactly
// the default or a link: shadow-present, present to the CPU, no reserved bit,
// no MMIO SPTE, nothing but P, bit 11 and the C-bit outside the address.
template <class L> Claim pae_root_entry_invariant(z3::context& ctx) {
  Symbolic d(ctx);
  z3::expr zp = d.var("zero_page"), child = d.var("child"), e = d.var("entry");
  SelectedCases cases(d);
  for (const PaeConfig& c : spec::pae_configs()) {
    z3::expr def = L::default_pdpte(d, c, zp);
    z3::expr link_ok = L::is_shadow_present(d, e) && spec::bit_of(e, 0) && spec::pdpte_reserved_clear(c, e) &&
                       !L::is_mmio(d, c, e) && spec::bits_zero(e, 10, 1);
    z3::expr holds =
        d.implies(spec::page_ok(d, c, zp) && spec::page_ok(d, c, child),
                  L::entry_ok(d, c, def, def) && L::entry_ok(d, c, L::make_pdpte(d, c, child), def) &&
                      d.implies(L::entry_ok(d, c, e, def), e == def || link_ok));
    cases.add(holds, pae_labels(c));
  }
  return cases.claim({{"zero_page", zp}, {"child", child}, {"entry", e}});
}

// Every page the low zone can hand out ([1 GiB, 4 GiB), 4 KiB aligned) lies
// wholly below 4 GiB, a PAE CR3 holding it addresses it exactly (bits 31:5),
// and its four PDPTEs at (CR3 & ~0x1F) + 8 i are below 4 GiB.
template <class L> Claim pae_root_below_4g(z3::context& ctx) {
  Symbolic d(ctx);
  z3::expr page = d.var("page");
  z3::expr four_g = d.lit(std::uint64_t{1} << 32);
  z3::expr holds = d.implies(L::in_low_zone(d, page),
                             d.ule(page + d.lit(4096), four_g) && d.ult(page, four_g) &&
                                 L::pae_cr3_pdpt(d, page) == page &&
                                 d.ult(L::pae_cr3_pdpt(d, page) + d.lit(24), four_g));
  return Claim(holds, {{"page", page}});
}

}  // namespace ptspec::solver::shadow
