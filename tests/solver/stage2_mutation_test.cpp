// Every arm64.stage2 lemma can fail: the catalogue's own builders,
// instantiated with a Stage2Logic that has one function deliberately broken,
// must no longer give the expected outcome (a proved lemma now yields a
// counterexample; the expected-counterexample lemma is now proved).
// A final test checks that every lemma of the format is covered by at least
// one mutation here.
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>

#include "solver/arm64/stage2_lemmas.hpp"
#include "tests/solver/mutation_harness.hpp"

namespace ptspec::solver::stage2 {
namespace {

using S = Symbolic;
using namespace mutation;
using W = z3::expr;

// ---- the mutants: each replaces one function of the model's logic ----

// Owner ids leak into the valid bit.
struct OwnerSetsValid : Stage2Logic {
  static W make_owner(const S& d, OwnerLayout l, const W& id) {
    return Stage2Logic::make_owner(d, l, id) | (id & d.lit(1));
  }
};
// owner_of reads a field one bit too narrow.
struct OwnerReadsNarrow : Stage2Logic {
  static W owner_of(const S& d, OwnerLayout l, const W& pte) {
    Field f = s2::owner_field(l);
    return field_get(d, pte, Field{f.hi - 1, f.lo});
  }
};
// The upstream owner field moved into the software bits (62:55).
struct UpstreamOwnerInSwBits : Stage2Logic {
  static Field field(OwnerLayout l) { return l == OwnerLayout::Upstream ? Field{62, 55} : s2::owner_field(l); }
  static W make_owner(const S& d, OwnerLayout l, const W& id) { return field_prep(d, id, field(l)); }
  static W owner_of(const S& d, OwnerLayout l, const W& pte) { return field_get(d, pte, field(l)); }
};
// The seed layout "fixed" (9:2): its documented overlap disappears.
struct SeedLayoutFixed : Stage2Logic {
  static W make_owner(const S& d, OwnerLayout, const W& id) {
    return Stage2Logic::make_owner(d, OwnerLayout::Upstream, id);
  }
  static W owner_of(const S& d, OwnerLayout, const W& pte) {
    return Stage2Logic::owner_of(d, OwnerLayout::Upstream, pte);
  }
};
// The hyp stage-1 rule: only valid entries counted.
struct CountValidOnly : Stage2Logic {
  static W is_counted(const S& d, const W& pte) { return s2::is_valid(d, pte); }
};
// Only annotations counted.
struct CountAnnotationsOnly : Stage2Logic {
  static W is_counted(const S& d, const W& pte) { return (pte & d.lit(~std::uint64_t{1})) != d.lit(0); }
};
// Validity ignored: two equal invalid entries (e.g. the same owner
// annotation) "need no update". (Dropping only one side's validity test is an
// equivalent mutant: valid vs invalid already differ in bit 0.)
struct NeedsUpdateIgnoresValidity : Stage2Logic {
  static W needs_update(const S& d, const W& o, const W& n) {
    return ((o ^ n) & d.lit(~s2::kPermsMask)) != d.lit(0);
  }
};
// An output-address bit counted as a permission bit.
struct PermsIncludeOaBit : Stage2Logic {
  static W needs_update(const S& d, const W& o, const W& n) {
    return !s2::is_valid(d, o) || !s2::is_valid(d, n) ||
           ((o ^ n) & d.lit(~(s2::kPermsMask | bit(12)))) != d.lit(0);
  }
};
// S2AP read and write swapped in the encoder.
struct ProtSwapsRW : Stage2Logic {
  static s2::ProtAttr<S> prot_to_attr(const S& d, const s2::Prot<S>& p) {
    return s2::prot_to_attr(d, s2::Prot<S>{p.w, p.r, p.x, p.device});
  }
};
// Executable device memory accepted.
struct ProtAllowsExecDevice : Stage2Logic {
  static s2::ProtAttr<S> prot_to_attr(const S& d, const s2::Prot<S>& p) {
    return {s2::prot_to_attr(d, p).attr, d.blit(true)};
  }
};
// The encoder sets nG (bit 11, RES0 at stage 2).
struct ProtSetsBit11 : Stage2Logic {
  static s2::ProtAttr<S> prot_to_attr(const S& d, const s2::Prot<S>& p) {
    s2::ProtAttr<S> a = s2::prot_to_attr(d, p);
    return {a.attr | d.lit(bit(11)), a.ok};
  }
};
// make_leaf copies attr unmasked.
struct LeafKeepsAllAttrBits : Stage2Logic {
  static W make_leaf(const S& d, const Geometry& g, const W& pa, const W& attr, unsigned level) {
    return Stage2Logic::make_leaf(d, g, pa, attr, level) | attr;
  }
};
// make_table does not mask the table address.
struct TableUnmasked : Stage2Logic {
  static W make_table(const S& d, const Geometry&, const W& pa) { return pa | d.lit(3); }
};
// make_leaf sets the type bit at every level (blocks become tables).
struct LeafTypeAlways : Stage2Logic {
  static W make_leaf(const S& d, const Geometry& g, const W& pa, const W& attr, unsigned level) {
    return Stage2Logic::make_leaf(d, g, pa, attr, level) | d.lit(s2::kType.mask());
  }
};
// PA alignment never checked.
struct BlockIgnoresPaAlignment : Stage2Logic {
  static W block_mapping_supported(const S& d, const Geometry& g, unsigned level, const W& addr, const W& end,
                                   const W&) {
    return s2::block_mapping_supported(d, g, level, addr, end, d.lit(0));
  }
};
// The pre-seed rule: the PA must be aligned even when invalid (set_owner could
// never install a block).
struct BlockNeedsAlignedInvalidPa : Stage2Logic {
  static W block_mapping_supported(const S& d, const Geometry& g, unsigned level, const W& addr, const W& end,
                                   const W& phys) {
    return s2::block_mapping_supported(d, g, level, addr, end, phys) &&
           is_aligned(d, phys, g.block_size(level));
  }
};
// The start level's index one bit short.
struct StartIndexShort : Stage2Logic {
  static W table_index(const S& d, const Geometry& g, const W& ia, unsigned level) {
    W i = s2::table_index(d, g, ia, level);
    return level == g.start_level ? (i & d.lit(g.index_mask(level) >> 1)) : i;
  }
};
// Lower levels' index one bit too wide (overlaps the next level).
struct IndexOneBitWide : Stage2Logic {
  static W table_index(const S& d, const Geometry& g, const W& ia, unsigned level) {
    if (level == g.start_level) return s2::table_index(d, g, ia, level);
    return d.lshr(ia, g.level_shift(level)) & d.lit((g.index_mask(level) << 1) | 1);
  }
};
// 4-byte entries.
struct EntryAddress4Byte : Stage2Logic {
  static W entry_address(const S& d, const Geometry& g, const W& table, const W& ia, unsigned level) {
    return table + d.shl(s2::table_index(d, g, ia, level), 2);
  }
  static W walk_step_read(const S& d, const SymMem& m, const Geometry& g, const W& table, const W& ia,
                          unsigned level) {
    return m.load(d, entry_address(d, g, table, ia, level));
  }
};
// The walk step reads the neighbouring entry.
struct WalkReadsNeighbour : Stage2Logic {
  static W walk_step_read(const S& d, const SymMem& m, const Geometry& g, const W& table, const W& ia,
                          unsigned level) {
    return m.load(d, s2::entry_address(d, g, table, ia, level) + d.lit(8));
  }
};
// Level ignored: a page at level 3 is taken for a table.
struct TableAtAnyLevel : Stage2Logic {
  static W is_table(const S& d, const W& pte, unsigned) {
    return s2::is_valid(d, pte) && (pte & d.lit(s2::kType.mask())) != d.lit(0);
  }
};
// Block levels ignore the type bit.
struct LeafIgnoresType : Stage2Logic {
  static W is_leaf(const S& d, const Geometry& g, const W& pte, unsigned level) {
    if (level == 3 || !g.level_supports_block(level)) return s2::is_leaf(d, g, pte, level);
    return s2::is_valid(d, pte);
  }
};
// Blocks at level 1 for every granule (64 GiB / 4 TiB blocks).
struct LeafAtLevel1Always : Stage2Logic {
  static W is_leaf(const S& d, const Geometry& g, const W& pte, unsigned level) {
    if (level == 1) return s2::is_valid(d, pte) && (pte & d.lit(s2::kType.mask())) == d.lit(0);
    return s2::is_leaf(d, g, pte, level);
  }
};

// ---- the table: mutant x lemma it must break ----
template <class L> Mutation mut(std::string mutant, std::string lemma) {
  return {std::move(mutant), std::move(lemma), [] { return stage2_lemmas<L>(); }};
}

std::vector<Mutation> mutations() {
  return {
      mut<OwnerSetsValid>("owner-sets-valid", "owner-entry-invalid-upstream"),
      mut<OwnerSetsValid>("owner-sets-valid", "owner-entry-invalid-seed"),
      mut<OwnerReadsNarrow>("owner-reads-narrow", "owner-round-trip-upstream"),
      mut<OwnerReadsNarrow>("owner-reads-narrow", "owner-round-trip-seed"),
      mut<UpstreamOwnerInSwBits>("upstream-owner-in-sw-bits", "owner-survives-sw-bits-upstream"),
      mut<SeedLayoutFixed>("seed-layout-fixed", "owner-survives-sw-bits-seed"),
      mut<CountValidOnly>("count-valid-only", "uncounted-entry-is-host-owned"),
      mut<CountValidOnly>("count-valid-only", "counted-iff-nonzero"),
      mut<CountValidOnly>("count-valid-only", "owner-entry-is-counted"),
      mut<CountAnnotationsOnly>("count-annotations-only", "valid-entry-is-counted"),
      mut<NeedsUpdateIgnoresValidity>("needs-update-ignores-validity", "no-update-only-for-permission-change"),
      mut<PermsIncludeOaBit>("perms-include-oa-bit", "no-update-only-for-permission-change"),
      mut<PermsIncludeOaBit>("perms-include-oa-bit", "no-update-keeps-translation"),
      mut<ProtSwapsRW>("prot-swaps-rw", "prot-round-trip"),
      mut<ProtAllowsExecDevice>("prot-allows-exec-device", "prot-refuses-executable-device"),
      mut<ProtSetsBit11>("prot-sets-bit-11", "prot-attr-within-leaf-fields"),
      mut<LeafKeepsAllAttrBits>("leaf-keeps-all-attr-bits", "make-leaf-round-trip"),
      mut<TableUnmasked>("table-unmasked", "make-table-round-trip"),
      mut<LeafTypeAlways>("leaf-type-always", "make-leaf-kind-matches-level"),
      mut<BlockIgnoresPaAlignment>("block-ignores-pa-alignment", "block-needs-alignment-and-cover"),
      mut<BlockNeedsAlignedInvalidPa>("block-needs-aligned-invalid-pa", "block-when-aligned-and-covered"),
      mut<StartIndexShort>("start-index-short", "walk-indices-partition-ipa-4k"),
      mut<StartIndexShort>("start-index-short", "walk-indices-partition-ipa-16k"),
      mut<StartIndexShort>("start-index-short", "walk-indices-partition-ipa-64k"),
      mut<IndexOneBitWide>("index-one-bit-wide", "walk-indices-partition-ipa-4k"),
      mut<IndexOneBitWide>("index-one-bit-wide", "walk-indices-partition-ipa-64k"),
      mut<EntryAddress4Byte>("entry-address-4-byte", "walk-step-reads-selected-entry"),
      mut<WalkReadsNeighbour>("walk-reads-neighbour", "walk-step-reads-selected-entry"),
      mut<TableAtAnyLevel>("table-at-any-level", "level3-never-table"),
      mut<TableAtAnyLevel>("table-at-any-level", "table-and-leaf-exclusive"),
      mut<LeafIgnoresType>("leaf-ignores-type", "table-and-leaf-exclusive"),
      mut<LeafAtLevel1Always>("leaf-at-level-1-always", "leaf-only-at-block-levels"),
  };
}

class Mutated : public ::testing::TestWithParam<Mutation> {};

TEST_P(Mutated, LemmaNoLongerHolds) { expect_mutation_breaks(GetParam(), kFormat); }

INSTANTIATE_TEST_SUITE_P(Stage2, Mutated, ::testing::ValuesIn(mutations()), mutation_name);

TEST(Stage2Mutations, EveryLemmaHasAMutationThatBreaksIt) { expect_every_lemma_broken(mutations(), kFormat); }

// Spot checks that the counterexamples say something true about the mutant.
TEST(Stage2Mutations, CountValidOnlyMissesAnInvalidNonZeroEntry) {
  const std::vector<Lemma> cat = stage2_lemmas<CountValidOnly>();
  LemmaResult r = run_lemma(lemma_in(cat, "counted-iff-nonzero"));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  const std::uint64_t pte = *r.value("pte");
  EXPECT_NE(pte, 0u);
  EXPECT_EQ(pte & 1, 0u);
}

TEST(Stage2Mutations, PreSeedBlockRuleFailsForTheInvalidPa) {
  const std::vector<Lemma> cat = stage2_lemmas<BlockNeedsAlignedInvalidPa>();
  LemmaResult r = run_lemma(lemma_in(cat, "block-when-aligned-and-covered"));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  const std::uint64_t pa_bits = *r.value("pa_bits");
  EXPECT_GE(*r.value("phys"), std::uint64_t{1} << pa_bits);  // the PA is invalid
  const unsigned level = static_cast<unsigned>(*r.value("level"));
  EXPECT_GE(level, 1u);
}

TEST(Stage2Mutations, StartIndexShortLosesTheTopIpaBit) {
  const std::vector<Lemma> cat = stage2_lemmas<StartIndexShort>();
  LemmaResult r = run_lemma(lemma_in(cat, "walk-indices-partition-ipa-4k"));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  EXPECT_TRUE(r.value("ia_bits").has_value());
  EXPECT_TRUE(r.value("start_level").has_value());
}

}  // namespace
}  // namespace ptspec::solver::stage2
