// Every arm64.stage1 lemma can fail: the catalogue's own builders,
// instantiated with a Stage1Logic that has one function deliberately broken,
// must no longer give the expected outcome (a proved lemma now yields a
// counterexample; an expected counterexample is now proved). A final test
// checks that every lemma of the format is covered by at least one mutation.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "solver/arm64/stage1_lemmas.hpp"
#include "tests/solver/mutation_harness.hpp"

namespace ptspec::solver::stage1 {
namespace {

using S = Symbolic;
using namespace mutation;
using W = z3::expr;
using Leaf = s1::LeafFields<S>;
using Table = s1::TableFields<S>;

// ---- descriptor mutants ----

// The decoder reads AP as one bit (AP[2] lost).
struct DecodeApNarrow : Stage1Logic {
  static Leaf decode_leaf_fields(const S& d, const W& pte) {
    Leaf f = s1::decode_leaf_fields(d, pte);
    f.ap = field_get(d, pte, Field{6, 6});
    return f;
  }
};
// PXN and UXN swapped in both encoder and decoder: round trips, wrong bits.
struct PxnUxnSwapped : Stage1Logic {
  static W encode_leaf_fields(const S& d, const Leaf& f) {
    Leaf g = f;
    g.pxn = f.uxn;
    g.uxn = f.pxn;
    return s1::encode_leaf_fields(d, g);
  }
  static Leaf decode_leaf_fields(const S& d, const W& pte) {
    Leaf f = s1::decode_leaf_fields(d, pte);
    std::swap(f.pxn, f.uxn);
    return f;
  }
};
// The encoder leaks the software bits one place up (into bit 59, PXNTable).
struct EncodeSwShifted : Stage1Logic {
  static W encode_leaf_fields(const S& d, const Leaf& f) {
    Leaf g = f;
    g.sw = d.lit(0);
    return s1::encode_leaf_fields(d, g) | d.shl(f.sw & d.lit(0xf), 56);
  }
};
// The table decoder reads PXNTable from bit 60 (UXNTable's).
struct TablePxnFromBit60 : Stage1Logic {
  static Table decode_table_fields(const S& d, const W& pte) {
    Table f = s1::decode_table_fields(d, pte);
    f.pxn_table = (pte & d.lit(bit(60))) != d.lit(0);
    return f;
  }
};
// make_leaf sets the type bit at every level (blocks become tables).
struct LeafTypeAlways : Stage1Logic {
  static W make_leaf(const S& d, const Geometry& g, const W& pa, const Leaf& f, unsigned level) {
    return s1::make_leaf(d, g, pa, f, level) | d.lit(bit(1));
  }
};
// make_table drops the table attributes.
struct TableDropsAttrs : Stage1Logic {
  static W make_table(const S& d, const Geometry& g, const W& pa, const Table&) {
    return s1::make_table(d, g, pa, Table{d.lit(0), d.blit(false), d.blit(false), d.blit(false)});
  }
};
// Blocks at level 1 for every granule (64 GiB / 4 TiB blocks).
struct BlockAtLevel1Always : Stage1Logic {
  static W is_block(const S& d, const Geometry& g, const W& pte, unsigned level) {
    if (level == 1) return s1::is_valid(d, pte) && (pte & d.lit(bit(1))) == d.lit(0);
    return s1::is_block(d, g, pte, level);
  }
};
// mmu_clear_user clears AP[2] (PTE_RDONLY) instead of AP[1].
struct ClearUserClearsRdonly : Stage1Logic {
  static W clear_user(const S& d, const W& pte) { return pte & d.lit(~bit(7)); }
};
// mmu_clear_user invalidates the entry as well.
struct ClearUserInvalidates : Stage1Logic {
  static W clear_user(const S& d, const W& pte) { return s1::clear_user(d, pte) & d.lit(~bit(0)); }
};

// ---- permission mutants ----

// No implicit PXN: EL0-writable memory executable at EL1.
struct NoImplicitPxn : Stage1Logic {
  static s1::Stage1Perms<S> perms(const S& d, const W& ap, const W& pxn, const W& uxn, El el, const W& pan,
                                  const W& wxn) {
    s1::Stage1Perms<S> p = s1::stage1_perms(d, ap, pxn, uxn, el, pan, wxn);
    if (el == El::El1) p.exec = !(pxn || (!s1::ap_read_only(d, ap) && wxn));
    return p;
  }
};
// PAN also blocks EL1 instruction fetches (the QEMU bug fixed in 2020).
struct PanBlocksFetch : Stage1Logic {
  static s1::Stage1Perms<S> perms(const S& d, const W& ap, const W& pxn, const W& uxn, El el, const W& pan,
                                  const W& wxn) {
    s1::Stage1Perms<S> p = s1::stage1_perms(d, ap, pxn, uxn, el, pan, wxn);
    if (el == El::El1) p.exec = p.exec && !(pan && s1::ap_el0_access(d, ap));
    return p;
  }
};
// PAN ignored.
struct PanIgnored : Stage1Logic {
  static s1::Stage1Perms<S> perms(const S& d, const W& ap, const W& pxn, const W& uxn, El el, const W&,
                                  const W& wxn) {
    return s1::stage1_perms(d, ap, pxn, uxn, el, d.blit(false), wxn);
  }
};
// WXN ignored at EL0.
struct WxnIgnoredAtEl0 : Stage1Logic {
  static s1::Stage1Perms<S> perms(const S& d, const W& ap, const W& pxn, const W& uxn, El el, const W& pan,
                                  const W& wxn) {
    return s1::stage1_perms(d, ap, pxn, uxn, el, pan, el == El::El0 ? d.blit(false) : wxn);
  }
};
// stage1_access_allowed answers a write with the read permission.
struct WriteCheckedAsRead : Stage1Logic {
  static W access_allowed(const S& d, const W& ap, const W& pxn, const W& uxn, El el, const W& pan, const W& wxn,
                          Access a) {
    return s1::stage1_access_allowed(d, ap, pxn, uxn, el, pan, wxn, a == Access::Write ? Access::Read : a);
  }
};
// APTable's two bits swapped.
struct ApTableBitsSwapped : Stage1Logic {
  static s1::LeafPermFields<S> apply_table_attrs(const S& d, const s1::LeafPermFields<S>& leaf,
                                                 const s1::TableAttrs<S>& t) {
    W swapped = d.lshr(t.ap_table & d.lit(2), 1) | d.shl(t.ap_table & d.lit(1), 1);
    return s1::apply_table_attrs(d, leaf, {swapped, t.pxn_table, t.uxn_table});
  }
};

// leaf_perms forgets the table attributes of the walk.
struct LeafPermsIgnoresTableAttrs : Stage1Logic {
  static s1::Stage1Perms<S> leaf_perms(const S& d, const W& pte, const W&, El el, const W& pan, const W& wxn) {
    return s1::leaf_perms(d, pte, d.lit(0), el, pan, wxn);
  }
};

// ---- mmu_clear_user mutants ----

// The fixed library regresses to the pre-fix page-only path.
struct FixedAsPageOnly : Stage1Logic {
  static s1::EntryStore<S> clear_user_store(const S& d, const SymMem& m, const Geometry& g, const W& root,
                                            const W& va, s1::ClearUser) {
    return s1::clear_user_store(d, m, g, root, va, s1::ClearUser::PageOnly);
  }
};
// The pre-fix variant "fixed": its documented defect disappears.
struct PageOnlyAsFixed : Stage1Logic {
  static s1::EntryStore<S> clear_user_store(const S& d, const SymMem& m, const Geometry& g, const W& root,
                                            const W& va, s1::ClearUser) {
    return s1::clear_user_store(d, m, g, root, va, s1::ClearUser::Fixed);
  }
};
// The page-only path clears AP[2] (PTE_RDONLY) instead of AP[1].
struct PageOnlyClearsRdonly : Stage1Logic {
  static s1::EntryStore<S> clear_user_store(const S& d, const SymMem& m, const Geometry& g, const W& root,
                                            const W& va, s1::ClearUser v) {
    s1::EntryStore<S> st = s1::clear_user_store(d, m, g, root, va, v);
    if (v == s1::ClearUser::PageOnly) st.value = m.load(d, st.addr) & d.lit(~bit(7));
    return st;
  }
};

// ---- walk mutants ----

// The start level one too deep: the start table needs more than a page.
struct StartLevelTooDeep : Stage1Logic {
  static Geometry geometry(unsigned gs, unsigned va_bits) {
    Geometry g = Stage1Logic::geometry(gs, va_bits);
    if (g.start_level < 3) ++g.start_level;
    return g;
  }
};
// Lower levels' index one bit too wide (overlaps the next level).
struct IndexOneBitWide : Stage1Logic {
  static W table_index(const S& d, const Geometry& g, const W& va, unsigned level) {
    if (level == g.start_level) return s1::table_index(d, g, va, level);
    return d.lshr(va, g.level_shift(level)) & d.lit((g.index_mask(level) << 1) | 1);
  }
};
// 4-byte entries.
struct EntryAddress4Byte : Stage1Logic {
  static W entry_address(const S& d, const Geometry& g, const W& table, const W& va, unsigned level) {
    return table + d.shl(s1::table_index(d, g, va, level), 2);
  }
  template <class M>
  static W walk_step(const S& d, const M& m, const Geometry& g, const W& table, const W& va, unsigned level) {
    return m.load(d, entry_address(d, g, table, va, level));
  }
};
// The walk step reads the neighbouring entry.
struct WalkReadsNeighbour : Stage1Logic {
  template <class M>
  static W walk_step(const S& d, const M& m, const Geometry& g, const W& table, const W& va, unsigned level) {
    return m.load(d, s1::entry_address(d, g, table, va, level) + d.lit(8));
  }
};
// A block's output keeps only the page offset from the VA.
struct LeafOutputPageOffset : Stage1Logic {
  static W leaf_output(const S& d, const Geometry& g, const W& pte, const W& va, unsigned) {
    return s1::leaf_output(d, g, pte, va, 3);
  }
};

// ---- the table: mutant x lemma it must break ----
template <class L> Mutation mut(std::string mutant, std::string lemma) {
  return {std::move(mutant), std::move(lemma), [] { return stage1_lemmas<L>(); }};
}

std::vector<Mutation> mutations() {
  return {
      mut<DecodeApNarrow>("decode-ap-narrow", "stage1-leaf-fields-round-trip"),
      mut<DecodeApNarrow>("decode-ap-narrow", "stage1-leaf-fields-at-arm-positions"),
      mut<DecodeApNarrow>("decode-ap-narrow", "stage1-make-leaf-round-trip"),
      mut<EncodeSwShifted>("encode-sw-shifted", "stage1-leaf-fields-round-trip"),
      mut<PxnUxnSwapped>("pxn-uxn-swapped", "stage1-leaf-fields-at-arm-positions"),
      mut<TablePxnFromBit60>("table-pxn-from-bit-60", "stage1-table-fields-round-trip"),
      mut<LeafTypeAlways>("leaf-type-always", "stage1-make-leaf-round-trip"),
      mut<TableDropsAttrs>("table-drops-attrs", "stage1-make-table-round-trip"),
      mut<BlockAtLevel1Always>("block-at-level-1-always", "stage1-classification-matches-arm"),
      mut<ClearUserClearsRdonly>("clear-user-clears-rdonly", "stage1-clear-user-entry-update"),
      mut<ClearUserInvalidates>("clear-user-invalidates", "stage1-clear-user-entry-update"),
      mut<NoImplicitPxn>("no-implicit-pxn", "stage1-perms-match-arm-table"),
      mut<NoImplicitPxn>("no-implicit-pxn", "stage1-el0-writable-never-el1-executable"),
      mut<PanBlocksFetch>("pan-blocks-fetch", "stage1-perms-match-arm-table"),
      mut<PanBlocksFetch>("pan-blocks-fetch", "stage1-pan-hides-el0-memory-from-el1-data"),
      mut<PanIgnored>("pan-ignored", "stage1-pan-hides-el0-memory-from-el1-data"),
      mut<WxnIgnoredAtEl0>("wxn-ignored-at-el0", "stage1-wxn-writable-never-executable"),
      mut<WxnIgnoredAtEl0>("wxn-ignored-at-el0", "stage1-perms-match-arm-table"),
      mut<WriteCheckedAsRead>("write-checked-as-read", "stage1-perms-match-arm-table"),
      mut<ApTableBitsSwapped>("ap-table-bits-swapped", "stage1-table-attrs-fold-per-arm"),
      mut<StartLevelTooDeep>("start-level-too-deep", "stage1-walk-indices-partition-va-4k"),
      mut<StartLevelTooDeep>("start-level-too-deep", "stage1-walk-indices-partition-va-16k"),
      mut<StartLevelTooDeep>("start-level-too-deep", "stage1-walk-indices-partition-va-64k"),
      mut<IndexOneBitWide>("index-one-bit-wide", "stage1-walk-indices-partition-va-4k"),
      mut<EntryAddress4Byte>("entry-address-4-byte", "stage1-walk-step-reads-selected-entry"),
      mut<WalkReadsNeighbour>("walk-reads-neighbour", "stage1-walk-step-reads-selected-entry"),
      mut<LeafOutputPageOffset>("leaf-output-page-offset", "stage1-leaf-output-uses-leaf-size"),
      mut<LeafPermsIgnoresTableAttrs>("leaf-perms-ignores-table-attrs", "stage1-leaf-perms-from-descriptor-bits"),
      mut<FixedAsPageOnly>("fixed-as-page-only", "stage1-clear-user-hits-mapping-descriptor"),
      mut<PageOnlyAsFixed>("page-only-as-fixed", "stage1-clear-user-page-only-misses-block"),
      mut<PageOnlyClearsRdonly>("page-only-clears-rdonly", "stage1-clear-user-page-only-correct-on-pages"),
  };
}

class Stage1Mutated : public ::testing::TestWithParam<Mutation> {};

TEST_P(Stage1Mutated, LemmaNoLongerHolds) { expect_mutation_breaks(GetParam(), kFormat); }

INSTANTIATE_TEST_SUITE_P(Stage1, Stage1Mutated, ::testing::ValuesIn(mutations()), mutation_name);

TEST(Stage1Mutations, EveryLemmaHasAMutationThatBreaksIt) { expect_every_lemma_broken(mutations(), kFormat); }

// The counterexamples say something true about the mutant.
TEST(Stage1Mutations, NoImplicitPxnIsCaughtOnEl0WritableMemory) {
  const std::vector<Lemma> cat = stage1_lemmas<NoImplicitPxn>();
  LemmaResult r = run_lemma(lemma_in(cat, "stage1-el0-writable-never-el1-executable"));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  EXPECT_EQ(*r.value("ap") & 3, 0b01u);  // EL0 read/write
  EXPECT_EQ(*r.value("pxn"), 0u);
}

TEST(Stage1Mutations, PanBlocksFetchIsCaughtOnEl0AccessibleMemory) {
  const std::vector<Lemma> cat = stage1_lemmas<PanBlocksFetch>();
  LemmaResult r = run_lemma(lemma_in(cat, "stage1-pan-hides-el0-memory-from-el1-data"));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  EXPECT_EQ(*r.value("ap") & 3, 0b11u);  // EL0-readable, not EL0-writable: EL1 may fetch
}

// The catalogue's own expected counterexample: the pre-fix mmu_clear_user
// goes wrong on a block (a valid leaf above level 3), and its store misses
// the block descriptor.
TEST(Stage1Catalogue, PageOnlyCounterexampleIsABlock) {
  const Lemma* l = find_lemma("arm64.stage1/stage1-clear-user-page-only-misses-block");
  ASSERT_NE(l, nullptr);
  LemmaResult r = run_lemma(*l);
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  EXPECT_TRUE(r.passed());
  ASSERT_EQ(*r.value("granule"), 4096u);  // the first configuration fails already
  const unsigned level = static_cast<unsigned>(*r.value("leaf_level_4k48"));
  EXPECT_LT(level, 3u);
  const Geometry g = Stage1Logic::geometry(12, 48);
  EXPECT_EQ(s1::classify(g, *r.value("leaf_4k48"), level), s1::DescKind::Block);
  EXPECT_NE(*r.value("store_addr_4k48"), *r.value("leaf_addr_4k48"));
}

}  // namespace
}  // namespace ptspec::solver::stage1
