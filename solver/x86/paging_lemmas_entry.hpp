// The x86.paging lemma builders about single entries, over a logic L
// (paging_lemmas_common.hpp): encoders, reserved bits, the PAE PDPTE and CR3.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <vector>

#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/x86/paging_lemmas_common.hpp"

namespace ptspec::solver::paging {

struct AttrVars {
  xp::EntryAttrs<Symbolic> a;
  z3::expr in_range;
  std::vector<Reported> report;
};
inline AttrVars attr_vars(const Symbolic& d) {
  xp::EntryAttrs<Symbolic> a{d.var("rw"), d.var("us"), d.var("pwt"), d.var("pcd"), d.var("g"), d.var("xd"), d.var("avl")};
  z3::expr one = d.lit(1);
  z3::expr in_range = d.ule(a.rw, one) && d.ule(a.us, one) && d.ule(a.pwt, one) && d.ule(a.pcd, one) &&
                      d.ule(a.g, one) && d.ule(a.xd, one) && d.ule(a.avl, d.lit(7));
  return {a, in_range,
          {{"rw", a.rw}, {"us", a.us}, {"pwt", a.pwt}, {"pcd", a.pcd}, {"g", a.g}, {"xd", a.xd}, {"avl", a.avl}}};
}

// For ANY address and attribute words, every encoder sets no reserved bit
// (by the model's reserved_bits and by the SDM masks): make_leaf at each leaf
// level, make_table at each table level, make_pdpte (PAE).
template <class L> Claim encoders_set_no_reserved_bit(z3::context& c) {
  Symbolic d(c);
  AttrVars av = attr_vars(d);
  z3::expr pa = d.var("pa"), pwt = d.var("pwt"), pcd = d.var("pcd"), avl = d.var("avl");
  GroupedCases cases(d);
  for (const Format& f : all_formats()) {
    for (unsigned level = 1; level <= f.levels(); ++level) {
      z3::expr holds = d.blit(true);
      if (f.mode == Mode::Pae && level == 3) {
        z3::expr e = L::make_pdpte(d, f.maxphyaddr, pa, pwt, pcd, avl);
        holds = L::reserved_bits(d, f, e, 3) == d.lit(0) && spec::reserved_in(d, f, e, 3) == d.lit(0) &&
                !L::pdpte_invalid(d, f.maxphyaddr, e) && L::is_present(d, e);
      } else {
        if (spec::leaf_level(f, level)) {
          z3::expr e = L::make_leaf(d, f, level, pa, av.a);
          holds = holds && L::reserved_bits(d, f, e, level) == d.lit(0) && spec::reserved_in(d, f, e, level) == d.lit(0);
        }
        if (level >= 2) {
          z3::expr e = L::make_table(d, f, pa, av.a);
          holds = holds && L::reserved_bits(d, f, e, level) == d.lit(0) &&
                  spec::reserved_in(d, f, e, level) == d.lit(0) && !L::is_leaf(d, f, level, e);
        }
      }
      cases.add(holds, labels_of(f, level), static_cast<unsigned>(f.mode) * 8 + level);
    }
  }
  std::vector<Reported> rep = av.report;
  rep.push_back({"pa", pa});
  return cases.claim(rep);
}

// make_leaf of a page-aligned address the level can reach gives a present
// leaf whose leaf_pa is that address plus the page offset, with R/W, U/S,
// PWT, PCD, G and bits 11:9 at their SDM positions, XD at 63 only when
// enabled, PS at levels 2/3, and no A or D; make_table's table_addr gives the
// table address back.
template <class L> Claim leaf_round_trip(z3::context& c) {
  Symbolic d(c);
  AttrVars av = attr_vars(d);
  const auto& a = av.a;
  z3::expr pa = d.var("pa"), va = d.var("va");
  GroupedCases cases(d);
  using spec::bit_of;
  auto is = [&](const z3::expr& e, unsigned b, const z3::expr& v) { return e.extract(b, b) == v.extract(0, 0); };
  for (const Format& f : all_formats()) {
    if (!f.nxe) continue;  // NXE only moves XD, checked below with xd_enabled
    for (unsigned level = 1; level <= 3; ++level) {
      if (!spec::leaf_level(f, level)) continue;
      const std::uint64_t off = spec::offset_mask(f, level);
      z3::expr pre = av.in_range && (pa & d.lit(off)) == d.lit(0) &&
                     d.ult(pa, d.lit(std::uint64_t{1} << spec::pa_width(f, level)));
      z3::expr e = L::make_leaf(d, f, level, pa, a);
      const bool xd = f.mode != Mode::Bits32;
      z3::expr bits = bit_of(e, 0) && is(e, 1, a.rw) && is(e, 2, a.us) && is(e, 3, a.pwt) && is(e, 4, a.pcd) &&
                      !bit_of(e, 5) && !bit_of(e, 6) && bit_of(e, 7) == d.blit(level >= 2) && is(e, 8, a.g) &&
                      e.extract(11, 9) == a.avl.extract(2, 0) &&
                      (xd ? is(e, 63, a.xd) : !bit_of(e, 63));
      z3::expr back = L::is_present(d, e) && L::is_leaf(d, f, level, e) &&
                      L::leaf_pa(d, f, e, va, level) == (pa | (va & d.lit(off)));
      z3::expr tbl = L::make_table(d, f, pa, a);
      z3::expr tpre = d.ult(pa, d.lit(std::uint64_t{1} << (f.mode == Mode::Bits32 ? 32 : f.maxphyaddr)));
      z3::expr tback = L::table_addr(d, f, tbl) == (pa & d.lit(~std::uint64_t{0xFFF}));
      cases.add(d.implies(pre, bits && back) && d.implies(tpre, tback), labels_of(f, level),
                static_cast<unsigned>(f.mode) * 8 + level);
    }
  }
  std::vector<Reported> rep = av.report;
  rep.push_back({"pa", pa});
  rep.push_back({"va", va});
  return cases.claim(rep);
}

// reserved_bits is the entry ANDed with the SDM mask for every mode, level,
// PS, NXE, PSE and 1 GiB support, at the MAXPHYADDR values where the masks
// change shape (kEdgeMaxPhyAddr; every encoder is checked at all 36..52).
template <class L> Claim reserved_masks_match_sdm(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  GroupedCases cases(d);
  for (const Format& f : edge_formats())
    for (unsigned level = 1; level <= f.levels(); ++level)
      cases.add(L::reserved_bits(d, f, pte, level) == spec::reserved_in(d, f, pte, level), labels_of(f, level),
                static_cast<unsigned>(f.mode) * 8 + level);
  return cases.claim({{"pte", pte}});
}

// Table 4-8: a PAE PDPTE is refused exactly when P = 1 and one of bits 2:1,
// 8:5, 63:M is set; bits 11:9 never matter; a not-present PDPTE is never refused.
template <class L> Claim pdpte_check_matches_table_4_8(z3::context& c) {
  Symbolic d(c);
  z3::expr e = d.var("pdpte"), any = d.var("ignored");
  SelectedCases cases(d);
  for (unsigned n = xp::kMinMaxPhyAddr; n <= xp::kMaxMaxPhyAddr; ++n) {
    z3::expr rsvd = (e & d.lit(0x6 | 0x1E0 | spec::span(63, n))) != d.lit(0);
    z3::expr e2 = (e & d.lit(~std::uint64_t{0xE00})) | (any & d.lit(0xE00));
    cases.add(L::pdpte_invalid(d, n, e) == (spec::bit_of(e, 0) && rsvd) &&
                  L::pdpte_invalid(d, n, e2) == L::pdpte_invalid(d, n, e),
              {{"maxphyaddr", n}});
  }
  return cases.claim({{"pdpte", e}, {"ignored", any}});
}

// For ANY CR3: the PAE PDPT base is CR3 bits 31:5 -- 32-byte aligned and
// below 4 GiB -- and PDPTE i sits at (CR3 & ~0x1F) + 8i, inside the 32 bytes.
template <class L> Claim pae_cr3_addresses_pdpt_below_4g(z3::context& c) {
  Symbolic d(c);
  z3::expr cr3 = d.var("cr3");
  z3::expr base = L::pae_pdpt_base(d, cr3);
  z3::expr holds = d.ult(base, d.lit(std::uint64_t{1} << 32)) && (base & d.lit(0x1F)) == d.lit(0) &&
                   base.extract(31, 5) == cr3.extract(31, 5);
  for (unsigned i = 0; i < 4; ++i) {
    z3::expr a = L::pdpte_address(d, cr3, i);
    holds = holds && a == ((cr3 & d.lit(0xFFFF'FFE0)) + d.lit(8 * i)) && d.ult(a, d.lit(std::uint64_t{1} << 32));
  }
  return Claim(holds, {{"cr3", cr3}});
}

}  // namespace ptspec::solver::paging
