// The arm64.stage1 lemma builders about the permission decision
// (model/arm64/stage1_perms.hpp), over a logic L (stage1_lemmas_common.hpp):
// the decision equals the Arm ARM's table (spec::kPermTable) for every AP,
// PXN, UXN, PAN and WXN at EL0 and EL1; the security rules it implies (no
// EL1 execution of EL0-writable memory, WXN, PAN); and the folding of the
// hierarchical table attributes. Each returns the claim and the terms to report.
#pragma once

#include <z3++.h>

#include <cstdint>

#include "solver/arm64/stage1_lemmas_common.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"

namespace ptspec::solver::stage1 {

struct PermVars {
  z3::expr ap, pxn, uxn, pan, wxn;
};
inline PermVars perm_vars(const Symbolic& d) {
  return {d.var("ap"), d.bvar("pxn"), d.bvar("uxn"), d.bvar("pan"), d.bvar("wxn")};
}
inline std::vector<Reported> perm_report(const PermVars& v) {
  return {{"ap", v.ap}, {"pxn", v.pxn}, {"uxn", v.uxn}, {"pan", v.pan}, {"wxn", v.wxn}};
}

// Every row of the table: for every ap whose bits 1:0 are the row's (the
// other bits are ignored), every PXN, UXN, PAN and WXN, stage1_perms and
// stage1_access_allowed give the row's read / write / execute.
template <class L> Claim perms_match_arm_table(z3::context& c) {
  Symbolic d(c);
  PermVars v = perm_vars(d);
  SelectedCases cases(d);
  for (const spec::PermRow& row : spec::kPermTable) {
    const z3::expr own_xn = row.el == El::El0 ? v.uxn : v.pxn;
    const z3::expr r = d.bite(v.pan, d.blit(row.r_pan), d.blit(row.r));
    const z3::expr w = d.bite(v.pan, d.blit(row.w_pan), d.blit(row.w));
    const z3::expr x = !own_xn && d.bite(v.wxn, d.blit(row.x_wxn), d.blit(row.x));
    s1::Stage1Perms<Symbolic> p = L::perms(d, v.ap, v.pxn, v.uxn, row.el, v.pan, v.wxn);
    auto allowed = [&](Access a) { return L::access_allowed(d, v.ap, v.pxn, v.uxn, row.el, v.pan, v.wxn, a); };
    z3::expr holds = p.read == r && p.write == w && p.exec == x && allowed(Access::Read) == r &&
                     allowed(Access::Write) == w && allowed(Access::Fetch) == x;
    cases.add(d.implies((v.ap & d.lit(3)) == d.lit(row.ap), holds),
              {{"el", row.el == El::El0 ? 0u : 1u}, {"ap_row", row.ap}});
  }
  return cases.claim(perm_report(v));
}

// Memory EL0 can write is never executable at EL1 (Arm ARM D8.4, implicit
// PXN), whatever PXN, UXN, PAN and WXN say.
template <class L> Claim el0_writable_never_el1_executable(z3::context& c) {
  Symbolic d(c);
  PermVars v = perm_vars(d);
  s1::Stage1Perms<Symbolic> el0 = L::perms(d, v.ap, v.pxn, v.uxn, El::El0, v.pan, v.wxn);
  s1::Stage1Perms<Symbolic> el1 = L::perms(d, v.ap, v.pxn, v.uxn, El::El1, v.pan, v.wxn);
  return {d.implies(el0.write, !el1.exec), perm_report(v)};
}

// SCTLR_EL1.WXN: at each EL, memory writable there is not executable there;
// and WXN never removes a read or a write.
template <class L> Claim wxn_writable_never_executable(z3::context& c) {
  Symbolic d(c);
  PermVars v = perm_vars(d);
  z3::expr holds = d.blit(true);
  for (El el : {El::El0, El::El1}) {
    s1::Stage1Perms<Symbolic> on = L::perms(d, v.ap, v.pxn, v.uxn, el, v.pan, d.blit(true));
    s1::Stage1Perms<Symbolic> off = L::perms(d, v.ap, v.pxn, v.uxn, el, v.pan, d.blit(false));
    holds = holds && !(on.write && on.exec) && on.read == off.read && on.write == off.write &&
            d.implies(on.exec, off.exec);
  }
  return {holds, perm_report(v)};
}

// PSTATE.PAN: EL1 can neither read nor write memory EL0 can access; it
// changes nothing else (EL1 fetches, and every EL0 access, are unaffected).
template <class L> Claim pan_hides_el0_memory_from_el1_data(z3::context& c) {
  Symbolic d(c);
  PermVars v = perm_vars(d);
  s1::Stage1Perms<Symbolic> el0 = L::perms(d, v.ap, v.pxn, v.uxn, El::El0, v.pan, v.wxn);
  s1::Stage1Perms<Symbolic> on = L::perms(d, v.ap, v.pxn, v.uxn, El::El1, d.blit(true), v.wxn);
  s1::Stage1Perms<Symbolic> off = L::perms(d, v.ap, v.pxn, v.uxn, El::El1, d.blit(false), v.wxn);
  s1::Stage1Perms<Symbolic> el0_on = L::perms(d, v.ap, v.pxn, v.uxn, El::El0, d.blit(true), v.wxn);
  s1::Stage1Perms<Symbolic> el0_off = L::perms(d, v.ap, v.pxn, v.uxn, El::El0, d.blit(false), v.wxn);
  const z3::expr el0_access = (v.ap & d.lit(1)) != d.lit(0);  // AP[1]
  z3::expr holds = d.implies(el0_access, !on.read && !on.write) &&
                   d.implies(!el0_access, on.read == off.read && on.write == off.write) && on.exec == off.exec &&
                   el0_on.read == el0_off.read && el0_on.write == el0_off.write && el0_on.exec == el0_off.exec &&
                   d.implies(el0.read, el0_access);
  return {holds, perm_report(v)};
}

// Hierarchical attributes (D8.4 "hierarchical control"): APTable[0] clears
// the leaf's AP[1] (no EL0 data access), APTable[1] sets AP[2] (no write at
// any EL), PXNTable / UXNTable add PXN / UXN; no table bits changes nothing;
// and EL0 never gains a data permission from a table.
template <class L> Claim table_attrs_fold_per_arm(z3::context& c) {
  Symbolic d(c);
  PermVars v = perm_vars(d);
  z3::expr ap_table = d.var("ap_table");
  z3::expr pxn_t = d.bvar("pxn_table");
  z3::expr uxn_t = d.bvar("uxn_table");
  s1::LeafPermFields<Symbolic> leaf{v.ap, v.pxn, v.uxn};
  s1::LeafPermFields<Symbolic> e = L::apply_table_attrs(d, leaf, {ap_table, pxn_t, uxn_t});
  s1::LeafPermFields<Symbolic> same = L::apply_table_attrs(d, leaf, {d.lit(0), d.blit(false), d.blit(false)});
  const z3::expr no_el0 = (ap_table & d.lit(1)) != d.lit(0);
  const z3::expr no_write = (ap_table & d.lit(2)) != d.lit(0);
  const z3::expr ap1 = (v.ap & d.lit(1)) != d.lit(0) && !no_el0;
  const z3::expr ap2 = (v.ap & d.lit(2)) != d.lit(0) || no_write;
  z3::expr holds = ((e.ap & d.lit(1)) != d.lit(0)) == ap1 && ((e.ap & d.lit(2)) != d.lit(0)) == ap2 &&
                   e.pxn == (v.pxn || pxn_t) && e.uxn == (v.uxn || uxn_t) &&
                   (same.ap & d.lit(3)) == (v.ap & d.lit(3)) && same.pxn == v.pxn && same.uxn == v.uxn;
  s1::Stage1Perms<Symbolic> before = L::perms(d, v.ap, v.pxn, v.uxn, El::El0, v.pan, v.wxn);
  s1::Stage1Perms<Symbolic> after = L::perms(d, e.ap, e.pxn, e.uxn, El::El0, v.pan, v.wxn);
  // (Execution may be gained: a table that makes EL0-writable memory
  // read-only lifts WXN's execute-never.)
  holds = holds && d.implies(after.read, before.read) && d.implies(after.write, before.write);
  std::vector<Reported> rep = perm_report(v);
  rep.push_back({"ap_table", ap_table});
  rep.push_back({"pxn_table", pxn_t});
  rep.push_back({"uxn_table", uxn_t});
  rep.push_back({"effective_ap", e.ap});
  return {holds, rep};
}

// The permissions of a walked leaf, from raw descriptor bits: for every
// leaf descriptor and every OR of the table descriptors above it,
// leaf_perms (what the translate code asks) equals the permission table at
// the effective AP[2:1] = (bit 7 | bit 62, bit 6 & !bit 61), PXN = bit 53 |
// bit 59, UXN = bit 54 | bit 60 (Arm ARM D8.3.1/D8.3.2 positions, D8.4
// hierarchical control).
template <class L> Claim leaf_perms_from_descriptor_bits(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  z3::expr tattrs = d.var("table_attrs");
  z3::expr pan = d.bvar("pan");
  z3::expr wxn = d.bvar("wxn");
  auto b = [&](const z3::expr& w, unsigned n) { return (w & d.lit(bit(n))) != d.lit(0); };
  const z3::expr ap1 = b(pte, 6) && !b(tattrs, 61);
  const z3::expr ap2 = b(pte, 7) || b(tattrs, 62);
  const z3::expr ap = d.ite(ap2, d.lit(2), d.lit(0)) | d.ite(ap1, d.lit(1), d.lit(0));
  const z3::expr pxn = b(pte, 53) || b(tattrs, 59);
  const z3::expr uxn = b(pte, 54) || b(tattrs, 60);
  SelectedCases cases(d);
  for (El el : {El::El0, El::El1}) {
    z3::expr r = d.blit(false), w = d.blit(false), x = d.blit(false);
    for (const spec::PermRow& row : spec::kPermTable) {
      if (row.el != el) continue;
      const z3::expr hit = ap == d.lit(row.ap);
      r = d.bite(hit, d.bite(pan, d.blit(row.r_pan), d.blit(row.r)), r);
      w = d.bite(hit, d.bite(pan, d.blit(row.w_pan), d.blit(row.w)), w);
      x = d.bite(hit, d.bite(wxn, d.blit(row.x_wxn), d.blit(row.x)), x);
    }
    x = x && !(el == El::El0 ? uxn : pxn);
    s1::Stage1Perms<Symbolic> p = L::leaf_perms(d, pte, tattrs, el, pan, wxn);
    cases.add(p.read == r && p.write == w && p.exec == x, {{"el", el == El::El0 ? 0u : 1u}});
  }
  return cases.claim({{"pte", pte}, {"table_attrs", tattrs}, {"pan", pan}, {"wxn", wxn}});
}

}  // namespace ptspec::solver::stage1
