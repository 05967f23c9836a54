// The x86.tdx lemma catalogue, written over a "logic" type L whose static
// functions are the model's pure templates (model/x86/tdx_{gpa,sept_state,
// mmio}.hpp) instantiated with Symbolic.
//
// The catalogue instantiates it with TdxLogic (the model's own code); the
// mutation tests instantiate it with a TdxLogic that has one function
// broken, to show every lemma can fail (tests/solver/tdx_mutation_test.cpp).
// Builders: tdx_lemmas_gpa.hpp (GPA split, shared-bit constants, MMIO SPTE,
// levels), tdx_lemmas_sept.hpp (states and the SEAMCALL transition),
// tdx_lemmas_epoch.hpp (tracking with symbolic vCPUs).
#pragma once

#include <string>
#include <vector>

#include "solver/lemma.hpp"
#include "solver/x86/tdx_lemmas_common.hpp"
#include "solver/x86/tdx_lemmas_epoch.hpp"
#include "solver/x86/tdx_lemmas_gpa.hpp"
#include "solver/x86/tdx_lemmas_sept.hpp"

namespace ptspec::solver::tdx {

template <class L = TdxLogic> std::vector<Lemma> tdx_lemmas() {
  std::vector<Lemma> v;
  auto add = [&](std::string name, std::string statement, LemmaBuilder b, unsigned ms = 10'000) {
    v.push_back(Lemma{kFormat, std::move(name), std::move(statement), Expect::Proved, ms, std::move(b)});
  };
  add("tdx-gpa-route-exactly-one",
      "For GPAW 48 and 52 and every 64-bit GPA, gpa_route picks exactly one of private (0), shared (1), invalid "
      "(2): invalid iff a bit at or above GPAW is set, else shared iff bit GPAW-1 (47 / 51) is set; clearing the "
      "shared bit of a shared GPA gives a private GPA differing only in that bit.",
      [](z3::context& c) { return gpa_route_exactly_one<L>(c); });
  add("tdx-gpaw48-rejects-bits-51-48",
      "Under GPAW 48 every GPA with one of bits 51:48 set is invalid; under GPAW 52 no GPA with bits 63:52 clear "
      "is invalid.",
      [](z3::context& c) { return gpaw48_rejects_high_bits<L>(c); });
  add("tdx-shared-mask-is-gfn-to-gpa",
      "KVM's TDX_SHARED_BIT_PWL_4/5 are the gfn-unit values BIT(35) / BIT(39); the shared GPA mask is "
      "gfn_to_gpa of them, BIT(47) / BIT(51), a single bit, and never the gfn-unit constant itself.",
      [](z3::context& c) { return shared_mask_is_gfn_to_gpa<L>(c); });
  add("tdx-sept-state-encoding",
      "The ten SEPT state codes (FREE 0xe, REMOVED 0xc, NL_MAPPED 0x0, NL_BLOCKED 0x8, MAPPED 0x60, BLOCKED 0x68, "
      "BLOCKEDW 0x64, PENDING 0x70, PENDING_BLOCKED 0x78, PENDING_BLOCKEDW 0x74) are distinct, decode(encode(i)) = "
      "i for each, and for every 64-bit word: it is a state code iff it decodes, and then encode(decode(w)) = w.",
      [](z3::context& c) { return state_encoding_round_trip<L>(c); });
  add("tdx-sept-transition-closed",
      "For every SEAMCALL op, every 64-bit state word and every (finalized, running, tracked, children_free, "
      "leaf_level), sept_transition gives one (next, status) with a status from the op's list; SUCCESS leads from "
      "a state code to a state code, and every other status leaves the state unchanged.",
      [](z3::context& c) { return transition_closed<L>(c); });
  add("tdx-sept-non-state-rejected",
      "For every op and flags, a word that is not a SEPT state code gives an error status (bit 63) and no change.",
      [](z3::context& c) { return non_state_rejected<L>(c); });
  add("tdx-page-remove-needs-block-and-track",
      "PAGE.REMOVE succeeds only on a leaf state and makes it FREE; while the TD runs only from BLOCKED or "
      "PENDING_BLOCKED with the block tracked; when the TD does not run it succeeds on every leaf state.",
      [](z3::context& c) { return page_remove_needs_block_and_track<L>(c); });
  add("tdx-range-block-blocks",
      "RANGE.BLOCK succeeds exactly on NL_MAPPED, MAPPED, BLOCKEDW, PENDING, PENDING_BLOCKEDW, leaving NL_BLOCKED, "
      "BLOCKED, BLOCKED, PENDING_BLOCKED, PENDING_BLOCKED, and records the block exactly then; an already blocked "
      "entry gives GPA_RANGE_ALREADY_BLOCKED|RCX (not an error) and stays.",
      [](z3::context& c) { return range_block_blocks<L>(c); });
  add("tdx-page-accept-only-pending",
      "TDG.MEM.PAGE.ACCEPT succeeds exactly from PENDING in a finalized TD at the 4K level, leaving MAPPED; on "
      "MAPPED or BLOCKEDW it gives PAGE_ALREADY_ACCEPTED|RCX and no change.",
      [](z3::context& c) { return page_accept_only_pending<L>(c); });
  add("tdx-add-aug-only-free",
      "SEPT.ADD succeeds exactly on FREE (-> NL_MAPPED); PAGE.ADD exactly on FREE before finalize at the 4K level "
      "(-> MAPPED); PAGE.AUG exactly on FREE or REMOVED after finalize (-> PENDING).",
      [](z3::context& c) { return add_aug_only_free<L>(c); });
  add("tdx-sept-remove-needs-free-children",
      "SEPT.REMOVE succeeds only on NL_MAPPED/NL_BLOCKED with all 512 children FREE and makes it FREE; while the "
      "TD runs only from NL_BLOCKED with the block tracked; NL_BLOCKED, tracked, children FREE always succeeds.",
      [](z3::context& c) { return sept_remove_needs_free_children<L>(c); });
  add("tdx-range-unblock-needs-track",
      "RANGE.UNBLOCK succeeds exactly on a blocked entry (NL_BLOCKED, BLOCKED, PENDING_BLOCKED) whose block is "
      "tracked, restoring NL_MAPPED, MAPPED, PENDING.",
      [](z3::context& c) { return range_unblock_needs_track<L>(c); });
  add("tdx-tracked-count-form-matches-vcpus",
      "For 8 vCPUs, each with a symbolic running flag and in the TD epoch e or e-1 (a free choice per vCPU), and "
      "all 64-bit e and bepoch: tracked() over the per-parity running counts equals 'bepoch < e and every running "
      "vCPU entered in an epoch after bepoch'.",
      [](z3::context& c) { return tracked_count_form_matches_vcpus<L>(c); });
  add("tdx-track-refused-while-previous-epoch-runs",
      "For 8 symbolic vCPUs, each in epoch e or e-1, and every 64-bit e: TRACK succeeds exactly when no running vCPU is "
      "in e-1, then moves to e+1 and keeps every running vCPU in the new window; otherwise it returns "
      "PREVIOUS_TLB_EPOCH_BUSY with the epoch unchanged.",
      [](z3::context& c) { return track_refused_while_previous_epoch_runs<L>(c); });
  add("tdx-block-needs-track-and-reentry",
      "For every 64-bit TD epoch e below 2^64-1 and 8 symbolic vCPUs in e / e-1: a block made in e is not tracked "
      "in e; after a successful TRACK (to e+1) it is tracked exactly when no running vCPU is still in e; and "
      "once every running vCPU has re-entered in e+1 (the kick) it is tracked.",
      [](z3::context& c) { return block_needs_track_and_reentry<L>(c); });
  add("tdx-remove-safe-for-every-vcpu",
      "While the TD runs, a successful PAGE.REMOVE whose 'tracked' input is tracked() over the per-parity counts "
      "of 8 symbolic vCPUs (each in e or e-1, all 64-bit e and bepoch) implies the entry was BLOCKED or "
      "PENDING_BLOCKED and every running vCPU entered in an epoch after the block epoch.",
      [](z3::context& c) { return remove_safe_for_every_vcpu<L>(c); });
  add("tdx-mmio-spte-ept-violation",
      "For every MAXPHYADDR 36..52, MBEC and execute-only support, and every GPA, the TD's MMIO SPTE "
      "(kvm_mmu_set_mmio_spte_value(kvm, 0)) has RWX and suppress-#VE clear, is not present and not misconfigured "
      "at any level by x86.ept's templates (an EPT violation that becomes #VE); the initial SPTE is not present "
      "with suppress-#VE set.",
      [](z3::context& c) { return mmio_spte_violation_not_misconfig<L>(c); });
  add("tdx-pg-level-to-sept-level",
      "For every 64-bit KVM pg_level: supported exactly for 1..4 (1..5 under a 5-level EPT; never PG_LEVEL_NONE), "
      "and then pg_level_to_tdx_sept_level = level - 1, whose entry maps 4K / 2M / 1G / 512G / 256T as the "
      "pg_level does.",
      [](z3::context& c) { return pg_level_to_sept_level<L>(c); });
  return v;
}

}  // namespace ptspec::solver::tdx
