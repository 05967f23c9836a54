// The arm64.stage1 lemma builders about single descriptors, over a logic L
// (stage1_lemmas_common.hpp): leaf and table field encoders/decoders against
// the Arm ARM bit positions, the leaf/table constructors, the table / block /
// page classification per level and granule, and mmu_clear_user's entry
// update. Each returns the claim and the terms to report.
#pragma once

#include <z3++.h>

#include <cstdint>

#include "solver/arm64/stage1_lemmas_common.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"

namespace ptspec::solver::stage1 {

using LeafS = s1::LeafFields<Symbolic>;
using TableS = s1::TableFields<Symbolic>;

// Multi-bit fields within their width.
inline z3::expr leaf_in_range(const Symbolic& d, const LeafS& f) {
  return d.ule(f.attr_indx, d.lit(7)) && d.ule(f.ap, d.lit(3)) && d.ule(f.sh, d.lit(3)) && d.ule(f.sw, d.lit(15));
}
inline z3::expr leaf_eq(const LeafS& a, const LeafS& b) {
  return a.attr_indx == b.attr_indx && a.ns == b.ns && a.ap == b.ap && a.sh == b.sh && a.af == b.af &&
         a.ng == b.ng && a.contiguous == b.contiguous && a.pxn == b.pxn && a.uxn == b.uxn && a.sw == b.sw;
}
inline z3::expr table_eq(const TableS& a, const TableS& b) {
  return a.ap_table == b.ap_table && a.pxn_table == b.pxn_table && a.uxn_table == b.uxn_table &&
         a.ns_table == b.ns_table;
}
// A field read from the Arm ARM position (spec::Pos), shifted down.
inline z3::expr at(const Symbolic& d, const z3::expr& pte, spec::Pos p) {
  return d.lshr(pte & d.lit(p.mask()), p.lo);
}
inline z3::expr flag_at(const Symbolic& d, const z3::expr& pte, spec::Pos p) {
  return (pte & d.lit(p.mask())) != d.lit(0);
}
inline std::vector<Reported> leaf_report(const LeafS& f) {
  return {{"attr_indx", f.attr_indx}, {"ns", f.ns}, {"ap", f.ap},   {"sh", f.sh},   {"af", f.af},
          {"ng", f.ng}, {"contiguous", f.contiguous}, {"pxn", f.pxn}, {"uxn", f.uxn}, {"sw", f.sw}};
}

// decode(encode(f)) == f for in-range fields; encode sets only leaf
// attribute bits, for every input.
template <class L> Claim leaf_fields_round_trip(z3::context& c) {
  Symbolic d(c);
  LeafS f = leaf_vars(d);
  z3::expr enc = L::encode_leaf_fields(d, f);
  z3::expr holds = d.implies(leaf_in_range(d, f), leaf_eq(L::decode_leaf_fields(d, enc), f)) &&
                   (enc & d.lit(~spec::kLeafAttrs)) == d.lit(0);
  std::vector<Reported> rep = leaf_report(f);
  rep.push_back({"encoded", enc});
  return {holds, rep};
}

// The decoder reads every field from its Arm ARM position (D8.3.2), for
// every 64-bit descriptor; the encoder puts in-range fields there.
template <class L> Claim leaf_fields_at_arm_positions(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  LeafS g = L::decode_leaf_fields(d, pte);
  z3::expr reads = g.attr_indx == at(d, pte, spec::kAttrIndx) && g.ns == flag_at(d, pte, spec::kNs) &&
                   g.ap == at(d, pte, spec::kAp) && g.sh == at(d, pte, spec::kSh) &&
                   g.af == flag_at(d, pte, spec::kAf) && g.ng == flag_at(d, pte, spec::kNg) &&
                   g.contiguous == flag_at(d, pte, spec::kContiguous) && g.pxn == flag_at(d, pte, spec::kPxn) &&
                   g.uxn == flag_at(d, pte, spec::kUxn) && g.sw == at(d, pte, spec::kSw);
  LeafS f = leaf_vars(d, "f_");
  auto put = [&](const z3::expr& v, spec::Pos p) { return d.shl(v, p.lo); };
  auto putb = [&](const z3::expr& b, spec::Pos p) { return d.ite(b, d.lit(p.mask()), d.lit(0)); };
  z3::expr placed = put(f.attr_indx, spec::kAttrIndx) | putb(f.ns, spec::kNs) | put(f.ap, spec::kAp) |
                    put(f.sh, spec::kSh) | putb(f.af, spec::kAf) | putb(f.ng, spec::kNg) |
                    putb(f.contiguous, spec::kContiguous) | putb(f.pxn, spec::kPxn) | putb(f.uxn, spec::kUxn) |
                    put(f.sw, spec::kSw);
  z3::expr writes = d.implies(leaf_in_range(d, f), L::encode_leaf_fields(d, f) == placed);
  return {reads && writes, {{"pte", pte}, {"f_ap", f.ap}, {"f_attr_indx", f.attr_indx}, {"f_sw", f.sw}}};
}

// Table attributes: round trip, Arm ARM positions (D8.3.1), nothing else set.
template <class L> Claim table_fields_round_trip(z3::context& c) {
  Symbolic d(c);
  TableS f = table_vars(d);
  z3::expr enc = L::encode_table_fields(d, f);
  z3::expr pte = d.var("pte");
  TableS g = L::decode_table_fields(d, pte);
  z3::expr reads = g.ap_table == at(d, pte, spec::kApTable) && g.pxn_table == flag_at(d, pte, spec::kPxnTable) &&
                   g.uxn_table == flag_at(d, pte, spec::kUxnTable) && g.ns_table == flag_at(d, pte, spec::kNsTable);
  z3::expr holds = d.implies(d.ule(f.ap_table, d.lit(3)), table_eq(L::decode_table_fields(d, enc), f)) &&
                   (enc & d.lit(~spec::kTableAttrs)) == d.lit(0) && reads;
  return {holds, {{"ap_table", f.ap_table}, {"pxn_table", f.pxn_table}, {"uxn_table", f.uxn_table},
                  {"ns_table", f.ns_table}, {"encoded", enc}, {"pte", pte}}};
}

// make_leaf for every granule and leaf level: keeps the OA and the fields,
// is a leaf of the right kind at its level, sets nothing else.
template <class L> Claim make_leaf_round_trip(z3::context& c) {
  Symbolic d(c);
  z3::expr pa = d.var("pa");
  LeafS f = leaf_vars(d);
  CaseSplit cases;
  for (const Geometry& g : granule_geometries()) {
    const unsigned gs = g.granule_shift;
    for (unsigned level = 1; level <= 3; ++level) {
      if (!spec::leaf_level(gs, level)) continue;
      z3::expr leaf = L::make_leaf(d, g, pa, f, level);
      z3::expr pa_ok = (pa & d.lit(~spec::oa_mask(gs))) == d.lit(0);
      z3::expr type = (leaf & d.lit(spec::kTypeBit)) != d.lit(0);
      z3::expr holds = d.implies(pa_ok, L::oa_of(d, g, leaf) == pa) &&
                       d.implies(leaf_in_range(d, f), leaf_eq(L::decode_leaf_fields(d, leaf), f)) &&
                       (leaf & d.lit(~(spec::kValidBit | spec::kTypeBit | spec::oa_mask(gs) | spec::kLeafAttrs))) ==
                           d.lit(0) &&
                       (leaf & d.lit(spec::kValidBit)) != d.lit(0) && (level == 3 ? type : !type) &&
                       L::is_leaf(d, g, leaf, level) && !L::is_table(d, leaf, level);
      cases.add(holds, {{"granule", g.granule()}, {"level", level}});
    }
  }
  std::vector<Reported> rep = leaf_report(f);
  rep.insert(rep.begin(), {"pa", pa});
  return cases.claim(rep);
}

// make_table: a table at levels 0-2 (never a leaf), keeps the table address
// and the table attributes, sets nothing else.
template <class L> Claim make_table_round_trip(z3::context& c) {
  Symbolic d(c);
  z3::expr pa = d.var("table_pa");
  TableS f = table_vars(d);
  CaseSplit cases;
  for (const Geometry& g : granule_geometries()) {
    const unsigned gs = g.granule_shift;
    z3::expr t = L::make_table(d, g, pa, f);
    z3::expr pa_ok = (pa & d.lit(~spec::oa_mask(gs))) == d.lit(0);
    z3::expr holds = d.implies(pa_ok, L::oa_of(d, g, t) == pa) &&
                     d.implies(d.ule(f.ap_table, d.lit(3)), table_eq(L::decode_table_fields(d, t), f)) &&
                     (t & d.lit(~(spec::kValidBit | spec::kTypeBit | spec::oa_mask(gs) | spec::kTableAttrs))) ==
                         d.lit(0);
    for (unsigned level = 0; level < 3; ++level)
      holds = holds && L::is_table(d, t, level) && !L::is_leaf(d, g, t, level);
    cases.add(holds, {{"granule", g.granule()}});
  }
  return cases.claim({{"table_pa", pa}, {"ap_table", f.ap_table}, {"pxn_table", f.pxn_table}});
}

// Classification per level and granule against D8.3: table = bits 1:0 = 11
// at levels 0-2; page = 11 at level 3; block = 01 at a level with blocks;
// leaf = page or block; every other valid encoding is neither (a
// translation fault).
template <class L> Claim classification_matches_arm(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  SelectedCases cases(d);
  const z3::expr low = pte & d.lit(spec::kValidBit | spec::kTypeBit);
  const z3::expr t11 = low == d.lit(3);
  const z3::expr t01 = low == d.lit(1);
  for (const Geometry& g : granule_geometries()) {
    for (unsigned level = 0; level <= 3; ++level) {
      const bool blocks = level < 3 && spec::leaf_level(g.granule_shift, level);
      z3::expr table = d.blit(level < 3) && t11;
      z3::expr page = d.blit(level == 3) && t11;
      z3::expr block = d.blit(blocks) && t01;
      z3::expr holds = L::is_table(d, pte, level) == table && L::is_page(d, pte, level) == page &&
                       L::is_block(d, g, pte, level) == block && L::is_leaf(d, g, pte, level) == (page || block) &&
                       L::is_valid(d, pte) == ((pte & d.lit(spec::kValidBit)) != d.lit(0));
      cases.add(holds, {{"granule", g.granule()}, {"level", level}});
    }
  }
  return cases.claim({{"pte", pte}});
}

// mmu_clear_user's entry update (seed 001, "Teach mmu_clear_user about block
// mappings"): AP[1] (bit 6, PTE_USER) cleared and nothing else changed, so
// the descriptor keeps its kind at every level, its OA and every other field.
template <class L> Claim clear_user_entry_update(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  z3::expr n = L::clear_user(d, pte);
  LeafS a = L::decode_leaf_fields(d, pte);
  LeafS b = L::decode_leaf_fields(d, n);
  z3::expr holds = n == (pte & d.lit(~spec::kUserBit)) && !L::is_user(d, n) &&
                   L::is_user(d, pte) == ((pte & d.lit(spec::kUserBit)) != d.lit(0)) &&
                   b.ap == (a.ap & d.lit(2)) && b.pxn == a.pxn && b.uxn == a.uxn && b.af == a.af;
  for (const Geometry& g : granule_geometries())
    for (unsigned level = 0; level <= 3; ++level)
      holds = holds && L::is_leaf(d, g, n, level) == L::is_leaf(d, g, pte, level) &&
              L::is_table(d, n, level) == L::is_table(d, pte, level) && L::oa_of(d, g, n) == L::oa_of(d, g, pte);
  return {holds, {{"pte", pte}, {"cleared", n}}};
}

}  // namespace ptspec::solver::stage1
