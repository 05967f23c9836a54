// Every x86.paging lemma can fail: the catalogue's own builders, instantiated
// with a PagingLogic that has one function deliberately broken, must yield a
// counterexample. A coverage test checks that every lemma of the format is
// broken by at least one mutant here.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/core/bits.hpp"
#include "solver/x86/paging_lemmas.hpp"
#include "tests/solver/mutation_harness.hpp"

namespace ptspec::solver::paging {
namespace {

using S = Symbolic;
using W = z3::expr;
using namespace mutation;

// ---- the mutants: each replaces one function of the model's logic ----

// make_leaf also sets A (bit 5) -- a 32-bit 4 MiB leaf then still has no
// reserved bit, but the round trip's "no A" fails.
struct LeafSetsAccessed : PagingLogic {
  static W make_leaf(const S& d, const Format& f, unsigned level, const W& pa, const Attrs& a) {
    return PagingLogic::make_leaf(d, f, level, pa, a) | d.lit(bit(5));
  }
};
// make_table keeps address bits up to 51 regardless of MAXPHYADDR.
struct TableAddressUnmasked : PagingLogic {
  static W make_table(const S& d, const Format& f, const W& pa, const Attrs& a) {
    return PagingLogic::make_table(d, f, pa, a) | (pa & d.lit(genmask(51, 12)));
  }
};
// The 2 MiB PDE's reserved range stops at bit 19 (20:13 -> 19:13).
struct Reserved2MShort : PagingLogic {
  static W reserved_bits(const S& d, const Format& f, const W& pte, unsigned level) {
    W r = PagingLogic::reserved_bits(d, f, pte, level);
    return (level == 2 && f.mode != Mode::Bits32) ? r & d.lit(~bit(20)) : r;
  }
};
// The PDPTE check forgets bits 8:5 (the patch's view that only P matters).
struct PdpteCheckIgnoresMid : PagingLogic {
  static W pdpte_invalid(const S& d, unsigned m, const W& e) {
    return PagingLogic::pdpte_invalid(d, m, e & d.lit(~genmask(8, 5)));
  }
};
// The PDPTE check also refuses not-present entries with reserved bits (the
// patch's "the CPU expects PDPTEs present" reading, corrected in seed 002).
struct PdpteCheckIgnoresPresent : PagingLogic {
  static W pdpte_invalid(const S& d, unsigned m, const W& e) {
    return PagingLogic::pdpte_invalid(d, m, e | d.lit(1));
  }
};
// The PDPT base keeps CR3 bits above 31.
struct PdptBaseKeepsHighBits : PagingLogic {
  static W pae_pdpt_base(const S& d, const W& cr3) { return cr3 & d.lit(~std::uint64_t{0x1F}); }
};
// PDPTE i at base + 4i (4-byte stride).
struct PdpteStride4 : PagingLogic {
  static W pdpte_address(const S& d, const W& cr3, unsigned i) {
    return PagingLogic::pae_pdpt_base(d, cr3) + d.lit(4 * std::uint64_t{i});
  }
};
// The error code's P bit set for every fault.
struct ErrorCodeAlwaysP : PagingLogic {
  static W entry_error_code(const S& d, const Format& f, const Rights& r, AccessKind k, const W& pte, unsigned level) {
    return PagingLogic::entry_error_code(d, f, r, k, pte, level) | d.lit(1);
  }
};
// I/D reported for every fetch (ignoring NXE / SMEP).
struct IdOnEveryFetch : PagingLogic {
  static W protection_error_code(const S& d, const Format& f, const Rights& r, AccessKind k) {
    return PagingLogic::protection_error_code(d, f, r, k) | d.lit(k == AccessKind::Fetch ? bit(4) : 0);
  }
};
// SMAP ignores EFLAGS.AC.
struct SmapIgnoresAc : PagingLogic {
  static W access_denied(const S& d, const Rights& r, AccessKind k, const W& perms) {
    Rights r2 = r;
    r2.ac = false;
    return PagingLogic::access_denied(d, r2, k, perms);
  }
};
// XD honoured even without NXE.
struct XdWithoutNxe : PagingLogic {
  static W perms_of(const S& d, const Format& f, const W& pte, unsigned level) {
    Format g = f;
    g.nxe = true;
    return PagingLogic::perms_of(d, g, pte, level);
  }
};
// D set on every write, not only on the leaf.
struct DirtyOnTables : PagingLogic {
  static W ad_update(const S& d, const W& pte, bool, AccessKind k) { return PagingLogic::ad_update(d, pte, true, k); }
};

template <class L> std::vector<Lemma> mut() { return paging_lemmas<L>(); }

const std::vector<Mutation>& table() {
  static const std::vector<Mutation> t = {
      {"leaf_sets_accessed", "paging-leaf-round-trip", mut<LeafSetsAccessed>},
      {"table_address_unmasked", "paging-encoders-set-no-reserved-bit", mut<TableAddressUnmasked>},
      {"reserved_2m_short", "paging-reserved-masks-match-sdm", mut<Reserved2MShort>},
      {"pdpte_check_ignores_mid", "paging-pdpte-check-matches-table-4-8", mut<PdpteCheckIgnoresMid>},
      {"pdpte_check_ignores_present", "paging-pdpte-check-matches-table-4-8", mut<PdpteCheckIgnoresPresent>},
      {"pdpte_check_ignores_mid", "paging-intel-amd-pdpte-agree", mut<PdpteCheckIgnoresMid>},
      {"pdpt_base_keeps_high_bits", "paging-pae-cr3-addresses-pdpt-below-4g", mut<PdptBaseKeepsHighBits>},
      {"pdpte_stride_4", "paging-pae-cr3-addresses-pdpt-below-4g", mut<PdpteStride4>},
      {"error_code_always_p", "paging-error-code-p-iff-present", mut<ErrorCodeAlwaysP>},
      {"id_on_every_fetch", "paging-id-bit-only-with-nxe-or-smep", mut<IdOnEveryFetch>},
      {"smap_ignores_ac", "paging-access-rights-match-sdm", mut<SmapIgnoresAc>},
      {"xd_without_nxe", "paging-perms-match-entry-bits", mut<XdWithoutNxe>},
      {"dirty_on_tables", "paging-ad-update-sets-only-a-d", mut<DirtyOnTables>},
  };
  return t;
}

class PagingMutation : public ::testing::TestWithParam<Mutation> {};

TEST_P(PagingMutation, BreaksItsLemma) { expect_mutation_breaks(GetParam(), kFormat); }

INSTANTIATE_TEST_SUITE_P(Mutants, PagingMutation, ::testing::ValuesIn(table()), mutation_name);

TEST(PagingMutationCoverage, EveryLemmaHasAMutant) { expect_every_lemma_broken(table(), kFormat); }

}  // namespace
}  // namespace ptspec::solver::paging
