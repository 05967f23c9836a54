// The stage-1 walk as Domain templates over a memory type (like
// s2::walk_step): the walk from a table root down to the leaf that maps a VA,
// and the one descriptor store mmu_clear_user makes, fixed and pre-fix. The
// concrete model (stage1_mmu.cpp) runs these with Concrete over WalkMem; the
// solver runs them with Symbolic over a Z3 array (solver/arm64/
// stage1_lemmas_walk.hpp: stage1-clear-user-hits-mapping-descriptor,
// stage1-clear-user-page-only-misses-block, -correct-on-pages) -- the lemma
// is about the code the model runs.
//
// Templates never branch on a D::Bool: the walk is unrolled over the levels
// with d.ite (domain.hpp rules).
//
// Sources: Arm ARM DDI 0487 D8.2 (translation table walk, one descriptor per
// level from the initial lookup level), D8.3 (descriptor classification);
// seed 001_7298466646d93dd3.txt "lib: arm/arm64: Teach mmu_clear_user about
// block mappings" (the fixed mmu_get_pte stops at an invalid entry, returns a
// huge pmd itself, else the level-3 pte; before it, get_pte followed every
// entry above level 3 as a table pointer, allocating missing ones).
#pragma once

#include <cstdint>

#include "model/arm64/stage1_desc.hpp"
#include "model/arm64/stage1_perms.hpp"
#include "model/core/domain.hpp"
#include "model/core/memory.hpp"

namespace ptspec::arm64::s1 {

template <Domain D> struct LeafWalk {
  BoolOf<D> mapped;     // the walk ended at a valid leaf (page at L3 or block at a block level)
  WordOf<D> leaf_addr;  // PA of that descriptor (meaningful when mapped)
  WordOf<D> leaf;       // its value
  WordOf<D> level;      // its level, as a word
};

// Walks from the table at `root` (initial lookup level g.start_level) to the
// leaf for `va`. Stops at the first entry that is not a table descriptor;
// `mapped` says whether that entry is a leaf (an invalid or reserved entry
// leaves it false). Reads one entry per level even after stopping (from the
// last table, at a later level's index) so the unrolled form has no branch;
// those reads never influence the result.
template <Domain D, class M>
  requires MemoryFor<M, D>
LeafWalk<D> walk_leaf(const D& d, const M& mem, const Geometry& g, const WordOf<D>& root, const WordOf<D>& va) {
  WordOf<D> table = root;
  BoolOf<D> done = d.blit(false);
  LeafWalk<D> r{d.blit(false), d.lit(0), d.lit(0), d.lit(0)};
  for (unsigned level = g.start_level; level <= kMaxLevel; ++level) {
    const WordOf<D> ptep = entry_address(d, g, table, va, level);
    const WordOf<D> pte = mem_load(d, mem, ptep);
    const BoolOf<D> here = !done;
    const BoolOf<D> leaf_here = here && is_leaf(d, g, pte, level);
    r.mapped = r.mapped || leaf_here;
    r.leaf_addr = d.ite(leaf_here, ptep, r.leaf_addr);
    r.leaf = d.ite(leaf_here, pte, r.leaf);
    r.level = d.ite(leaf_here, d.lit(level), r.level);
    done = done || !is_table(d, pte, level);
    table = d.ite(done, table, oa_of(d, g, pte));
  }
  return r;
}

// The descriptor store of mmu_clear_user, before its TLB maintenance.
template <Domain D> struct EntryStore {
  BoolOf<D> happens;  // a store is made
  WordOf<D> addr;     // where
  WordOf<D> value;    // what
};

enum class ClearUser : std::uint8_t {
  Fixed,     // the page or block descriptor that maps `va` gets AP[1] cleared
  PageOnly,  // variant clear-user-page-only: the pre-fix get_pte path
};

// The level-3 "pte" address the pre-fix get_pte computes: every entry above
// level 3 is followed as a table pointer (pte_offset on whatever the pmd
// holds), so on a block it lands inside the block's output memory. The
// missing-table allocation of the pre-fix code is the caller's (the concrete
// op links fresh tables first; the lemma assumes a mapped VA).
template <Domain D, class M>
  requires MemoryFor<M, D>
WordOf<D> page_only_pte_address(const D& d, const M& mem, const Geometry& g, const WordOf<D>& root,
                                const WordOf<D>& va) {
  WordOf<D> table = root;
  for (unsigned level = g.start_level; level < kMaxLevel; ++level)
    table = oa_of(d, g, walk_step(d, mem, g, table, va, level));
  return entry_address(d, g, table, va, kMaxLevel);
}

template <Domain D, class M>
  requires MemoryFor<M, D>
EntryStore<D> clear_user_store(const D& d, const M& mem, const Geometry& g, const WordOf<D>& root,
                               const WordOf<D>& va, ClearUser variant) {
  if (variant == ClearUser::PageOnly) {
    const WordOf<D> addr = page_only_pte_address(d, mem, g, root, va);
    return {d.blit(true), addr, clear_user(d, mem_load(d, mem, addr))};
  }
  const LeafWalk<D> w = walk_leaf(d, mem, g, root, va);
  return {w.mapped, w.leaf_addr, clear_user(d, w.leaf)};
}

// ---- permissions of a walked leaf ----
// The permission fields of a leaf, decoded (stage1_perms.hpp decides).
template <Domain D> LeafPermFields<D> leaf_perm_fields(const D& d, const WordOf<D>& pte) {
  const LeafFields<D> f = decode_leaf_fields(d, pte);
  return {f.ap, f.pxn, f.uxn};
}

// The table attributes a walk accumulated (`table_attrs`: the OR of bits
// 63:59 of every table descriptor above the leaf, Arm ARM D8.4 hierarchical
// control -- a restriction at any level holds for the subtree).
template <Domain D> TableAttrs<D> walk_table_attrs(const D& d, const WordOf<D>& table_attrs) {
  const TableFields<D> f = decode_table_fields(d, table_attrs);
  return {f.ap_table, f.pxn_table, f.uxn_table};
}

// What `el` may do through a leaf reached with `table_attrs`, under
// PSTATE.PAN and SCTLR_EL1.WXN: the fields go to stage1_perms (never
// re-encoded here).
template <Domain D>
Stage1Perms<D> leaf_perms(const D& d, const WordOf<D>& pte, const WordOf<D>& table_attrs, El el,
                          const BoolOf<D>& pan, const BoolOf<D>& wxn) {
  const LeafPermFields<D> eff = apply_table_attrs(d, leaf_perm_fields(d, pte), walk_table_attrs(d, table_attrs));
  return stage1_perms(d, eff.ap, eff.pxn, eff.uxn, el, pan, wxn);
}

}  // namespace ptspec::arm64::s1
