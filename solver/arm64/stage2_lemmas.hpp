// The arm64.stage2 lemma catalogue, written over a "logic" type L whose static
// functions are the entry templates of model/arm64/stage2_desc.hpp.
//
// The catalogue instantiates it with Stage2Logic, which forwards to the
// model's templates with the Symbolic domain: every lemma is about the code
// the model runs. Unit tests instantiate it with deliberately broken logics
// (a Stage2Logic with one function replaced) to show that each lemma can
// fail: the same names, statements and builders, over a wrong formula.
//
// The builders live in stage2_lemmas_entry.hpp (single entries) and
// stage2_lemmas_walk.hpp (the walk); Stage2Logic and the independent
// description in stage2_lemmas_common.hpp.
#pragma once

#include <z3++.h>

#include <string>
#include <vector>

#include "solver/arm64/stage2_lemmas_common.hpp"
#include "solver/arm64/stage2_lemmas_entry.hpp"
#include "solver/arm64/stage2_lemmas_walk.hpp"
#include "solver/lemma.hpp"

namespace ptspec::solver::stage2 {

// ---------------------------------------------------------------------------
// The catalogue, for logic L.
// ---------------------------------------------------------------------------
template <class L = Stage2Logic> std::vector<Lemma> stage2_lemmas() {
  std::vector<Lemma> v;
  auto add = [&](std::string name, std::string statement, Expect e, LemmaBuilder b, unsigned ms = 10'000) {
    v.push_back(Lemma{kFormat, std::move(name), std::move(statement), e, ms, std::move(b)});
  };
  constexpr Expect P = Expect::Proved;
  constexpr Expect C = Expect::Counterexample;

  for (OwnerLayout l : {OwnerLayout::Upstream, OwnerLayout::Seed}) {
    const std::string ln = layout_name(l);
    add("owner-entry-invalid-" + ln,
        "In the " + ln + " owner layout, make_owner(id) is an invalid entry for every 64-bit owner id.", P,
        [l](z3::context& c) { return owner_entry_invalid<L>(c, l); });
    add("owner-round-trip-" + ln,
        "In the " + ln + " owner layout, owner_of(make_owner(id)) == id for every owner id 0..255.", P,
        [l](z3::context& c) { return owner_round_trip<L>(c, l); });
  }
  add("owner-survives-sw-bits-upstream",
      "In the upstream owner layout (9:2), setting any software bits 58:55 on an owner entry leaves its owner id "
      "unchanged: owner_of(with_sw(make_owner(id), sw)) == id for id 0..255, sw 0..15.",
      P, [](z3::context& c) { return owner_survives_sw_bits<L>(c, OwnerLayout::Upstream); });
  add("owner-survives-sw-bits-seed",
      "In the seed owner layout (63:56), setting software bits 58:55 on an owner entry leaves its owner id "
      "unchanged -- false: the fields overlap (fixed upstream by \"Don't overwrite software bits with owner id\"), "
      "so the solver must exhibit an (owner, sw) pair.",
      C, [](z3::context& c) { return owner_survives_sw_bits<L>(c, OwnerLayout::Seed); });
  add("uncounted-entry-is-host-owned",
      "An entry that is not counted is invalid and reads as owner 0 (the host) in both owner layouts, and "
      "make_owner(0) is not counted, so a zeroed pgd means 'all owned by the host'.",
      P, [](z3::context& c) { return uncounted_entry_is_host_owned<L>(c); });
  add("counted-iff-nonzero", "stage2_pte_is_counted(pte) holds exactly when pte != 0.", P,
      [](z3::context& c) { return counted_iff_nonzero<L>(c); });
  add("valid-entry-is-counted", "Every valid entry (bit 0 set) is counted.", P,
      [](z3::context& c) { return valid_entry_is_counted<L>(c); });
  add("owner-entry-is-counted",
      "An owner entry with owner id 1..255 is counted, in both owner layouts (it holds a table-page reference).", P,
      [](z3::context& c) { return owner_entry_is_counted<L>(c); });
  add("no-update-only-for-permission-change",
      "stage2_pte_needs_update(old, new) is false exactly when both entries are valid and differ only in the "
      "permission bits S2AP 7:6 and XN 54.",
      P, [](z3::context& c) { return no_update_only_for_permission_change<L>(c); });
  add("no-update-keeps-translation",
      "When stage2_pte_needs_update(old, new) is false, old and new have the same output address, the same "
      "kind (table/block/page) at every level and the same MemAttr, SH, AF and software bits, for every granule "
      "-- so skipping break-before-make is safe.",
      P, [](z3::context& c) { return no_update_keeps_translation<L>(c); });
  add("prot-round-trip",
      "For every r, w, x, device with !(device && x), every granule, leaf level and PA: "
      "attr_to_prot(make_leaf(pa, prot_to_attr(prot).attr, level)) == prot.",
      P, [](z3::context& c) { return prot_round_trip<L>(c); });
  add("prot-refuses-executable-device",
      "prot_to_attr(prot).ok is false exactly for executable device memory (device && x).", P,
      [](z3::context& c) { return prot_refuses_executable_device<L>(c); });
  add("prot-attr-within-leaf-fields",
      "prot_to_attr sets only leaf attribute bits (10:2, 63:51), always AF and SH = inner-shareable, and MemAttr "
      "Device-nGnRE (0x1) for device, Normal write-back (0xf) otherwise.",
      P, [](z3::context& c) { return prot_attr_within_leaf_fields<L>(c); });
  add("make-leaf-round-trip",
      "For every granule and leaf level, make_leaf keeps the output address (oa_of(make_leaf(pa)) == pa for "
      "granule-aligned pa < 2^48) and the attribute bits 10:2 and 63:51 of attr, and sets no bit outside "
      "valid, type, OA 47:granule and the attribute fields.",
      P, [](z3::context& c) { return make_leaf_round_trip<L>(c); });
  add("make-table-round-trip",
      "For every granule, make_table keeps the table address (oa_of(make_table(pa)) == pa for granule-aligned "
      "pa < 2^48), sets only valid, type and OA bits (63:59 and attributes stay 0), and is a table, not a leaf, "
      "at levels 0-2.",
      P, [](z3::context& c) { return make_table_round_trip<L>(c); });
  add("make-leaf-kind-matches-level",
      "A leaf made at level 3 is a valid page (type bit set) and one made at a block level is a valid block "
      "(type bit clear); both are leaves at their level and never tables, for every granule.",
      P, [](z3::context& c) { return make_leaf_kind_matches_level<L>(c); });
  add("block-needs-alignment-and-cover",
      "kvm_block_mapping_supported(level, addr, end, phys) implies the level has blocks for the granule, addr "
      "is block-aligned, end - addr >= block size, and phys is invalid (>= 2^pa_bits) or block-aligned; every "
      "granule, level, pa_bits 40 and 48.",
      P, [](z3::context& c) { return block_mapping_rule<L>(c, true); });
  add("block-when-aligned-and-covered",
      "Conversely, a block-capable level, a block-aligned addr, a range covering the block and an invalid or "
      "block-aligned phys make kvm_block_mapping_supported true (set_owner's invalid PA never blocks a block).",
      P, [](z3::context& c) { return block_mapping_rule<L>(c, false); });
  for (unsigned gs : spec::kGranuleShifts) {
    add("walk-indices-partition-ipa-" + spec::granule_name(gs),
        "Granule " + spec::granule_name(gs) +
            ", every ia_bits 32..48 and start level VTCR_EL2 allows: the walker's index fields (start level..3) "
            "and the page offset are pairwise disjoint, cover exactly bits ia_bits-1..0, rebuild every "
            "ipa < 2^ia_bits, and the start index needs all of the concatenated pgd pages and no more.",
        P, [gs](z3::context& c) { return walk_indices_partition_ipa<L>(c, gs); });
  }
  add("walk-step-reads-selected-entry",
      "Over symbolic memory, for a table aligned to its size below 2^48: entry_address(table, ipa, level) is "
      "8-aligned inside [table, table + entries*8), two IPAs share an entry iff their index bits agree, and the "
      "walk step reads exactly the word stored at the selected index (every granule, ia_bits 32..48 in steps "
      "of 4, every start level VTCR_EL2 allows, every level).",
      P, [](z3::context& c) { return walk_step_reads_selected_entry<L>(c); }, 30'000);
  add("table-and-leaf-exclusive", "No entry is both a table and a leaf, at any level, for every granule.", P,
      [](z3::context& c) { return table_and_leaf_exclusive<L>(c); });
  add("level3-never-table",
      "At level 3 no entry is a table, and an entry is a leaf there exactly when bits 1:0 are 11 (a page).", P,
      [](z3::context& c) { return level3_never_table<L>(c); });
  add("leaf-only-at-block-levels",
      "is_leaf(pte, level) implies the entry is valid and the granule allows a leaf at that level (4K: 1-3; "
      "16K/64K: 2-3).",
      P, [](z3::context& c) { return leaf_only_at_block_levels<L>(c); });
  return v;
}

}  // namespace ptspec::solver::stage2
