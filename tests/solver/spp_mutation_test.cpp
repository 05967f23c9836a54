// Every x86.sppt lemma can fail: the catalogue's own builders, instantiated
// with an SppLogic that has one function deliberately broken, must yield a
// counterexample. A final test checks that every lemma of the format is
// covered by at least one mutation here.
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <stdexcept>
#include <string>

#include "solver/x86/spp_lemmas.hpp"
#include "tests/solver/mutation_harness.hpp"

namespace ptspec::solver::sppt {
namespace {

using S = Symbolic;
using namespace mutation;
using W = z3::expr;

// ---- the mutants: each replaces one function of the model's logic ----

// The fast formatter loses bitmap bit 31 (vector bit 62).
struct DropsBit31 : SppLogic {
  static W format_vector(const S& d, const W& b) { return SppLogic::format_vector(d, b) & d.lit(~bit(62)); }
};
// The spread's last step forgets its mask: bits leak into odd positions.
struct SpreadUnmasked : SppLogic {
  static W format_vector(const S& d, const W& b) {
    W x = b & d.lit(0xFFFF'FFFF);
    x = (x | d.shl(x, 16)) & d.lit(0x0000'FFFF'0000'FFFF);
    x = (x | d.shl(x, 8)) & d.lit(0x00FF'00FF'00FF'00FF);
    x = (x | d.shl(x, 4)) & d.lit(0x0F0F'0F0F'0F0F'0F0F);
    x = (x | d.shl(x, 2)) & d.lit(0x3333'3333'3333'3333);
    return x | d.shl(x, 1);
  }
};
// The inverse gathers the odd bits.
struct InverseReadsOddBits : SppLogic {
  static W vector_bitmap(const S& d, const W& v) { return SppLogic::vector_bitmap(d, d.lshr(v, 1)); }
};
// The check consults SPP on reads and executes too.
struct SppOnReads : SppLogic {
  static spp::CheckResult<S> check(const S& d, const spp::EptLeaf<S>& l, const W& access, const W& vector,
                                   const W& gpa) {
    spp::CheckResult<S> r = SppLogic::check(d, l, access, vector, gpa);
    W applies = spp::spp_applies(d, l);
    W sub = spp::subpage_writable(d, vector, spp::subpage_index(d, gpa));
    r.allowed = r.allowed || (applies && sub);
    r.verdict = d.ite(r.allowed, d.lit(0), r.verdict);
    return r;
  }
};
// The check allows every write SPP governs, whatever the sub-page bit.
struct IgnoresSubpageBit : SppLogic {
  static spp::CheckResult<S> check(const S& d, const spp::EptLeaf<S>& l, const W& access, const W& vector,
                                   const W& gpa) {
    return SppLogic::check(d, l, access, d.lit(0x5555'5555'5555'5555) | vector, gpa);
  }
};
// The check looks at the neighbouring sub-page (GPA bits 12:8).
struct SubpageOffByOne : SppLogic {
  static spp::CheckResult<S> check(const S& d, const spp::EptLeaf<S>& l, const W& access, const W& vector,
                                   const W& gpa) {
    return SppLogic::check(d, l, access, vector, d.lshr(gpa, 1));
  }
};
// SPP overrides W: with bit 61 on a 4K leaf the vector decides even when W = 1.
struct SppOverridesW : SppLogic {
  static spp::CheckResult<S> check(const S& d, const spp::EptLeaf<S>& l, const W& access, const W& vector,
                                   const W& gpa) {
    spp::EptLeaf<S> l2 = l;
    l2.w = d.blit(false);
    spp::CheckResult<S> r = SppLogic::check(d, l2, access, vector, gpa);
    spp::CheckResult<S> orig = SppLogic::check(d, l, access, vector, gpa);
    const W is_write = access == d.lit(1);
    const W spp_on = l.maps_4k && l.spp;
    return spp::CheckResult<S>{d.bite(is_write && spp_on, r.allowed, orig.allowed),
                               d.bite(is_write && spp_on, r.spp_applies, orig.spp_applies),
                               d.ite(is_write && spp_on, r.verdict, orig.verdict)};
  }
};
// SPP applied to large leaves too.
struct SppOnLargeLeaf : SppLogic {
  static spp::CheckResult<S> check(const S& d, const spp::EptLeaf<S>& l, const W& access, const W& vector,
                                   const W& gpa) {
    spp::EptLeaf<S> l2 = l;
    l2.maps_4k = d.blit(true);
    return SppLogic::check(d, l2, access, vector, gpa);
  }
};
// next_table reads only 47:12 (a 48-bit MAXPHYADDR hard-coded).
struct NextTable48 : SppLogic {
  static W next_table(const S& d, unsigned, const W& e) { return e & d.lit(genmask(47, 12)); }
};
// The walk checks only the low reserved bits 11:1.
struct ClassifyLowReservedOnly : SppLogic {
  static W classify(const S& d, unsigned, const W& e, unsigned level) { return SppLogic::classify(d, 64, e, level); }
};
// Every level indexes with a shift one too large.
struct IndexShiftedByOne : SppLogic {
  static W table_index(const S& d, const W& gpa, unsigned level) {
    return SppLogic::table_index(d, d.lshr(gpa, 1), level);
  }
  static W entry_address(const S& d, const W& table, const W& gpa, unsigned level) {
    return table + d.shl(table_index(d, gpa, level), 3);
  }
  static W walk_step_read(const S& d, const SymMem& mem, const W& table, const W& gpa, unsigned level) {
    return mem.load(d, entry_address(d, table, gpa, level));
  }
};
// Entries scaled by 4 bytes instead of 8.
struct EntryAddress4Byte : SppLogic {
  static W entry_address(const S& d, const W& table, const W& gpa, unsigned level) {
    return table + d.shl(SppLogic::table_index(d, gpa, level), 2);
  }
  static W walk_step_read(const S& d, const SymMem& mem, const W& table, const W& gpa, unsigned level) {
    return mem.load(d, entry_address(d, table, gpa, level));
  }
};

template <class L> Mutation mut(std::string mutant, std::string lemma) {
  return {std::move(mutant), std::move(lemma), [] { return sppt_lemmas<L>(); }};
}

std::vector<Mutation> mutations() {
  return {
      mut<DropsBit31>("drops-bit-31", "spp-spread-equals-reference"),
      mut<DropsBit31>("drops-bit-31", "spp-vector-bit-2i-is-bitmap-bit-i"),
      mut<DropsBit31>("drops-bit-31", "spp-vector-round-trip"),
      mut<SpreadUnmasked>("spread-unmasked", "spp-vector-no-odd-bit"),
      mut<SpreadUnmasked>("spread-unmasked", "spp-spread-equals-reference"),
      mut<InverseReadsOddBits>("inverse-reads-odd-bits", "spp-vector-round-trip"),
      mut<SppOnReads>("spp-on-reads", "spp-check-reads-executes-ignore-spp"),
      mut<IgnoresSubpageBit>("ignores-subpage-bit", "spp-check-write-needs-ept-or-subpage-bit"),
      mut<IgnoresSubpageBit>("ignores-subpage-bit", "spp-check-write-allowed-iff-subpage-bit"),
      mut<SubpageOffByOne>("subpage-off-by-one", "spp-check-write-needs-ept-or-subpage-bit"),
      mut<SubpageOffByOne>("subpage-off-by-one", "spp-check-write-allowed-iff-subpage-bit"),
      mut<SppOverridesW>("spp-overrides-w", "spp-check-w1-ignores-spp"),
      mut<SppOnLargeLeaf>("spp-on-large-leaf", "spp-check-large-leaf-ignores-spp"),
      mut<SppOnLargeLeaf>("spp-on-large-leaf", "spp-check-write-needs-ept-or-subpage-bit"),
      mut<NextTable48>("next-table-48", "spp-nonleaf-round-trip"),
      mut<ClassifyLowReservedOnly>("classify-low-reserved-only", "spp-classify-entry"),
      mut<IndexShiftedByOne>("index-shifted-by-one", "spp-walk-indices-partition-gpa"),
      mut<IndexShiftedByOne>("index-shifted-by-one", "spp-walk-step-reads-selected-entry"),
      mut<EntryAddress4Byte>("entry-address-4-byte", "spp-walk-step-reads-selected-entry"),
  };
}

class SppMutated : public ::testing::TestWithParam<Mutation> {};

TEST_P(SppMutated, LemmaNoLongerHolds) { expect_mutation_breaks(GetParam(), kFormat); }

INSTANTIATE_TEST_SUITE_P(Sppt, SppMutated, ::testing::ValuesIn(mutations()), mutation_name);

TEST(SpptMutations, EveryLemmaHasAMutationThatBreaksIt) {
  expect_every_lemma_broken(mutations(), kFormat);
  EXPECT_GE(lemmas_of_format(kFormat).size(), 10u);
}

// The dropped-bit counterexample is real: the bitmap has bit 31 set, and the
// model's concrete formatter puts it at vector bit 62.
TEST(SpptMutations, DropsBit31CounterexampleHasBit31) {
  const std::vector<Lemma> cat = sppt_lemmas<DropsBit31>();
  LemmaResult r = run_lemma(lemma_in(cat, "spp-spread-equals-reference"));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  const std::uint64_t b = *r.value("bitmap");
  EXPECT_NE(b & bit(31), 0u);
  EXPECT_NE(x86::spp::format_spp_vector(static_cast<std::uint32_t>(b)) & bit(62), 0u);
}

// Consulting SPP on reads shows up as a read allowed with R = 0.
TEST(SpptMutations, SppOnReadsAllowsAReadWithoutR) {
  const std::vector<Lemma> cat = sppt_lemmas<SppOnReads>();
  LemmaResult r = run_lemma(lemma_in(cat, "spp-check-reads-executes-ignore-spp"));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  EXPECT_EQ(*r.value("spp"), 1u);
  EXPECT_EQ(*r.value("maps_4k"), 1u);
  EXPECT_EQ(*r.value("w"), 0u);
}

}  // namespace
}  // namespace ptspec::solver::sppt
