// Every x86.ept lemma can fail: the catalogue's own builders, instantiated
// with an EptLogic that has one function deliberately broken, must yield a
// counterexample. A coverage test checks that every lemma of the format is
// broken by at least one mutant here; a few counterexamples are replayed
// through the model's concrete templates to show they are real.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/core/bits.hpp"
#include "model/x86/ept_entry.hpp"
#include "solver/x86/ept_lemmas.hpp"
#include "tests/solver/mutation_harness.hpp"

namespace ptspec::solver::ept {
namespace {

using S = Symbolic;
using W = z3::expr;
using namespace mutation;

EptConfig with_maxphyaddr(EptConfig c, unsigned n) {
  c.maxphyaddr = n;
  return c;
}

// ---- the mutants: each replaces one function of the model's logic ----

// "present" forgets X (bit 2): an execute-only entry reads as not present.
struct PresentIgnoresX : EptLogic {
  static W is_present(const S& d, const EptConfig& c, const W& pte) {
    return EptLogic::is_present(d, c, pte & d.lit(~bit(2)));
  }
};
// "present" forgets user-X (bit 10) under MBEC.
struct PresentIgnoresUserExec : EptLogic {
  static W is_present(const S& d, const EptConfig& c, const W& pte) {
    return EptLogic::is_present(d, c, pte & d.lit(~bit(10)));
  }
};
// The 2 MiB leaf's reserved mask is 21:12 instead of 20:12.
struct Reserved2MOffByOne : EptLogic {
  static W reserved_bits(const S& d, const EptConfig& c, const W& pte, unsigned level) {
    W r = EptLogic::reserved_bits(d, c, pte, level);
    if (level != 2) return r;
    return r | d.ite(xe::page_size_bit(d, pte), pte & d.lit(bit(21)), d.lit(0));
  }
};
// The write-without-read rule tests X instead of W (XWR = 1x0 instead of x10).
struct WwrChecksBit2 : EptLogic {
  static W misconfig(const S& d, const EptConfig& c, const W& pte, unsigned level) {
    W wwr = (pte & d.lit(0b101)) == d.lit(0b100);
    W rest = EptLogic::misconfig(d, c, pte & d.lit(~std::uint64_t{0b010}), level);  // the later rules, W cleared
    return d.ite(wwr, d.lit(spec::kWwr), rest);
  }
};
// The execute-only rule ignores the capability (always unsupported).
struct ExecOnlyIgnoresCapability : EptLogic {
  static W misconfig(const S& d, const EptConfig& c, const W& pte, unsigned level) {
    EptConfig no_xo = c;
    no_xo.exec_only_supported = false;
    return EptLogic::misconfig(d, no_xo, pte, level);
  }
};
// The memory-type rule also fires on table entries.
struct MemtypeOnTables : EptLogic {
  static W bad_memory_type(const S& d, unsigned, const W& pte) { return EptLogic::bad_memory_type(d, 1, pte); }
};
// A misconfiguration reported for entries that are not present.
struct MisconfiguredWhenNotPresent : EptLogic {
  static W is_misconfigured(const S& d, const EptConfig& c, const W& pte, unsigned level) {
    return EptLogic::misconfig(d, c, pte, level) != d.lit(0);
  }
};
// The qualification puts the permissions found at bits 4..6 (one too high).
struct QualPermsAtBit4 : EptLogic {
  static W exit_qualification(const S& d, const EptConfig& c, Access a, const W& perms, bool lv, bool ft) {
    return EptLogic::exit_qualification(d, c, a, d.shl(perms & d.lit(0b111), 1), lv, ft);
  }
};
// Bit 8 (final translation) set without bit 7 (linear address valid).
struct QualFinalWithoutLinear : EptLogic {
  static W exit_qualification(const S& d, const EptConfig& c, Access a, const W& perms, bool lv, bool ft) {
    return EptLogic::exit_qualification(d, c, a, perms, lv, ft) | d.lit(ft ? bit(8) : 0);
  }
};
// A/D sets D on a read of the leaf.
struct AdDirtyOnRead : EptLogic {
  static W ad_update(const S& d, const EptConfig& c, const W& pte, bool leaf, Access a) {
    return EptLogic::ad_update(d, c, pte, leaf, a == Access::Read ? Access::Write : a);
  }
};
// A/D writes A even when A/D is disabled.
struct AdWhenDisabled : EptLogic {
  static W ad_update(const S& d, const EptConfig& c, const W& pte, bool leaf, Access a) {
    EptConfig on = c;
    on.ad_enabled = true;
    return EptLogic::ad_update(d, on, pte, leaf, a);
  }
};
// User fetches check X (bit 2) even under MBEC.
struct ExecUserIgnoresMbec : EptLogic {
  static W access_allowed(const S& d, const EptConfig& c, const W& perms, Access a) {
    return EptLogic::access_allowed(d, c, perms, a == Access::ExecUser ? Access::ExecSupervisor : a);
  }
};
// The PDPT index starts at GPA bit 29 instead of 30.
struct IndexLevel3Bit29 : EptLogic {
  static W table_index(const S& d, const W& gpa, unsigned level) {
    if (level == 3) return d.lshr(gpa, 29) & d.lit(511);
    return EptLogic::table_index(d, gpa, level);
  }
  static W entry_address(const S& d, const W& table, const W& gpa, unsigned level) {
    return table + d.shl(table_index(d, gpa, level), 3);
  }
  static W walk_step_read(const S& d, const SymMem& mem, const W& table, const W& gpa, unsigned level) {
    return mem.load(d, entry_address(d, table, gpa, level));
  }
};
// Entries scaled by 4 bytes instead of 8.
struct EntryAddress4Byte : EptLogic {
  static W entry_address(const S& d, const W& table, const W& gpa, unsigned level) {
    return table + d.shl(EptLogic::table_index(d, gpa, level), 2);
  }
  static W walk_step_read(const S& d, const SymMem& mem, const W& table, const W& gpa, unsigned level) {
    return mem.load(d, entry_address(d, table, gpa, level));
  }
};
// make_leaf forgets to mask the address to MAXPHYADDR (masks to bit 51).
struct MakeLeafNoMaxPhyAddrMask : EptLogic {
  static W make_leaf(const S& d, const EptConfig& c, unsigned level, const W& pa, const Attrs& a) {
    return EptLogic::make_leaf(d, with_maxphyaddr(c, 52), level, pa, a);
  }
};
// make_leaf drops the SPP bit.
struct MakeLeafDropsSpp : EptLogic {
  static W make_leaf(const S& d, const EptConfig& c, unsigned level, const W& pa, const Attrs& a) {
    return EptLogic::make_leaf(d, c, level, pa, a) & d.lit(~bit(61));
  }
};
// table_addr reads only bits 47:12 (a 48-bit MAXPHYADDR hard-coded).
struct TableAddr48 : EptLogic {
  static W table_addr(const S& d, const EptConfig&, const W& pte) { return pte & d.lit(genmask(47, 12)); }
};
// is_leaf: every PDE is a leaf, whatever bit 7 says.
struct PdeAlwaysLeaf : EptLogic {
  static W is_leaf(const S& d, unsigned level, const W& pte) {
    return level == 2 ? d.blit(true) : EptLogic::is_leaf(d, level, pte);
  }
};
// make_eptp writes the walk length, not the walk length minus one.
struct EptpWalkLengthOffByOne : EptLogic {
  static W make_eptp(const S& d, const EptConfig& c, const W& root, const W& memtype) {
    EptConfig longer = c;
    longer.levels = c.levels + 1;
    return EptLogic::make_eptp(d, longer, root, memtype);
  }
};
// eptp_valid does not check bits 11:8.
struct EptpValidIgnoresLowReserved : EptLogic {
  static W eptp_valid(const S& d, const EptConfig& c, const W& eptp) {
    return EptLogic::eptp_valid(d, c, eptp & d.lit(~genmask(11, 8)));
  }
};
// leaf_hpa takes the table mask (MAXPHYADDR-1:12) at every level, so a large
// leaf's reserved bits leak into the HPA.
struct LeafHpaTableMask : EptLogic {
  static W leaf_hpa(const S& d, const EptConfig& c, const W& pte, const W& gpa, unsigned level) {
    return (pte & d.lit(xe::addr_field(c).mask())) | (gpa & d.lit(x86::EptConfig::entry_size(level) - 1));
  }
};

template <class L> Mutation mut(std::string mutant, std::string lemma) {
  return {std::move(mutant), std::move(lemma), [] { return ept_lemmas<L>(); }};
}

std::vector<Mutation> mutations() {
  return {
      mut<PresentIgnoresX>("present-ignores-x", "ept-present-iff-rwx"),
      mut<PresentIgnoresUserExec>("present-ignores-user-exec", "ept-present-iff-rwx"),
      mut<PresentIgnoresUserExec>("present-ignores-user-exec", "ept-xwr-classification"),
      mut<Reserved2MOffByOne>("reserved-2m-off-by-one", "ept-reserved-masks-match-sdm"),
      mut<Reserved2MOffByOne>("reserved-2m-off-by-one", "ept-encoders-set-no-reserved-bit"),
      mut<WwrChecksBit2>("wwr-checks-bit-2", "ept-xwr-classification"),
      mut<WwrChecksBit2>("wwr-checks-bit-2", "ept-classification-total"),
      mut<ExecOnlyIgnoresCapability>("exec-only-ignores-capability", "ept-xwr-classification"),
      mut<ExecOnlyIgnoresCapability>("exec-only-ignores-capability", "ept-classification-total"),
      mut<MemtypeOnTables>("memtype-on-tables", "ept-memtype-misconfigures-leaf-only"),
      mut<MisconfiguredWhenNotPresent>("misconfigured-when-not-present", "ept-classification-total"),
      mut<QualPermsAtBit4>("qual-perms-at-bit-4", "ept-exit-qualification"),
      mut<QualFinalWithoutLinear>("qual-final-without-linear", "ept-exit-qualification"),
      mut<AdDirtyOnRead>("ad-dirty-on-read", "ept-ad-update-sets-only-a-d"),
      mut<AdWhenDisabled>("ad-when-disabled", "ept-ad-update-sets-only-a-d"),
      mut<ExecUserIgnoresMbec>("exec-user-ignores-mbec", "ept-access-allowed-iff-required-bit"),
      mut<IndexLevel3Bit29>("index-level-3-bit-29", "ept-indices-partition-gpa"),
      mut<IndexLevel3Bit29>("index-level-3-bit-29", "ept-walk-step-reads-selected-entry"),
      mut<EntryAddress4Byte>("entry-address-4-byte", "ept-walk-step-reads-selected-entry"),
      mut<MakeLeafNoMaxPhyAddrMask>("make-leaf-no-maxphyaddr-mask", "ept-encoders-set-no-reserved-bit"),
      mut<MakeLeafNoMaxPhyAddrMask>("make-leaf-no-maxphyaddr-mask", "ept-encoded-entries-not-misconfigured"),
      mut<MakeLeafDropsSpp>("make-leaf-drops-spp", "ept-leaf-round-trip"),
      mut<TableAddr48>("table-addr-48", "ept-table-round-trip"),
      mut<PdeAlwaysLeaf>("pde-always-leaf", "ept-encoders-set-no-reserved-bit"),
      mut<EptpWalkLengthOffByOne>("eptp-walk-length-off-by-one", "ept-eptp-round-trip"),
      mut<EptpValidIgnoresLowReserved>("eptp-valid-ignores-low-reserved", "ept-eptp-valid-matches-sdm"),
      mut<LeafHpaTableMask>("leaf-hpa-table-mask", "ept-leaf-hpa-ignores-attributes"),
  };
}

class EptMutated : public ::testing::TestWithParam<Mutation> {};

TEST_P(EptMutated, LemmaNoLongerHolds) { expect_mutation_breaks(GetParam(), kFormat); }

INSTANTIATE_TEST_SUITE_P(Ept, EptMutated, ::testing::ValuesIn(mutations()), mutation_name);

TEST(EptMutations, EveryLemmaHasAMutationThatBreaksIt) {
  expect_every_lemma_broken(mutations(), kFormat);
  EXPECT_GE(lemmas_of_format(kFormat).size(), 12u);
}

// The off-by-one 2 MiB mask's counterexample is a real PDE: a 2 MiB leaf
// with bit 21 set, which the model's concrete reserved_bits (correctly)
// accepts at bit 21 and the SDM mask does too.
TEST(EptMutations, Reserved2MCounterexampleIsALargePdeWithBit21) {
  const std::vector<Lemma> cat = ept_lemmas<Reserved2MOffByOne>();
  LemmaResult r = run_lemma(lemma_in(cat, "ept-reserved-masks-match-sdm"));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  EXPECT_EQ(*r.value("level"), 2u);
  const std::uint64_t pte = *r.value("pte");
  EXPECT_NE(pte & bit(7), 0u);
  EXPECT_NE(pte & bit(21), 0u);
  const EptConfig cfg = config(static_cast<unsigned>(*r.value("maxphyaddr")));
  Concrete k;
  EXPECT_EQ(xe::reserved_bits(k, cfg, pte, 2) & bit(21), 0u);
  EXPECT_EQ(xe::reserved_bits(k, cfg, pte, 2), pte & spec::reserved(cfg.maxphyaddr, 2, true, true));
}

// The wrong write-without-read rule shows up on an entry whose XWR the SDM
// table classifies differently; the concrete model classifies it as the
// table says.
TEST(EptMutations, WwrCounterexampleIsClassifiedRightConcretely) {
  const std::vector<Lemma> cat = ept_lemmas<WwrChecksBit2>();
  LemmaResult r = run_lemma(lemma_in(cat, "ept-xwr-classification"));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  const std::uint64_t pte = *r.value("pte");
  const std::uint64_t xwr = pte & 7;
  EXPECT_TRUE(xwr == 0b100 || xwr == 0b101 || xwr == 0b010 || xwr == 0b110) << xwr;
  const EptConfig cfg = config(46, *r.value("mbec") != 0, *r.value("exec_only") != 0);
  Concrete k;
  const auto level = static_cast<unsigned>(*r.value("level"));
  const std::uint64_t code = xe::misconfig(k, cfg, pte, level);
  EXPECT_EQ(code == spec::kWwr, (xwr & 3) == 0b10) << code;
}

}  // namespace
}  // namespace ptspec::solver::ept
