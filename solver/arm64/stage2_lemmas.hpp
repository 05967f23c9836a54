// The arm64.stage2 lemma catalogue, written over a "logic" type L whose static
// functions are the entry templates of model/arm64/stage2_desc.hpp.
//
// The catalogue instantiates it with Stage2Logic, which forwards to the
// model's templates with the Symbolic domain: every lemma is about the code
// the model runs. Unit tests instantiate it with deliberately broken logics
// (a Stage2Logic with one function replaced) to show that each lemma can
// fail: the same names, statements and builders, over a wrong formula.
//
// Each statement is checked against an independent description written here
// from the Arm ARM / reference/arm64-stage2.md (bit positions, block levels,
// level shifts), not against the model's own constants where that would make
// the claim circular.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/arm64/stage2_desc.hpp"
#include "model/arm64/stage2_geometry.hpp"
#include "model/core/bits.hpp"
#include "model/core/errors.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/symmem.hpp"

namespace ptspec::solver::stage2 {

using arm64::Geometry;
using arm64::s2::OwnerLayout;
namespace s2 = arm64::s2;

inline constexpr const char* kFormat = "arm64.stage2";

// One step of a stage-2 walk: the entry for `ia` in the table at `table`,
// read from `mem` -- PhysMem with Concrete, SymMem with Symbolic.
// (Belongs next to entry_address in model/arm64/stage2_desc.hpp; see the
// solver report.)
template <Domain D, class M>
  requires MemoryFor<M, D>
WordOf<D> walk_step_read(const D& d, const M& mem, const Geometry& g, const WordOf<D>& table,
                         const WordOf<D>& ia, unsigned level) {
  return mem_load(d, mem, s2::entry_address(d, g, table, ia, level));
}

// The model's entry logic, instantiated with Symbolic.
struct Stage2Logic {
  using S = Symbolic;
  using W = z3::expr;
  static W is_valid(const S& d, const W& pte) { return s2::is_valid(d, pte); }
  static W is_table(const S& d, const W& pte, unsigned level) { return s2::is_table(d, pte, level); }
  static W is_leaf(const S& d, const Geometry& g, const W& pte, unsigned level) {
    return s2::is_leaf(d, g, pte, level);
  }
  static W is_counted(const S& d, const W& pte) { return s2::is_counted(d, pte); }
  static W needs_update(const S& d, const W& o, const W& n) { return s2::needs_update(d, o, n); }
  static W make_owner(const S& d, OwnerLayout l, const W& id) { return s2::make_owner(d, l, id); }
  static W owner_of(const S& d, OwnerLayout l, const W& pte) { return s2::owner_of(d, l, pte); }
  static W with_sw(const S& d, const W& pte, const W& sw) { return s2::with_sw(d, pte, sw); }
  static W oa_of(const S& d, const Geometry& g, const W& pte) { return s2::oa_of(d, g, pte); }
  static W make_table(const S& d, const Geometry& g, const W& pa) { return s2::make_table(d, g, pa); }
  static W make_leaf(const S& d, const Geometry& g, const W& pa, const W& attr, unsigned level) {
    return s2::make_leaf(d, g, pa, attr, level);
  }
  static s2::ProtAttr<S> prot_to_attr(const S& d, const s2::Prot<S>& p) { return s2::prot_to_attr(d, p); }
  static s2::Prot<S> attr_to_prot(const S& d, const W& pte) { return s2::attr_to_prot(d, pte); }
  static W block_mapping_supported(const S& d, const Geometry& g, unsigned level, const W& addr,
                                   const W& end, const W& phys) {
    return s2::block_mapping_supported(d, g, level, addr, end, phys);
  }
  static W table_index(const S& d, const Geometry& g, const W& ia, unsigned level) {
    return s2::table_index(d, g, ia, level);
  }
  static W entry_address(const S& d, const Geometry& g, const W& table, const W& ia, unsigned level) {
    return s2::entry_address(d, g, table, ia, level);
  }
  static W walk_step_read(const S& d, const SymMem& mem, const Geometry& g, const W& table, const W& ia,
                          unsigned level) {
    return stage2::walk_step_read(d, mem, g, table, ia, level);
  }
};

// ---- the independent description (Arm ARM D8, reference/arm64-stage2.md) ----
namespace spec {
inline constexpr std::uint64_t kValidBit = bit(0);
inline constexpr std::uint64_t kTypeBit = bit(1);
inline constexpr std::uint64_t kAttrLo = genmask(10, 2);   // MemAttr, S2AP, SH, AF
inline constexpr std::uint64_t kAttrHi = genmask(63, 51);  // XN, SW, ...
inline constexpr std::uint64_t kMemAttr = genmask(5, 2);
inline constexpr std::uint64_t kSh = genmask(9, 8);
inline constexpr std::uint64_t kAf = bit(10);
inline constexpr std::uint64_t kSw = genmask(58, 55);
inline constexpr std::uint64_t kPerms = bit(6) | bit(7) | bit(54);  // S2AP[0], S2AP[1], XN
inline constexpr std::uint64_t kOwnerIdMax = 0xff;                  // u8 owner_id
inline constexpr std::uint64_t kSwMax = 0xf;                        // four software bits
inline constexpr unsigned kGranuleShifts[] = {12, 14, 16};
constexpr std::uint64_t oa_mask(unsigned gs) { return genmask(47, gs); }
constexpr unsigned level_shift(unsigned gs, unsigned level) { return gs + (3 - level) * (gs - 3); }
// Blocks: 4K at levels 1 and 2; 16K/64K at level 2; pages at level 3.
constexpr bool leaf_level(unsigned gs, unsigned level) {
  return level == 3 || level == 2 || (level == 1 && gs == 12);
}
inline std::string granule_name(unsigned gs) { return gs == 12 ? "4k" : gs == 14 ? "16k" : "64k"; }
}  // namespace spec

// Geometries of the three granules (48-bit IPA and PA unless told).
inline std::vector<Geometry> granule_geometries(unsigned ia_bits = 48, unsigned pa_bits = 48) {
  std::vector<Geometry> out;
  for (unsigned gs : spec::kGranuleShifts)
    out.push_back(arm64::make_geometry(1u << gs, ia_bits, -1, pa_bits));
  return out;
}

// Every (ia_bits, start level) make_geometry accepts for a granule.
inline std::vector<Geometry> all_geometries(unsigned granule_shift, unsigned ia_lo = 32, unsigned ia_hi = 48,
                                            unsigned ia_step = 1) {
  std::vector<Geometry> out;
  for (unsigned ia = ia_lo; ia <= ia_hi; ia += ia_step)
    for (int sl = 0; sl <= 3; ++sl) {
      try {
        out.push_back(arm64::make_geometry(1u << granule_shift, ia, sl, 48));
      } catch (const InputError&) {
        // VTCR_EL2 cannot express this combination: not a configuration.
      }
    }
  return out;
}

inline const char* layout_name(OwnerLayout l) { return l == OwnerLayout::Seed ? "seed" : "upstream"; }

// ---------------------------------------------------------------------------
// The builders. Each returns the claim and the terms to report.
// ---------------------------------------------------------------------------

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

// kvm_block_mapping_supported, both directions: `forward` is "supported =>
// aligned and covered", the converse is "aligned and covered => supported".
template <class L> Claim block_mapping_rule(z3::context& c, bool forward) {
  Symbolic d(c);
  z3::expr addr = d.var("addr");
  z3::expr end = d.var("end");
  z3::expr phys = d.var("phys");
  CaseSplit cases;
  for (unsigned pa_bits : {40u, 48u}) {
    for (const Geometry& g : granule_geometries(48, pa_bits)) {
      for (unsigned level = 0; level <= 3; ++level) {
        const std::uint64_t block = std::uint64_t{1} << spec::level_shift(g.granule_shift, level);
        z3::expr phys_invalid = d.uge(phys, d.lit(bit(pa_bits)));
        z3::expr rule = d.blit(spec::leaf_level(g.granule_shift, level)) && d.aligned(addr, block) &&
                        d.ule(d.lit(block), end - addr) && (phys_invalid || d.aligned(phys, block));
        z3::expr supported = L::block_mapping_supported(d, g, level, addr, end, phys);
        cases.add(forward ? d.implies(supported, rule) : d.implies(rule, supported),
                  {{"granule", g.granule()}, {"pa_bits", pa_bits}, {"level", level}});
      }
    }
  }
  return cases.claim({{"addr", addr}, {"end", end}, {"phys", phys}});
}

template <class L> Claim walk_indices_partition_ipa(z3::context& c, unsigned granule_shift) {
  Symbolic d(c);
  z3::expr ipa = d.var("ipa");
  CaseSplit cases;
  const z3::expr ones = d.lit(~std::uint64_t{0});
  for (const Geometry& g : all_geometries(granule_shift)) {
    const std::uint64_t page_offset = genmask(granule_shift - 1, 0);
    // The bits each level's index reads, placed back at their position.
    std::vector<z3::expr> masks;
    z3::expr rebuilt = ipa & d.lit(page_offset);
    for (unsigned level = g.start_level; level <= 3; ++level) {
      const unsigned shift = spec::level_shift(granule_shift, level);
      masks.push_back(d.shl(L::table_index(d, g, ones, level), shift));
      rebuilt = rebuilt | d.shl(L::table_index(d, g, ipa, level), shift);
    }
    masks.push_back(d.lit(page_offset));
    z3::expr holds = d.implies(d.ult(ipa, d.lit(bit(g.ia_bits))), rebuilt == ipa);
    z3::expr all = d.lit(0);
    for (std::size_t i = 0; i < masks.size(); ++i) {
      for (std::size_t j = i + 1; j < masks.size(); ++j) holds = holds && (masks[i] & masks[j]) == d.lit(0);
      all = all | masks[i];
    }
    holds = holds && all == d.lit(genmask(g.ia_bits - 1, 0));
    // The start level's index ranges over the concatenated pgd pages.
    // The start level's index ranges over the concatenated pgd pages and
    // needs every one of them: pgd_bytes - granule < entries * 8 <= pgd_bytes.
    const std::uint64_t pgd_bytes = std::uint64_t{g.pgd_pages} << granule_shift;
    z3::expr start_bytes = d.shl(L::table_index(d, g, ones, g.start_level) + d.lit(1), 3);
    holds = holds && d.ule(start_bytes, d.lit(pgd_bytes)) &&
            d.ult(d.lit(pgd_bytes - (std::uint64_t{1} << granule_shift)), start_bytes);
    cases.add(holds, {{"ia_bits", g.ia_bits}, {"start_level", g.start_level}});
  }
  return cases.claim({{"ipa", ipa}});
}

template <class L> Claim walk_step_reads_selected_entry(z3::context& c) {
  Symbolic d(c);
  z3::expr base = d.var("table");
  z3::expr ipa = d.var("ipa");
  z3::expr ipa2 = d.var("ipa2");
  z3::expr k = d.var("k");
  z3::expr v = d.var("v");
  SymMem mem(c, "mem");
  CaseSplit cases;
  for (unsigned gs : spec::kGranuleShifts) {
    for (const Geometry& g : all_geometries(gs, 32, 48, 4)) {
      for (unsigned level = g.start_level; level <= 3; ++level) {
        const unsigned shift = spec::level_shift(gs, level);
        const unsigned bits = level == g.start_level ? g.ia_bits - shift : gs - 3;
        const std::uint64_t entries = std::uint64_t{1} << bits;
        const std::uint64_t size = entries * 8;
        auto index = [&](const z3::expr& a) { return d.lshr(a, shift) & d.lit(entries - 1); };
        z3::expr pre = d.aligned(base, size) && d.ult(base, d.lit(bit(48)));
        z3::expr ea = L::entry_address(d, g, base, ipa, level);
        z3::expr ea2 = L::entry_address(d, g, base, ipa2, level);
        z3::expr in_table = d.ule(base, ea) && d.ult(ea, base + d.lit(size)) && d.aligned(ea, 8);
        z3::expr same_entry = (ea == ea2) == (index(ipa) == index(ipa2));
        SymMem written = mem.store(base + d.shl(k, 3), v);
        z3::expr read = L::walk_step_read(d, written, g, base, ipa, level);
        z3::expr expected = d.ite(index(ipa) == k, v, mem.load(d, base + d.shl(index(ipa), 3)));
        z3::expr holds = d.implies(pre, in_table && same_entry && d.implies(d.ult(k, d.lit(entries)), read == expected));
        cases.add(holds, {{"granule", g.granule()}, {"ia_bits", g.ia_bits}, {"start_level", g.start_level},
                          {"level", level}});
      }
    }
  }
  return cases.claim({{"table", base}, {"ipa", ipa}, {"ipa2", ipa2}, {"k", k}});
}

template <class L> Claim table_and_leaf_exclusive(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  CaseSplit cases;
  for (const Geometry& g : granule_geometries())
    for (unsigned level = 0; level <= 3; ++level)
      cases.add(!(L::is_table(d, pte, level) && L::is_leaf(d, g, pte, level)),
                {{"granule", g.granule()}, {"level", level}});
  return cases.claim({{"pte", pte}});
}

template <class L> Claim level3_never_table(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  CaseSplit cases;
  for (const Geometry& g : granule_geometries()) {
    z3::expr page = (pte & d.lit(spec::kValidBit | spec::kTypeBit)) == d.lit(spec::kValidBit | spec::kTypeBit);
    cases.add(!L::is_table(d, pte, 3) && L::is_leaf(d, g, pte, 3) == page, {{"granule", g.granule()}});
  }
  return cases.claim({{"pte", pte}});
}

template <class L> Claim leaf_only_at_block_levels(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  CaseSplit cases;
  for (const Geometry& g : granule_geometries())
    for (unsigned level = 0; level <= 3; ++level)
      cases.add(d.implies(L::is_leaf(d, g, pte, level),
                          d.blit(spec::leaf_level(g.granule_shift, level)) &&
                              (pte & d.lit(spec::kValidBit)) != d.lit(0)),
                {{"granule", g.granule()}, {"level", level}});
  return cases.claim({{"pte", pte}});
}

// ---------------------------------------------------------------------------
// The catalogue, for logic L.
// ---------------------------------------------------------------------------
template <class L = Stage2Logic> std::vector<Lemma> stage2_lemmas() {
  std::vector<Lemma> v;
  auto add = [&](std::string name, std::string statement, Expect e, LemmaBuilder b, unsigned ms = 10'000) {
    v.push_back(Lemma{kFormat, std::move(name), std::move(statement), e, ms, std::move(b)});
  };
  constexpr Expect P = Expect::Proved;
  constexpr Expect C = Expect::Counterexample;

  for (OwnerLayout l : {OwnerLayout::Upstream, OwnerLayout::Seed}) {
    const std::string ln = layout_name(l);
    add("owner-entry-invalid-" + ln,
        "In the " + ln + " owner layout, make_owner(id) is an invalid entry for every 64-bit owner id.", P,
        [l](z3::context& c) { return owner_entry_invalid<L>(c, l); });
    add("owner-round-trip-" + ln,
        "In the " + ln + " owner layout, owner_of(make_owner(id)) == id for every owner id 0..255.", P,
        [l](z3::context& c) { return owner_round_trip<L>(c, l); });
  }
  add("owner-survives-sw-bits-upstream",
      "In the upstream owner layout (9:2), setting any software bits 58:55 on an owner entry leaves its owner id "
      "unchanged: owner_of(with_sw(make_owner(id), sw)) == id for id 0..255, sw 0..15.",
      P, [](z3::context& c) { return owner_survives_sw_bits<L>(c, OwnerLayout::Upstream); });
  add("owner-survives-sw-bits-seed",
      "In the seed owner layout (63:56), setting software bits 58:55 on an owner entry leaves its owner id "
      "unchanged -- false: the fields overlap (fixed upstream by \"Don't overwrite software bits with owner id\"), "
      "so the solver must exhibit an (owner, sw) pair.",
      C, [](z3::context& c) { return owner_survives_sw_bits<L>(c, OwnerLayout::Seed); });
  add("uncounted-entry-is-host-owned",
      "An entry that is not counted is invalid and reads as owner 0 (the host) in both owner layouts, and "
      "make_owner(0) is not counted, so a zeroed pgd means 'all owned by the host'.",
      P, [](z3::context& c) { return uncounted_entry_is_host_owned<L>(c); });
  add("counted-iff-nonzero", "stage2_pte_is_counted(pte) holds exactly when pte != 0.", P,
      [](z3::context& c) { return counted_iff_nonzero<L>(c); });
  add("valid-entry-is-counted", "Every valid entry (bit 0 set) is counted.", P,
      [](z3::context& c) { return valid_entry_is_counted<L>(c); });
  add("owner-entry-is-counted",
      "An owner entry with owner id 1..255 is counted, in both owner layouts (it holds a table-page reference).", P,
      [](z3::context& c) { return owner_entry_is_counted<L>(c); });
  add("no-update-only-for-permission-change",
      "stage2_pte_needs_update(old, new) is false exactly when both entries are valid and differ only in the "
      "permission bits S2AP 7:6 and XN 54.",
      P, [](z3::context& c) { return no_update_only_for_permission_change<L>(c); });
  add("no-update-keeps-translation",
      "When stage2_pte_needs_update(old, new) is false, old and new have the same output address, the same "
      "kind (table/block/page) at every level and the same MemAttr, SH, AF and software bits, for every granule "
      "-- so skipping break-before-make is safe.",
      P, [](z3::context& c) { return no_update_keeps_translation<L>(c); });
  add("prot-round-trip",
      "For every r, w, x, device with !(device && x), every granule, leaf level and PA: "
      "attr_to_prot(make_leaf(pa, prot_to_attr(prot).attr, level)) == prot.",
      P, [](z3::context& c) { return prot_round_trip<L>(c); });
  add("prot-refuses-executable-device",
      "prot_to_attr(prot).ok is false exactly for executable device memory (device && x).", P,
      [](z3::context& c) { return prot_refuses_executable_device<L>(c); });
  add("prot-attr-within-leaf-fields",
      "prot_to_attr sets only leaf attribute bits (10:2, 63:51), always AF and SH = inner-shareable, and MemAttr "
      "Device-nGnRE (0x1) for device, Normal write-back (0xf) otherwise.",
      P, [](z3::context& c) { return prot_attr_within_leaf_fields<L>(c); });
  add("make-leaf-round-trip",
      "For every granule and leaf level, make_leaf keeps the output address (oa_of(make_leaf(pa)) == pa for "
      "granule-aligned pa < 2^48) and the attribute bits 10:2 and 63:51 of attr, and sets no bit outside "
      "valid, type, OA 47:granule and the attribute fields.",
      P, [](z3::context& c) { return make_leaf_round_trip<L>(c); });
  add("make-table-round-trip",
      "For every granule, make_table keeps the table address (oa_of(make_table(pa)) == pa for granule-aligned "
      "pa < 2^48), sets only valid, type and OA bits (63:59 and attributes stay 0), and is a table, not a leaf, "
      "at levels 0-2.",
      P, [](z3::context& c) { return make_table_round_trip<L>(c); });
  add("make-leaf-kind-matches-level",
      "A leaf made at level 3 is a valid page (type bit set) and one made at a block level is a valid block "
      "(type bit clear); both are leaves at their level and never tables, for every granule.",
      P, [](z3::context& c) { return make_leaf_kind_matches_level<L>(c); });
  add("block-needs-alignment-and-cover",
      "kvm_block_mapping_supported(level, addr, end, phys) implies the level has blocks for the granule, addr "
      "is block-aligned, end - addr >= block size, and phys is invalid (>= 2^pa_bits) or block-aligned; every "
      "granule, level, pa_bits 40 and 48.",
      P, [](z3::context& c) { return block_mapping_rule<L>(c, true); });
  add("block-when-aligned-and-covered",
      "Conversely, a block-capable level, a block-aligned addr, a range covering the block and an invalid or "
      "block-aligned phys make kvm_block_mapping_supported true (set_owner's invalid PA never blocks a block).",
      P, [](z3::context& c) { return block_mapping_rule<L>(c, false); });
  for (unsigned gs : spec::kGranuleShifts) {
    add("walk-indices-partition-ipa-" + spec::granule_name(gs),
        "Granule " + spec::granule_name(gs) +
            ", every ia_bits 32..48 and start level VTCR_EL2 allows: the walker's index fields (start level..3) "
            "and the page offset are pairwise disjoint, cover exactly bits ia_bits-1..0, rebuild every "
            "ipa < 2^ia_bits, and the start index needs all of the concatenated pgd pages and no more.",
        P, [gs](z3::context& c) { return walk_indices_partition_ipa<L>(c, gs); });
  }
  add("walk-step-reads-selected-entry",
      "Over symbolic memory, for a table aligned to its size below 2^48: entry_address(table, ipa, level) is "
      "8-aligned inside [table, table + entries*8), two IPAs share an entry iff their index bits agree, and the "
      "walk step reads exactly the word stored at the selected index (every granule, ia_bits 32..48 in steps "
      "of 4, every start level VTCR_EL2 allows, every level).",
      P, [](z3::context& c) { return walk_step_reads_selected_entry<L>(c); }, 30'000);
  add("table-and-leaf-exclusive", "No entry is both a table and a leaf, at any level, for every granule.", P,
      [](z3::context& c) { return table_and_leaf_exclusive<L>(c); });
  add("level3-never-table",
      "At level 3 no entry is a table, and an entry is a leaf there exactly when bits 1:0 are 11 (a page).", P,
      [](z3::context& c) { return level3_never_table<L>(c); });
  add("leaf-only-at-block-levels",
      "is_leaf(pte, level) implies the entry is valid and the granule allows a leaf at that level (4K: 1-3; "
      "16K/64K: 2-3).",
      P, [](z3::context& c) { return leaf_only_at_block_levels<L>(c); });
  return v;
}

}  // namespace ptspec::solver::stage2
