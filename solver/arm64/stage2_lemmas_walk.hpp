// The arm64.stage2 lemma builders about the walk, over a logic L
// (stage2_lemmas_common.hpp): block-mapping eligibility, the index fields of
// each level, the walk step over symbolic memory, and which entries are
// tables or leaves at which level. Each returns the claim and the terms to
// report.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <vector>

#include "model/arm64/stage2_geometry.hpp"
#include "model/core/bits.hpp"
#include "solver/arm64/stage2_lemmas_common.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/symmem.hpp"

namespace ptspec::solver::stage2 {

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

}  // namespace ptspec::solver::stage2
