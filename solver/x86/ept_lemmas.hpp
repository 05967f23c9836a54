// The x86.ept lemma catalogue, written over a "logic" type L whose static
// functions are the model's entry templates (model/x86/ept_entry.hpp)
// instantiated with Symbolic.
//
// The catalogue instantiates it with EptLogic (the model's own code); the
// mutation tests instantiate it with an EptLogic that has one function
// broken, to show every lemma can fail (tests/solver/ept_mutation_test.cpp).
//
// The builders live in ept_lemmas_entry.hpp (single entries) and
// ept_lemmas_walk.hpp (access check, qualification, A/D, walk step, EPTP);
// EptLogic and the independent description in ept_lemmas_common.hpp. The
// numbers (1)..(13) are the items of issue 3's lemma list.
#pragma once

#include <z3++.h>

#include <string>
#include <vector>

#include "solver/lemma.hpp"
#include "solver/x86/ept_lemmas_common.hpp"
#include "solver/x86/ept_lemmas_entry.hpp"
#include "solver/x86/ept_lemmas_walk.hpp"

namespace ptspec::solver::ept {

template <class L = EptLogic> std::vector<Lemma> ept_lemmas() {
  std::vector<Lemma> v;
  auto add = [&](std::string name, std::string statement, LemmaBuilder b, unsigned ms = 10'000) {
    v.push_back(Lemma{kFormat, std::move(name), std::move(statement), Expect::Proved, ms, std::move(b)});
  };
  add("ept-leaf-round-trip",
      "For every MAXPHYADDR 36..52, MBEC off/on and leaf level 1..3, make_leaf of a page-aligned address below "
      "2^MAXPHYADDR puts XWR in 2:0, memory type in 5:3, ignore-PAT in 6, page size in 7 (levels 2, 3), user-X in "
      "10 (MBEC only), SPP in 61, suppress-#VE in 63 and the address in 51:12, sets no A/D or other bit, and the "
      "field getters, is_leaf, is_present and leaf_hpa give the inputs back.",
      [](z3::context& c) { return leaf_round_trip<L>(c); });
  add("ept-encoders-set-no-reserved-bit",
      "For every MAXPHYADDR 36..52, with and without 1 GiB support, and ANY address and attribute words, "
      "make_leaf (each leaf level) and make_table (levels 2..5) set no reserved bit, by reserved_bits and by the "
      "SDM masks, and a table entry is never a leaf.",
      [](z3::context& c) { return encoders_set_no_reserved_bit<L>(c); });
  add("ept-encoded-entries-not-misconfigured",
      "For every MAXPHYADDR 36..52, execute-only support and MBEC off/on, and ANY address: make_leaf (levels "
      "1..3) and make_table (levels 2..5) with XWR 001/011/101/111 (or 100 with execute-only support) and a "
      "memory type other than 2, 3, 7 give present entries that are not misconfigured.",
      [](z3::context& c) { return encoded_entries_not_misconfigured<L>(c); });
  add("ept-table-round-trip",
      "For every MAXPHYADDR 36..52 and MBEC off/on, make_table of a 4 KiB-aligned address below 2^MAXPHYADDR "
      "gives the address back through table_addr and bits 51:12, XWR in 2:0, user-X in 10 (MBEC only), and "
      "clears bits 9:3, 11 and 63:52.",
      [](z3::context& c) { return table_round_trip<L>(c); });
  add("ept-present-iff-rwx",
      "An entry is present exactly when one of bits 2:0 (R, W, X) is set, or bit 10 (user-X) under MBEC; "
      "with and without MBEC.",
      [](z3::context& c) { return present_iff_rwx<L>(c); });
  add("ept-xwr-classification",
      "For every level, with and without execute-only support and MBEC, an entry with no reserved bit and a "
      "valid memory type classifies by (XWR, user-X) as the SDM table says: 000 not present (unless user-X "
      "under MBEC), 010/110 write-without-read misconfiguration, 100 (and user-X only) an execute-only "
      "misconfiguration without execute-only support, every other combination allowed.",
      [](z3::context& c) { return xwr_classification<L>(c); });
  add("ept-classification-total",
      "For every 64-bit entry, level 1..5, capability set and MAXPHYADDR 36/46/52, exactly one of {not present, "
      "misconfigured, ok} holds; a present entry's rule is the first broken of XWR (010/110, then execute-only), "
      "reserved bits (SDM masks), leaf memory type 2/3/7; and only present entries are misconfigured.",
      [](z3::context& c) { return classification_total<L>(c); });
  add("ept-reserved-masks-match-sdm",
      "For every MAXPHYADDR 36..52, level and page size, reserved_bits is the entry ANDed with the SDM mask: "
      "PML5E/PML4E 7:3, non-leaf PDPTE/PDE 6:3, 1 GiB leaf 29:12, 2 MiB leaf 20:12, PDPTE bit 7 without 1 GiB "
      "support, PTE nothing extra, and bits MAXPHYADDR..51 everywhere.",
      [](z3::context& c) { return reserved_masks_match_sdm<L>(c); });
  add("ept-memtype-misconfigures-leaf-only",
      "Memory types 2, 3 and 7 (bits 5:3) misconfigure a leaf (PTE, or PDE/PDPTE with bit 7) and never a table "
      "entry; a readable entry with no reserved bit is misconfigured by memory type exactly then.",
      [](z3::context& c) { return memtype_misconfigures_leaf_only<L>(c); });
  add("ept-exit-qualification",
      "For every access and MBEC off/on, the EPT-violation qualification for the permissions ANDed over two "
      "entries has bits 2:0 the one-hot access kind (read 001, write 010, fetch 100), bits 5:3 the AND of R, W, "
      "X, bit 6 the AND of user-X under MBEC (0 without), bit 7 linear-address valid, bit 8 only with bit 7, "
      "and no bit above 8.",
      [](z3::context& c) { return exit_qualification_bits<L>(c); });
  add("ept-ad-update-sets-only-a-d",
      "With A/D enabled the walk's update of an entry sets A (bit 8), sets D (bit 9) only on the leaf of a "
      "write, and changes no other bit; with A/D disabled it leaves the entry unchanged.",
      [](z3::context& c) { return ad_update_sets_only_a_d<L>(c); });
  add("ept-access-allowed-iff-required-bit",
      "access_allowed holds exactly when the access's bit is set in the permissions: read bit 0, write bit 1, "
      "supervisor fetch bit 2, user fetch bit 10 under MBEC and bit 2 without.",
      [](z3::context& c) { return access_allowed_iff_required_bit<L>(c); });
  add("ept-walk-step-reads-selected-entry",
      "Over symbolic memory, for a 4 KiB-aligned table below 2^52 and every level 1..5: the entry address is "
      "8-aligned inside the table, two GPAs share an entry iff their index bits (20:12, 29:21, 38:30, 47:39, "
      "56:48) agree, and the walk step reads exactly the word stored at table + 8 * index.",
      [](z3::context& c) { return walk_step_reads_selected_entry<L>(c); }, 30'000);
  add("ept-indices-partition-gpa",
      "For 4- and 5-level walks, each level's index is below 512 and the indices with the page offset rebuild "
      "GPA bits 47:0 (4-level) or 56:0 (5-level).",
      [](z3::context& c) { return indices_partition_gpa<L>(c); });
  add("ept-eptp-round-trip",
      "For every MAXPHYADDR 36..52, 4/5 levels and A/D off/on, make_eptp of a 4 KiB-aligned root below "
      "2^MAXPHYADDR with memory type UC or WB passes eptp_valid, eptp_root gives the root back, and bits 2:0, "
      "5:3, 6 hold the memory type, levels - 1 and the A/D enable.",
      [](z3::context& c) { return eptp_round_trip<L>(c); });
  add("ept-eptp-valid-matches-sdm",
      "For every MAXPHYADDR 36..52, 4/5 levels and A/D off/on, eptp_valid accepts exactly memory type 0 or 6, "
      "bits 5:3 = levels - 1, bit 6 = the A/D enable, bits 11:8 and 63:MAXPHYADDR clear -- rejecting each "
      "reserved bit.",
      [](z3::context& c) { return eptp_valid_matches_sdm<L>(c); });
  add("ept-leaf-hpa-ignores-attributes",
      "For every MAXPHYADDR 36..52 and leaf level 1..3, leaf_hpa is the entry's bits MAXPHYADDR-1..page size "
      "plus the GPA's page offset, so changing any other bit (permissions, memory type, A/D, user-X, SPP, "
      "suppress-#VE, ignored or reserved bits) leaves the HPA unchanged.",
      [](z3::context& c) { return leaf_hpa_ignores_attributes<L>(c); });
  return v;
}

}  // namespace ptspec::solver::ept
