// The arm64.stage1 lemma catalogue, written over a "logic" type L whose
// static functions are the model's stage-1 templates (stage1_desc.hpp,
// vmsa_desc.hpp, stage1_perms.hpp, the stage-1 walk).
//
// The catalogue instantiates it with Stage1Logic (Symbolic domain): every
// lemma is about the code the model runs. The mutation tests
// (tests/solver/stage1_mutation_test.cpp) instantiate it with logics that
// have one function broken, to show that each lemma can fail.
//
// Builders: stage1_lemmas_entry.hpp (descriptors), stage1_lemmas_perms.hpp
// (permissions), stage1_lemmas_walk.hpp (walk), stage1_lemmas_clear.hpp
// (mmu_clear_user over whole tables); Stage1Logic and the
// independent description in stage1_lemmas_common.hpp.
#pragma once

#include <z3++.h>

#include <string>
#include <vector>

#include "solver/arm64/stage1_lemmas_clear.hpp"
#include "solver/arm64/stage1_lemmas_common.hpp"
#include "solver/arm64/stage1_lemmas_entry.hpp"
#include "solver/arm64/stage1_lemmas_perms.hpp"
#include "solver/arm64/stage1_lemmas_walk.hpp"
#include "solver/lemma.hpp"

namespace ptspec::solver::stage1 {

template <class L = Stage1Logic> std::vector<Lemma> stage1_lemmas() {
  std::vector<Lemma> v;
  auto add = [&](std::string name, std::string statement, Expect e, LemmaBuilder b, unsigned ms = 10'000) {
    v.push_back(Lemma{kFormat, std::move(name), std::move(statement), e, ms, std::move(b)});
  };
  constexpr Expect P = Expect::Proved;
  constexpr Expect C = Expect::Counterexample;

  // ---- descriptors (Arm ARM D8.3) ----
  add("stage1-leaf-fields-round-trip",
      "decode_leaf_fields(encode_leaf_fields(f)) == f for every stage-1 leaf field set with AttrIndx < 8, "
      "AP < 4, SH < 4, SW < 16, and the encoder sets no bit outside AttrIndx 4:2, NS 5, AP 7:6, SH 9:8, AF 10, "
      "nG 11, Contiguous 52, PXN 53, UXN 54, SW 58:55 for any input.",
      P, [](z3::context& c) { return leaf_fields_round_trip<L>(c); });
  add("stage1-leaf-fields-at-arm-positions",
      "For every 64-bit descriptor the leaf decoder reads AttrIndx 4:2, NS 5, AP[2:1] 7:6, SH 9:8, AF 10, nG 11, "
      "Contiguous 52, PXN 53, UXN 54 and SW 58:55 (Arm ARM D8.3.2), and the encoder places in-range fields there.",
      P, [](z3::context& c) { return leaf_fields_at_arm_positions<L>(c); });
  add("stage1-table-fields-round-trip",
      "The table-attribute decoder reads PXNTable 59, UXNTable 60, APTable 62:61, NSTable 63 (Arm ARM D8.3.1) "
      "from every descriptor, decode(encode(f)) == f for APTable < 4, and the encoder sets no other bit.",
      P, [](z3::context& c) { return table_fields_round_trip<L>(c); });
  add("stage1-make-leaf-round-trip",
      "For every granule and leaf level (4K: 1-3, 16K/64K: 2-3) make_leaf(pa, f, level) keeps a granule-aligned "
      "pa < 2^48 as its OA and in-range fields f, is valid, a page (bit 1 set) at level 3 and a block (bit 1 "
      "clear) above, a leaf and not a table there, and sets no bit outside valid, type, OA 47:granule and the "
      "leaf attributes.",
      P, [](z3::context& c) { return make_leaf_round_trip<L>(c); });
  add("stage1-make-table-round-trip",
      "For every granule make_table(pa, f) keeps a granule-aligned pa < 2^48 as its address and APTable < 4 "
      "attributes, is a table and not a leaf at levels 0-2, and sets no bit outside valid, type, OA and the "
      "table attributes 63:59.",
      P, [](z3::context& c) { return make_table_round_trip<L>(c); });
  add("stage1-classification-matches-arm",
      "For every granule and level 0-3, over all 64-bit descriptors: table iff level < 3 and bits 1:0 = 11; "
      "page iff level 3 and bits 1:0 = 11; block iff bits 1:0 = 01 at a block level (4K: 1, 2; 16K/64K: 2); "
      "leaf iff page or block (Arm ARM D8.3; every other valid encoding is a translation fault).",
      P, [](z3::context& c) { return classification_matches_arm<L>(c); });
  add("stage1-clear-user-entry-update",
      "mmu_clear_user's entry update clears exactly AP[1] (bit 6, PTE_USER) -- the result is not user-accessible "
      "and keeps AP[2], PXN, UXN, AF, the output address and the table/leaf kind at every level and granule "
      "(seed 001, \"Teach mmu_clear_user about block mappings\").",
      P, [](z3::context& c) { return clear_user_entry_update<L>(c); });

  // ---- permissions (Arm ARM D8.4) ----
  add("stage1-perms-match-arm-table",
      "For EL0 and EL1, every AP (bits 1:0 decide, Table D8-49), PXN, UXN, PSTATE.PAN and SCTLR_EL1.WXN, "
      "stage1_perms and stage1_access_allowed give exactly the read/write/execute of the permission table "
      "written out in the lemma (AArch64.CheckPermission: implicit PXN for EL0-writable memory, WXN, PAN on "
      "data accesses only).",
      P, [](z3::context& c) { return perms_match_arm_table<L>(c); });
  add("stage1-el0-writable-never-el1-executable",
      "Memory that EL0 can write is never executable at EL1, whatever AP, PXN, UXN, PAN and WXN are.", P,
      [](z3::context& c) { return el0_writable_never_el1_executable<L>(c); });
  add("stage1-wxn-writable-never-executable",
      "With SCTLR_EL1.WXN set, at EL0 and at EL1 no memory is both writable and executable; WXN never changes "
      "a read or write permission and never grants execution.",
      P, [](z3::context& c) { return wxn_writable_never_executable<L>(c); });
  add("stage1-pan-hides-el0-memory-from-el1-data",
      "With PSTATE.PAN set, EL1 can neither read nor write memory with AP[1] = 1 (EL0-accessible); PAN changes "
      "no other EL1 data permission, no EL1 fetch and nothing at EL0; EL0 reads only AP[1] = 1 memory.",
      P, [](z3::context& c) { return pan_hides_el0_memory_from_el1_data<L>(c); });
  add("stage1-table-attrs-fold-per-arm",
      "Folding the walk's table attributes: APTable[0] clears AP[1], APTable[1] sets AP[2], PXNTable/UXNTable "
      "are ORed into PXN/UXN, all-zero table attributes change nothing, and EL0 never gains a read or write "
      "from a table (Arm ARM D8.4 hierarchical permissions).",
      P, [](z3::context& c) { return table_attrs_fold_per_arm<L>(c); });
  add("stage1-leaf-perms-from-descriptor-bits",
      "For every leaf descriptor and every OR of the table descriptors above it, at EL0 and EL1 and every PAN "
      "and WXN, the walk's leaf_perms equals the permission table at the effective AP[2:1] = (bit 7 | "
      "APTable[1] bit 62, bit 6 & !APTable[0] bit 61), PXN = bit 53 | bit 59, UXN = bit 54 | bit 60.",
      P, [](z3::context& c) { return leaf_perms_from_descriptor_bits<L>(c); });

  // ---- walk (Arm ARM D8.2) ----
  for (unsigned gs : spec::kGranuleShifts) {
    add("stage1-walk-indices-partition-va-" + spec::granule_name(gs),
        "Granule " + spec::granule_name(gs) +
            ", every VA size 25..48 bits: from the start level the model derives from T0SZ, the index fields "
            "(start level..3) and the page offset are pairwise disjoint, cover exactly bits va_bits-1..0, "
            "rebuild every VA below 2^va_bits, and the start table has 2..2^(granule_shift-3) entries (no "
            "concatenation at stage 1).",
        P, [gs](z3::context& c) { return walk_indices_partition_va<L>(c, gs); });
  }
  add("stage1-walk-step-reads-selected-entry",
      "Over symbolic memory, for a table aligned to its size below 2^48: the entry address of a VA is 8-aligned "
      "inside the table, two VAs share an entry iff their index bits agree, and the walk step reads exactly the "
      "word stored at the selected index (every granule, VA sizes 28..48 in steps of 4, every level).",
      P, [](z3::context& c) { return walk_step_reads_selected_entry<L>(c); }, 30'000);
  add("stage1-leaf-output-uses-leaf-size",
      "A leaf at each level the granule allows maps the size the Arm ARM gives (4K: 1 GiB, 2 MiB, 4 KiB; 16K: "
      "32 MiB, 16 KiB; 64K: 512 MiB, 64 KiB): the output address is the leaf's OA above that size and the VA "
      "below it.",
      P, [](z3::context& c) { return leaf_output_uses_leaf_size<L>(c); });

  // ---- mmu_clear_user over whole tables (seed 001) ----
  add("stage1-clear-user-hits-mapping-descriptor",
      "Over symbolic memory (any table contents), for every VA: mmu_clear_user stores iff the VA is mapped, and "
      "after its store the walk of the VA reaches the same descriptor at the same level -- page or block -- now "
      "equal to the old one with only AP[1] (PTE_USER) cleared, so the translation is kept and EL0 loses "
      "access (4K VA 48/39, 16K 47, 64K 42; seed 001, \"Teach mmu_clear_user about block mappings\").",
      P, [](z3::context& c) { return clear_user_hits_mapping_descriptor<L>(c, s1::ClearUser::Fixed, false); },
      30'000);
  add("stage1-clear-user-page-only-misses-block",
      "The pre-fix mmu_clear_user (variant clear-user-page-only: every entry above level 3 followed as a table "
      "pointer) clears AP[1] of the descriptor that maps every mapped VA -- false: on a block mapping it "
      "follows the block's output address as a table and stores there or beyond, and the block stays "
      "user-accessible, so the solver must exhibit a block.",
      C, [](z3::context& c) { return clear_user_hits_mapping_descriptor<L>(c, s1::ClearUser::PageOnly, false); },
      30'000);
  add("stage1-clear-user-page-only-correct-on-pages",
      "On a VA mapped by a level-3 page, the pre-fix mmu_clear_user (clear-user-page-only) does what the fixed "
      "one does: its store leaves the page descriptor with only AP[1] cleared -- the defect is confined to "
      "blocks.",
      P, [](z3::context& c) { return clear_user_hits_mapping_descriptor<L>(c, s1::ClearUser::PageOnly, true); },
      30'000);
  return v;
}

}  // namespace ptspec::solver::stage1
