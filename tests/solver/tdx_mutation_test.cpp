// Every x86.tdx lemma can fail: the catalogue's own builders, instantiated
// with a TdxLogic that has one function deliberately broken, must yield a
// counterexample. Several mutants are the mistakes the reference and seed 004
// warn about (the gfn-unit shared-bit constant used as a GPA mask, PAGE.REMOVE
// before TRACK, TRACK without the previous-epoch check, VMX's misconfiguring
// MMIO value in a TD). A coverage test checks every lemma is broken by some
// mutant; two counterexamples are replayed through the concrete model.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/core/bits.hpp"
#include "model/x86/tdx_gpa.hpp"
#include "model/x86/tdx_sept_state.hpp"
#include "model/x86/tdx_status.hpp"
#include "solver/x86/tdx_lemmas.hpp"
#include "tests/solver/mutation_harness.hpp"

namespace ptspec::solver::tdx {
namespace {

using S = Symbolic;
using W = z3::expr;
using namespace mutation;
using xt::SeptState;

W lit_state(const S& d, SeptState s) { return d.lit(xt::code(s)); }
Step success(const S& d, const W& next) { return {next, d.lit(xt::kSuccess)}; }
// `alt` replaces the model's step where `when` holds.
Step override_if(const S& d, const W& when, const Step& alt, const Step& orig) {
  return {d.ite(when, alt.next_state, orig.next_state), d.ite(when, alt.status, orig.status)};
}

// ---- GPA ----
// GPAW 48 checks only bits 63:52 (forgets that 51:48 must be 0).
struct Gpaw48Ignores51To48 : TdxLogic {
  static W gpa_route(const S& d, unsigned gpaw, const W& gpa) {
    return TdxLogic::gpa_route(d, gpaw, gpaw == 48 ? gpa & d.lit(~genmask(51, 48)) : gpa);
  }
};
// The known mistake: TDX_SHARED_BIT_PWL_4/5 (gfn units) used as the GPA mask.
struct SharedMaskIsGfnConstant : TdxLogic {
  static W shared_gpa_mask(const S& d, unsigned gpaw) { return d.lit(TdxLogic::shared_gfn_constant(gpaw)); }
};
// The private alias strips the gfn-unit constant instead of the shared bit.
struct StripWithGfnConstant : TdxLogic {
  static W gpa_strip_shared(const S& d, unsigned gpaw, const W& gpa) {
    return gpa & ~d.lit(TdxLogic::shared_gfn_constant(gpaw));
  }
};

// ---- states ----
// PENDING encoded as MAPPED's 0x60.
struct PendingCodedAsMapped : TdxLogic {
  static W state_code(const S& d, const W& idx) {
    return d.ite(idx == d.lit(7), d.lit(0x60), TdxLogic::state_code(d, idx));
  }
};
// REMOVED forgotten as a state code.
struct RemovedNotAState : TdxLogic {
  static W is_state_code(const S& d, const W& w) {
    return TdxLogic::is_state_code(d, w) && w != lit_state(d, SeptState::Removed);
  }
};

// ---- the transition ----
template <class Alt> struct TransitionMutant : TdxLogic {
  static Step transition(const S& d, SeptOp op, const W& st, const W& fin, const W& run, const W& trk, const W& cf,
                         const W& leaf) {
    return Alt::step(d, op, st, fin, run, trk, cf, leaf);
  }
};
Step model(const S& d, SeptOp op, const W& st, const W& fin, const W& run, const W& trk, const W& cf, const W& leaf) {
  return TdxLogic::transition(d, op, st, fin, run, trk, cf, leaf);
}

// RANGE.BLOCK of anything not blocked (no state-code or present check).
struct BlockAnyUnblockedAlt {
  static Step step(const S& d, SeptOp op, const W& st, const W& fin, const W& run, const W& trk, const W& cf,
                   const W& leaf) {
    Step m = model(d, op, st, fin, run, trk, cf, leaf);
    if (op != SeptOp::RangeBlock) return m;
    return override_if(d, !xt::is_blocked(d, st) && m.status != d.lit(xt::kSuccess),
                       success(d, lit_state(d, SeptState::PendingBlocked)), m);
  }
};
using BlockAnyUnblocked = TransitionMutant<BlockAnyUnblockedAlt>;

// remove-before-track: PAGE.REMOVE without the tracking check.
struct RemoveWithoutTrackAlt {
  static Step step(const S& d, SeptOp op, const W& st, const W& fin, const W& run, const W& trk, const W& cf,
                   const W& leaf) {
    return model(d, op, st, fin, run, op == SeptOp::PageRemove ? d.blit(true) : trk, cf, leaf);
  }
};
using RemoveWithoutTrack = TransitionMutant<RemoveWithoutTrackAlt>;

// PAGE.REMOVE counts the write-blocked BLOCKEDW as blocked.
struct RemoveBlockedWAlt {
  static Step step(const S& d, SeptOp op, const W& st, const W& fin, const W& run, const W& trk, const W& cf,
                   const W& leaf) {
    Step m = model(d, op, st, fin, run, trk, cf, leaf);
    if (op != SeptOp::PageRemove) return m;
    return override_if(d, st == lit_state(d, SeptState::BlockedW) && trk,
                       success(d, lit_state(d, SeptState::Free)), m);
  }
};
using RemoveBlockedW = TransitionMutant<RemoveBlockedWAlt>;

// RANGE.BLOCK leaves BLOCKEDW write-blocked only.
struct BlockKeepsBlockedWAlt {
  static Step step(const S& d, SeptOp op, const W& st, const W& fin, const W& run, const W& trk, const W& cf,
                   const W& leaf) {
    Step m = model(d, op, st, fin, run, trk, cf, leaf);
    if (op != SeptOp::RangeBlock) return m;
    return override_if(d, st == lit_state(d, SeptState::BlockedW), success(d, st), m);
  }
};
using BlockKeepsBlockedW = TransitionMutant<BlockKeepsBlockedWAlt>;

// ACCEPT of a PENDING_BLOCKED page maps it (an accept that unblocks).
struct AcceptUnblocksAlt {
  static Step step(const S& d, SeptOp op, const W& st, const W& fin, const W& run, const W& trk, const W& cf,
                   const W& leaf) {
    Step m = model(d, op, st, fin, run, trk, cf, leaf);
    if (op != SeptOp::PageAccept) return m;
    return override_if(d, st == lit_state(d, SeptState::PendingBlocked) && fin && leaf,
                       success(d, lit_state(d, SeptState::Mapped)), m);
  }
};
using AcceptUnblocks = TransitionMutant<AcceptUnblocksAlt>;

// PAGE.AUG before the TD is finalized.
struct AugBeforeFinalizeAlt {
  static Step step(const S& d, SeptOp op, const W& st, const W& fin, const W& run, const W& trk, const W& cf,
                   const W& leaf) {
    return model(d, op, st, op == SeptOp::PageAug ? d.blit(true) : fin, run, trk, cf, leaf);
  }
};
using AugBeforeFinalize = TransitionMutant<AugBeforeFinalizeAlt>;

// SEPT.REMOVE without the children check.
struct SeptRemoveIgnoresChildrenAlt {
  static Step step(const S& d, SeptOp op, const W& st, const W& fin, const W& run, const W& trk, const W& cf,
                   const W& leaf) {
    return model(d, op, st, fin, run, trk, op == SeptOp::SeptRemove ? d.blit(true) : cf, leaf);
  }
};
using SeptRemoveIgnoresChildren = TransitionMutant<SeptRemoveIgnoresChildrenAlt>;

// RANGE.UNBLOCK without the tracking check.
struct UnblockWithoutTrackAlt {
  static Step step(const S& d, SeptOp op, const W& st, const W& fin, const W& run, const W& trk, const W& cf,
                   const W& leaf) {
    return model(d, op, st, fin, run, op == SeptOp::RangeUnblock ? d.blit(true) : trk, cf, leaf);
  }
};
using UnblockWithoutTrack = TransitionMutant<UnblockWithoutTrackAlt>;

// A failed SEPT.ADD resets the entry to FREE.
struct FailedAddFreesAlt {
  static Step step(const S& d, SeptOp op, const W& st, const W& fin, const W& run, const W& trk, const W& cf,
                   const W& leaf) {
    Step m = model(d, op, st, fin, run, trk, cf, leaf);
    if (op != SeptOp::SeptAdd) return m;
    return {d.ite(m.status != d.lit(xt::kSuccess), lit_state(d, SeptState::Free), m.next_state), m.status};
  }
};
using FailedAddFrees = TransitionMutant<FailedAddFreesAlt>;

// An already blocked entry also "records" a block (moving bepoch forward).
struct RecordsOnAlreadyBlocked : TdxLogic {
  static W records_block(const S& d, SeptOp op, const Step& s) {
    return TdxLogic::records_block(d, op, s) ||
           (d.blit(op == SeptOp::RangeBlock) && s.status == d.lit(xt::kGpaRangeAlreadyBlocked | xt::kOperandIdRcx));
  }
};

// ---- epochs ----
// "Tracked" once the epoch moved on, whoever still runs in bepoch.
struct TrackedIgnoresCount : TdxLogic {
  static W tracked(const S& d, const W& b, const W& e, const W&, const W&) { return d.ult(b, e); }
};
// The count of the other parity.
struct TrackedWrongParity : TdxLogic {
  static W tracked(const S& d, const W& b, const W& e, const W& c0, const W& c1) {
    return TdxLogic::tracked(d, b, e, c1, c0);
  }
};
// TRACK without the PREVIOUS_TLB_EPOCH_BUSY check.
struct TrackAlwaysAdvances : TdxLogic {
  static Track track_step(const S& d, const W& e, const W&, const W&) {
    return TdxLogic::track_step(d, e, d.lit(0), d.lit(0));
  }
};
// TRACK checks the current epoch's parity.
struct TrackChecksCurrentParity : TdxLogic {
  static Track track_step(const S& d, const W& e, const W& c0, const W& c1) {
    return TdxLogic::track_step(d, e, c1, c0);
  }
};

// ---- MMIO and levels ----
// VMX KVM's EPT MMIO value (write without read: a misconfiguration) in a TD.
struct VmxMmioValue : TdxLogic {
  static W mmio_spte(const S& d, const EptConfig& c, const W& gpa) {
    return TdxLogic::mmio_spte(d, c, gpa) | d.lit(0b110);
  }
};
// The MMIO SPTE keeps suppress-#VE set (the guest never gets #VE).
struct MmioSuppressVe : TdxLogic {
  static W mmio_spte(const S& d, const EptConfig& c, const W& gpa) {
    return TdxLogic::mmio_spte(d, c, gpa) | d.lit(bit(63));
  }
};
struct PgLevelNotMinusOne : TdxLogic {
  static W pg_to_tdx_level(const S&, const W& level) { return level; }
};
struct PgLevelAcceptsNone : TdxLogic {
  static W pg_level_supported(const S& d, const W& level, unsigned levels) { return d.ule(level, d.lit(levels)); }
};

template <class L> Mutation mut(std::string mutant, std::string lemma) {
  return {std::move(mutant), std::move(lemma), [] { return tdx_lemmas<L>(); }};
}

std::vector<Mutation> mutations() {
  return {
      mut<Gpaw48Ignores51To48>("gpaw48-ignores-51-48", "tdx-gpa-route-exactly-one"),
      mut<Gpaw48Ignores51To48>("gpaw48-ignores-51-48", "tdx-gpaw48-rejects-bits-51-48"),
      mut<StripWithGfnConstant>("strip-with-gfn-constant", "tdx-gpa-route-exactly-one"),
      mut<SharedMaskIsGfnConstant>("shared-mask-is-gfn-constant", "tdx-shared-mask-is-gfn-to-gpa"),
      mut<PendingCodedAsMapped>("pending-coded-as-mapped", "tdx-sept-state-encoding"),
      mut<RemovedNotAState>("removed-not-a-state", "tdx-sept-state-encoding"),
      mut<BlockAnyUnblocked>("block-any-unblocked", "tdx-sept-transition-closed"),
      mut<BlockAnyUnblocked>("block-any-unblocked", "tdx-sept-non-state-rejected"),
      mut<BlockAnyUnblocked>("block-any-unblocked", "tdx-range-block-blocks"),
      mut<FailedAddFrees>("failed-add-frees", "tdx-sept-transition-closed"),
      mut<FailedAddFrees>("failed-add-frees", "tdx-sept-non-state-rejected"),
      mut<RemoveWithoutTrack>("remove-without-track", "tdx-page-remove-needs-block-and-track"),
      mut<RemoveBlockedW>("remove-blockedw", "tdx-page-remove-needs-block-and-track"),
      mut<BlockKeepsBlockedW>("block-keeps-blockedw", "tdx-range-block-blocks"),
      mut<RecordsOnAlreadyBlocked>("records-on-already-blocked", "tdx-range-block-blocks"),
      mut<AcceptUnblocks>("accept-unblocks", "tdx-page-accept-only-pending"),
      mut<AugBeforeFinalize>("aug-before-finalize", "tdx-add-aug-only-free"),
      mut<SeptRemoveIgnoresChildren>("sept-remove-ignores-children", "tdx-sept-remove-needs-free-children"),
      mut<UnblockWithoutTrack>("unblock-without-track", "tdx-range-unblock-needs-track"),
      mut<TrackedIgnoresCount>("tracked-ignores-count", "tdx-tracked-count-form-matches-vcpus"),
      mut<TrackedWrongParity>("tracked-wrong-parity", "tdx-tracked-count-form-matches-vcpus"),
      mut<TrackAlwaysAdvances>("track-always-advances", "tdx-track-refused-while-previous-epoch-runs"),
      mut<TrackChecksCurrentParity>("track-checks-current-parity", "tdx-track-refused-while-previous-epoch-runs"),
      mut<RemoveWithoutTrack>("remove-without-track", "tdx-remove-safe-for-every-vcpu"),
      mut<TrackedIgnoresCount>("tracked-ignores-count", "tdx-remove-safe-for-every-vcpu"),
      mut<RemoveBlockedW>("remove-blockedw", "tdx-remove-safe-for-every-vcpu"),
      mut<TrackedIgnoresCount>("tracked-ignores-count", "tdx-block-needs-track-and-reentry"),
      mut<TrackedWrongParity>("tracked-wrong-parity", "tdx-block-needs-track-and-reentry"),
      mut<VmxMmioValue>("vmx-mmio-value", "tdx-mmio-spte-ept-violation"),
      mut<MmioSuppressVe>("mmio-suppress-ve", "tdx-mmio-spte-ept-violation"),
      mut<PgLevelNotMinusOne>("pg-level-not-minus-one", "tdx-pg-level-to-sept-level"),
      mut<PgLevelAcceptsNone>("pg-level-accepts-none", "tdx-pg-level-to-sept-level"),
  };
}

class TdxMutated : public ::testing::TestWithParam<Mutation> {};

TEST_P(TdxMutated, LemmaNoLongerHolds) { expect_mutation_breaks(GetParam(), kFormat); }

INSTANTIATE_TEST_SUITE_P(Tdx, TdxMutated, ::testing::ValuesIn(mutations()), mutation_name);

TEST(TdxMutations, EveryLemmaHasAMutationThatBreaksIt) {
  expect_every_lemma_broken(mutations(), kFormat);
  EXPECT_GE(lemmas_of_format(kFormat).size(), 10u);
}

// remove-before-track's counterexample is a running TD removing a blocked
// leaf whose block is not tracked; the concrete model refuses it.
TEST(TdxMutations, RemoveWithoutTrackCounterexampleIsRefusedByTheModel) {
  const std::vector<Lemma> cat = tdx_lemmas<RemoveWithoutTrack>();
  LemmaResult r = run_lemma(lemma_in(cat, "tdx-page-remove-needs-block-and-track"));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  EXPECT_EQ(*r.value("running"), 1u);
  EXPECT_EQ(*r.value("tracked"), 0u);
  const auto step = xt::sept_transition(SeptOp::PageRemove, *r.value("state"), *r.value("finalized") != 0, true,
                                        false, *r.value("children_free") != 0, *r.value("leaf_level") != 0);
  EXPECT_EQ(step.status, xt::kTlbTrackingNotDone | xt::kOperandIdRcx) << xt::status_name(step.status);
  EXPECT_EQ(step.next_state, *r.value("state"));
}

// The GPAW-48 mutant's counterexample has one of bits 51:48 set; the model
// calls that GPA invalid.
TEST(TdxMutations, Gpaw48CounterexampleHasAHighBit) {
  const std::vector<Lemma> cat = tdx_lemmas<Gpaw48Ignores51To48>();
  LemmaResult r = run_lemma(lemma_in(cat, "tdx-gpaw48-rejects-bits-51-48"));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  const std::uint64_t gpa = *r.value("gpa");
  EXPECT_NE(gpa & genmask(51, 48), 0u);
  EXPECT_EQ(xt::route_of(48, gpa), xt::GpaRoute::Invalid);
}

}  // namespace
}  // namespace ptspec::solver::tdx
