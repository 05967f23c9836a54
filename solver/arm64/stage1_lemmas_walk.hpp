// The arm64.stage1 lemma builders about the walk, over a logic L
// (stage1_lemmas_common.hpp): the index fields of each level from the start
// level T0SZ gives, the walk step over symbolic memory, and the output
// address a leaf gives per level and granule. Each returns the claim and the
// terms to report.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <set>
#include <tuple>
#include <vector>

#include "model/core/bits.hpp"
#include "solver/arm64/stage1_lemmas_common.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/symmem.hpp"

namespace ptspec::solver::stage1 {

// The model's stage-1 geometries of a granule, va_bits lo..hi.
template <class L>
std::vector<Geometry> va_geometries(unsigned gs, unsigned lo = kVaBitsMin, unsigned hi = kVaBitsMax,
                                    unsigned step = 1) {
  std::vector<Geometry> out;
  for (unsigned va = lo; va <= hi; va += step) out.push_back(L::geometry(gs, va));
  return out;
}

// For one granule and every VA size: from the start level the model picks,
// the index fields (start..3) and the page offset are pairwise disjoint,
// cover exactly bits va_bits-1..0 and rebuild every VA below 2^va_bits; the
// start table needs 1..stride index bits (Arm ARM D8.2: stage 1 has no
// concatenated tables, and a level that resolves no bit is never walked).
template <class L> Claim walk_indices_partition_va(z3::context& c, unsigned gs) {
  Symbolic d(c);
  z3::expr va = d.var("va");
  CaseSplit cases;
  const z3::expr ones = d.lit(~std::uint64_t{0});
  const unsigned stride = gs - 3;
  for (const Geometry& g : va_geometries<L>(gs)) {
    const std::uint64_t page_offset = genmask(gs - 1, 0);
    std::vector<z3::expr> masks;
    z3::expr rebuilt = va & d.lit(page_offset);
    for (unsigned level = g.start_level; level <= 3; ++level) {
      const unsigned shift = spec::level_shift(gs, level);
      masks.push_back(d.shl(L::table_index(d, g, ones, level), shift));
      rebuilt = rebuilt | d.shl(L::table_index(d, g, va, level), shift);
    }
    masks.push_back(d.lit(page_offset));
    z3::expr holds = d.implies(d.ult(va, d.lit(bit(g.ia_bits))), rebuilt == va);
    z3::expr all = d.lit(0);
    for (std::size_t i = 0; i < masks.size(); ++i) {
      for (std::size_t j = i + 1; j < masks.size(); ++j) holds = holds && (masks[i] & masks[j]) == d.lit(0);
      all = all | masks[i];
    }
    holds = holds && all == d.lit(genmask(g.ia_bits - 1, 0));
    // The start table: 2^1 .. 2^stride entries, i.e. one granule page at most.
    z3::expr start_entries = L::table_index(d, g, ones, g.start_level) + d.lit(1);
    holds = holds && d.ule(d.lit(2), start_entries) && d.ule(start_entries, d.lit(bit(stride)));
    cases.add(holds, {{"va_bits", g.ia_bits}, {"start_level", g.start_level}});
  }
  return cases.claim({{"va", va}});
}

// Over symbolic memory, for a table aligned to its size below 2^48: the
// entry address is 8-aligned inside the table, two VAs share an entry iff
// their index bits agree, and the walk step reads exactly the word stored at
// the selected index.
template <class L> Claim walk_step_reads_selected_entry(z3::context& c) {
  Symbolic d(c);
  z3::expr base = d.var("table");
  z3::expr va = d.var("va");
  z3::expr va2 = d.var("va2");
  z3::expr k = d.var("k");
  z3::expr v = d.var("v");
  SymMem mem(c, "mem");
  CaseSplit cases;
  // One obligation per distinct (granule, level, index width): the levels
  // below the start level are the same step for every VA size.
  std::set<std::tuple<unsigned, unsigned, unsigned>> seen;
  for (unsigned gs : spec::kGranuleShifts) {
    for (const Geometry& g : va_geometries<L>(gs, 28, 48, 4)) {
      for (unsigned level = g.start_level; level <= 3; ++level) {
        const unsigned shift = spec::level_shift(gs, level);
        const unsigned bits = level == g.start_level ? g.ia_bits - shift : gs - 3;
        if (!seen.insert({gs, level, bits}).second) continue;
        const std::uint64_t entries = std::uint64_t{1} << bits;
        const std::uint64_t size = entries * 8;
        auto index = [&](const z3::expr& a) { return d.lshr(a, shift) & d.lit(entries - 1); };
        z3::expr pre = d.aligned(base, size) && d.ult(base, d.lit(bit(48)));
        z3::expr ea = L::entry_address(d, g, base, va, level);
        z3::expr ea2 = L::entry_address(d, g, base, va2, level);
        z3::expr in_table = d.ule(base, ea) && d.ult(ea, base + d.lit(size)) && d.aligned(ea, 8);
        z3::expr same_entry = (ea == ea2) == (index(va) == index(va2));
        const SymMemAfterStore written(mem, base + d.shl(k, 3), v);
        z3::expr read = L::walk_step(d, written, g, base, va, level);
        z3::expr expected = d.ite(index(va) == k, v, mem.load(d, base + d.shl(index(va), 3)));
        z3::expr holds =
            d.implies(pre, in_table && same_entry && d.implies(d.ult(k, d.lit(entries)), read == expected));
        cases.add(holds, {{"granule", g.granule()}, {"va_bits", g.ia_bits}, {"level", level}});
      }
    }
  }
  return cases.claim({{"table", base}, {"va", va}, {"va2", va2}, {"k", k}});
}

// A leaf at each level a granule allows maps a block of the size the Arm
// ARM gives (4K: 1 GiB / 2 MiB / 4 KiB; 16K: 32 MiB / 16 KiB; 64K: 512 MiB /
// 64 KiB): the output is the leaf's OA above that size and the VA below it.
template <class L> Claim leaf_output_uses_leaf_size(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  z3::expr va = d.var("va");
  SelectedCases cases(d);
  for (const Geometry& g : granule_geometries()) {
    const unsigned gs = g.granule_shift;
    for (unsigned level = 1; level <= 3; ++level) {
      if (!spec::leaf_level(gs, level)) continue;
      const std::uint64_t off = spec::leaf_size(gs, level) - 1;
      z3::expr expected = (pte & d.lit(spec::oa_mask(gs) & ~off)) | (va & d.lit(off));
      cases.add(L::leaf_output(d, g, pte, va, level) == expected,
                {{"granule", g.granule()}, {"level", level}, {"size", off + 1}});
    }
  }
  return cases.claim({{"pte", pte}, {"va", va}});
}

}  // namespace ptspec::solver::stage1
