// The arm64.stage2 lemma builders about single entries, over a logic L
// (stage2_lemmas_common.hpp): owner entries, the counted rule,
// needs_update, prot <-> attribute encoding and the leaf/table encoders.
// Each returns the claim and the terms to report.
#pragma once

#include <z3++.h>

#include <cstdint>

#include "model/arm64/stage2_desc.hpp"
#include "model/arm64/stage2_geometry.hpp"
#include "solver/arm64/stage2_lemmas_common.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"

namespace ptspec::solver::stage2 {

template <class L> Claim owner_entry_invalid(z3::context& c, OwnerLayout layout) {
  Symbolic d(c);
  z3::expr id = d.var("owner");
  z3::expr pte = L::make_owner(d, layout, id);
  return {!L::is_valid(d, pte), {{"owner", id}, {"pte", pte}}};
}

template <class L> Claim owner_round_trip(z3::context& c, OwnerLayout layout) {
  Symbolic d(c);
  z3::expr id = d.var("owner");
  z3::expr pte = L::make_owner(d, layout, id);
  z3::expr back = L::owner_of(d, layout, pte);
  return {d.implies(d.ule(id, d.lit(spec::kOwnerIdMax)), back == id),
          {{"owner", id}, {"pte", pte}, {"owner_read", back}}};
}

template <class L> Claim owner_survives_sw_bits(z3::context& c, OwnerLayout layout) {
  Symbolic d(c);
  z3::expr id = d.var("owner");
  z3::expr sw = d.var("sw");
  z3::expr pte = L::with_sw(d, L::make_owner(d, layout, id), sw);
  z3::expr back = L::owner_of(d, layout, pte);
  return {d.implies(d.ule(id, d.lit(spec::kOwnerIdMax)) && d.ule(sw, d.lit(spec::kSwMax)), back == id),
          {{"owner", id}, {"sw", sw}, {"pte", pte}, {"owner_read", back}}};
}

template <class L> Claim uncounted_entry_is_host_owned(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  z3::expr host = !L::is_valid(d, pte) && L::owner_of(d, OwnerLayout::Upstream, pte) == d.lit(0) &&
                  L::owner_of(d, OwnerLayout::Seed, pte) == d.lit(0);
  z3::expr zero_owner = !L::is_counted(d, L::make_owner(d, OwnerLayout::Upstream, d.lit(0))) &&
                        !L::is_counted(d, L::make_owner(d, OwnerLayout::Seed, d.lit(0)));
  return {d.implies(!L::is_counted(d, pte), host) && zero_owner, {{"pte", pte}}};
}

template <class L> Claim counted_iff_nonzero(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  return {L::is_counted(d, pte) == (pte != d.lit(0)), {{"pte", pte}}};
}

template <class L> Claim valid_entry_is_counted(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  return {d.implies((pte & d.lit(spec::kValidBit)) != d.lit(0), L::is_counted(d, pte)), {{"pte", pte}}};
}

template <class L> Claim owner_entry_is_counted(z3::context& c) {
  Symbolic d(c);
  z3::expr id = d.var("owner");
  z3::expr up = L::make_owner(d, OwnerLayout::Upstream, id);
  z3::expr seed = L::make_owner(d, OwnerLayout::Seed, id);
  z3::expr in_range = d.ule(d.lit(1), id) && d.ule(id, d.lit(spec::kOwnerIdMax));
  return {d.implies(in_range, L::is_counted(d, up) && L::is_counted(d, seed)),
          {{"owner", id}, {"pte_upstream", up}, {"pte_seed", seed}}};
}

template <class L> Claim no_update_only_for_permission_change(z3::context& c) {
  Symbolic d(c);
  z3::expr o = d.var("old");
  z3::expr n = d.var("new");
  z3::expr valid = (o & d.lit(spec::kValidBit)) != d.lit(0) && (n & d.lit(spec::kValidBit)) != d.lit(0);
  z3::expr perms_only = ((o ^ n) & d.lit(~spec::kPerms)) == d.lit(0);
  return {(!L::needs_update(d, o, n)) == (valid && perms_only), {{"old", o}, {"new", n}}};
}

template <class L> Claim no_update_keeps_translation(z3::context& c) {
  Symbolic d(c);
  z3::expr o = d.var("old");
  z3::expr n = d.var("new");
  CaseSplit cases;
  const std::uint64_t kept_attrs = spec::kMemAttr | spec::kSh | spec::kAf | spec::kSw;
  for (const Geometry& g : granule_geometries()) {
    for (unsigned level = 0; level <= 3; ++level) {
      z3::expr same = L::oa_of(d, g, o) == L::oa_of(d, g, n) &&
                      L::is_leaf(d, g, o, level) == L::is_leaf(d, g, n, level) &&
                      L::is_table(d, o, level) == L::is_table(d, n, level) &&
                      ((o ^ n) & d.lit(kept_attrs)) == d.lit(0);
      cases.add(d.implies(!L::needs_update(d, o, n), same), {{"granule", g.granule()}, {"level", level}});
    }
  }
  return cases.claim({{"old", o}, {"new", n}});
}

inline s2::Prot<Symbolic> prot_vars(const Symbolic& d) {
  return {d.bvar("r"), d.bvar("w"), d.bvar("x"), d.bvar("device")};
}

template <class L> Claim prot_round_trip(z3::context& c) {
  Symbolic d(c);
  s2::Prot<Symbolic> p = prot_vars(d);
  z3::expr pa = d.var("pa");
  CaseSplit cases;
  for (const Geometry& g : granule_geometries()) {
    for (unsigned level = 1; level <= 3; ++level) {
      if (!spec::leaf_level(g.granule_shift, level)) continue;
      z3::expr leaf = L::make_leaf(d, g, pa, L::prot_to_attr(d, p).attr, level);
      s2::Prot<Symbolic> back = L::attr_to_prot(d, leaf);
      z3::expr same = back.r == p.r && back.w == p.w && back.x == p.x && back.device == p.device;
      cases.add(d.implies(!(p.device && p.x), same), {{"granule", g.granule()}, {"level", level}});
    }
  }
  return cases.claim({{"r", p.r}, {"w", p.w}, {"x", p.x}, {"device", p.device}, {"pa", pa}});
}

template <class L> Claim prot_refuses_executable_device(z3::context& c) {
  Symbolic d(c);
  s2::Prot<Symbolic> p = prot_vars(d);
  return {L::prot_to_attr(d, p).ok == !(p.device && p.x),
          {{"r", p.r}, {"w", p.w}, {"x", p.x}, {"device", p.device}}};
}

template <class L> Claim prot_attr_within_leaf_fields(z3::context& c) {
  Symbolic d(c);
  s2::Prot<Symbolic> p = prot_vars(d);
  z3::expr a = L::prot_to_attr(d, p).attr;
  z3::expr memattr = d.ite(p.device, d.lit(std::uint64_t{0x1} << 2), d.lit(std::uint64_t{0xf} << 2));
  z3::expr holds = (a & d.lit(~(spec::kAttrLo | spec::kAttrHi))) == d.lit(0) &&
                   (a & d.lit(spec::kAf)) != d.lit(0) && (a & d.lit(spec::kSh)) == d.lit(spec::kSh) &&
                   (a & d.lit(spec::kMemAttr)) == memattr;
  return {holds, {{"r", p.r}, {"w", p.w}, {"x", p.x}, {"device", p.device}, {"attr", a}}};
}

template <class L> Claim make_leaf_round_trip(z3::context& c) {
  Symbolic d(c);
  z3::expr pa = d.var("pa");
  z3::expr attr = d.var("attr");
  CaseSplit cases;
  for (const Geometry& g : granule_geometries()) {
    const unsigned gs = g.granule_shift;
    const std::uint64_t documented = spec::kValidBit | spec::kTypeBit | spec::kAttrLo | spec::oa_mask(gs) |
                                     spec::kAttrHi;
    const std::uint64_t attrs = spec::kAttrLo | spec::kAttrHi;
    for (unsigned level = 1; level <= 3; ++level) {
      if (!spec::leaf_level(gs, level)) continue;
      z3::expr leaf = L::make_leaf(d, g, pa, attr, level);
      z3::expr pa_ok = (pa & d.lit(~spec::oa_mask(gs))) == d.lit(0);  // aligned and below 2^48
      z3::expr holds = d.implies(pa_ok, L::oa_of(d, g, leaf) == pa) &&
                       (leaf & d.lit(~documented)) == d.lit(0) &&
                       (leaf & d.lit(attrs)) == (attr & d.lit(attrs)) &&
                       (leaf & d.lit(spec::oa_mask(gs))) == (pa & d.lit(spec::oa_mask(gs)));
      cases.add(holds, {{"granule", g.granule()}, {"level", level}});
    }
  }
  return cases.claim({{"pa", pa}, {"attr", attr}});
}

template <class L> Claim make_table_round_trip(z3::context& c) {
  Symbolic d(c);
  z3::expr pa = d.var("table_pa");
  CaseSplit cases;
  for (const Geometry& g : granule_geometries()) {
    const unsigned gs = g.granule_shift;
    z3::expr t = L::make_table(d, g, pa);
    z3::expr pa_ok = (pa & d.lit(~spec::oa_mask(gs))) == d.lit(0);
    z3::expr holds = d.implies(pa_ok, L::oa_of(d, g, t) == pa) &&
                     (t & d.lit(~(spec::kValidBit | spec::kTypeBit | spec::oa_mask(gs)))) == d.lit(0);
    for (unsigned level = 0; level < 3; ++level)
      holds = holds && L::is_table(d, t, level) && !L::is_leaf(d, g, t, level);
    cases.add(holds, {{"granule", g.granule()}});
  }
  return cases.claim({{"table_pa", pa}});
}

template <class L> Claim make_leaf_kind_matches_level(z3::context& c) {
  Symbolic d(c);
  z3::expr pa = d.var("pa");
  z3::expr attr = d.var("attr");
  CaseSplit cases;
  for (const Geometry& g : granule_geometries()) {
    for (unsigned level = 1; level <= 3; ++level) {
      if (!spec::leaf_level(g.granule_shift, level)) continue;
      z3::expr leaf = L::make_leaf(d, g, pa, attr, level);
      z3::expr type = (leaf & d.lit(spec::kTypeBit)) != d.lit(0);
      z3::expr holds = L::is_valid(d, leaf) && L::is_leaf(d, g, leaf, level) && !L::is_table(d, leaf, level) &&
                       (level == 3 ? type : !type);
      cases.add(holds, {{"granule", g.granule()}, {"level", level}});
    }
  }
  return cases.claim({{"pa", pa}, {"attr", attr}});
}

}  // namespace ptspec::solver::stage2
