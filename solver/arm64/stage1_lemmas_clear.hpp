// The arm64.stage1 lemma builders about mmu_clear_user over whole tables,
// over a logic L (stage1_lemmas_common.hpp): the model's walk
// (s1::walk_leaf) and the descriptor store mmu_clear_user makes
// (s1::clear_user_store), both run on symbolic memory -- any table contents
// at all, pages and blocks alike.
//
// Source: seed 001_7298466646d93dd3.txt, "lib: arm/arm64: Teach
// mmu_clear_user about block mappings": the fixed library clears PTE_USER
// (AP[1]) in the page *or block* descriptor that maps the address; before
// it, the store went to the level-3 slot found by following every upper
// entry as a table pointer (variant clear-user-page-only).
#pragma once

#include <z3++.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "solver/arm64/stage1_lemmas_common.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/symmem.hpp"

namespace ptspec::solver::stage1 {

// The configurations the table-level lemmas cover: 4K with a 4-level
// (48-bit VA) and a 3-level (39-bit) walk, 16K with 3 levels (47-bit), 64K
// with 2 levels (42-bit) -- every granule, every leaf level (1-3).
template <class L> std::vector<Geometry> clear_user_geometries() {
  return {L::geometry(12, 48), L::geometry(12, 39), L::geometry(14, 47), L::geometry(16, 42)};
}

// What the store of `variant` does to the descriptor that maps `va`: after
// it, the walk of `va` reaches the same descriptor at the same level, which
// is the old one with exactly AP[1] cleared (so the translation is kept and
// EL0 has lost access), and the store is made iff `va` is mapped. The op
// makes this one store, so no other word of memory changes. With
// `pages_only`, only VAs mapped by a level-3 page are considered.
template <class L> Claim clear_user_hits_mapping_descriptor(z3::context& c, s1::ClearUser variant, bool pages_only) {
  Symbolic d(c);
  z3::expr root = d.var("root");
  z3::expr va = d.var("va");
  SymMem mem(c, "mem");
  CaseSplit cases;
  z3::expr rep_leaf = d.lit(0), rep_addr = d.lit(0), rep_level = d.lit(0), rep_store = d.lit(0);
  for (const Geometry& g : clear_user_geometries<L>()) {
    const s1::LeafWalk<Symbolic> before = L::walk_leaf(d, mem, g, root, va);
    const s1::EntryStore<Symbolic> st = L::clear_user_store(d, mem, g, root, va, variant);
    const SymMemAfterStore after_mem(mem, st.addr, st.value);
    const s1::LeafWalk<Symbolic> after = L::walk_leaf(d, after_mem, g, root, va);
    const z3::expr cleared = before.leaf & d.lit(~spec::kUserBit);
    z3::expr holds = d.implies(before.mapped, st.happens && after.mapped && after.leaf_addr == before.leaf_addr &&
                                                  after.level == before.level && after.leaf == cleared &&
                                                  !L::is_user(d, after.leaf));
    if (variant == s1::ClearUser::Fixed) holds = holds && (st.happens == before.mapped);
    z3::expr pre = pages_only ? before.mapped && before.level == d.lit(3) : d.blit(true);
    cases.add(d.implies(pre, holds), {{"granule", g.granule()}, {"va_bits", g.ia_bits}});
    // Reported from the 4K/48-bit walk (the first case).
    if (g.granule_shift == 12 && g.ia_bits == 48) {
      rep_leaf = before.leaf;
      rep_addr = before.leaf_addr;
      rep_level = before.level;
      rep_store = st.addr;
    }
  }
  return cases.claim({{"root", root},
                      {"va", va},
                      {"leaf_level_4k48", rep_level},
                      {"leaf_4k48", rep_leaf},
                      {"leaf_addr_4k48", rep_addr},
                      {"store_addr_4k48", rep_store}});
}

}  // namespace ptspec::solver::stage1
