// x86.tdx pure definitions, run concretely: GPA routing and the shared-bit
// constants, status codes and names, SEPT states and the SEAMCALL transition
// table, the epoch rules, pg_level -> TDX level, and the MMIO SPTE under
// x86.ept's classification (the solver proves the same templates for all
// inputs; these tests pin concrete values against the reference).
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

#include "model/core/bits.hpp"
#include "model/core/errors.hpp"
#include "model/x86/ept_entry.hpp"
#include "model/x86/tdx_gpa.hpp"
#include "model/x86/tdx_mmio.hpp"
#include "model/x86/tdx_sept_state.hpp"
#include "model/x86/tdx_status.hpp"

namespace ptspec::x86::tdx {
namespace {

constexpr Concrete C{};

// ---- GPA ----
TEST(TdxGpa, SharedBitAndKvmConstants) {
  EXPECT_EQ(shared_bit(48), 47u);
  EXPECT_EQ(shared_bit(52), 51u);
  EXPECT_EQ(kSharedBitPwl4, std::uint64_t{1} << 35);  // gpa_to_gfn(BIT(47))
  EXPECT_EQ(kSharedBitPwl5, std::uint64_t{1} << 39);
  EXPECT_EQ(shared_gpa_mask(C, 48), std::uint64_t{1} << 47);
  EXPECT_EQ(shared_gpa_mask(C, 52), std::uint64_t{1} << 51);
  EXPECT_NE(shared_gpa_mask(C, 48), kSharedBitPwl4);  // the known mistake
  EXPECT_EQ(shared_mask(52), bit(51));
  EXPECT_TRUE(gpaw_supported(48) && gpaw_supported(52));
  EXPECT_FALSE(gpaw_supported(47) || gpaw_supported(57));
}

TEST(TdxGpa, Routes) {
  EXPECT_EQ(route_of(48, 0x1000), GpaRoute::Private);
  EXPECT_EQ(route_of(48, bit(47) | 0x1000), GpaRoute::Shared);
  EXPECT_EQ(route_of(48, bit(48)), GpaRoute::Invalid);          // 51:48 must be 0
  EXPECT_EQ(route_of(48, bit(51) | bit(47)), GpaRoute::Invalid);
  EXPECT_EQ(route_of(52, bit(47) | 0x1000), GpaRoute::Private);  // bit 47 is an address bit at 52
  EXPECT_EQ(route_of(52, bit(51)), GpaRoute::Shared);
  EXPECT_EQ(route_of(52, bit(52)), GpaRoute::Invalid);
  EXPECT_EQ(route_of(52, bit(63)), GpaRoute::Invalid);
  EXPECT_EQ(gpa_strip_shared(C, 48, bit(47) | 0x5000), 0x5000u);
  EXPECT_STREQ(gpa_route_name(GpaRoute::Shared), "shared");
  EXPECT_EQ(gfn_to_gpa(C, 0x12), 0x12000u);
  EXPECT_EQ(gpa_to_gfn(C, 0x12fff), 0x12u);
}

// ---- status ----
TEST(TdxStatus, CodesAndNames) {
  EXPECT_EQ(kSeptBusy, 0x8000'0200'0000'0092u);
  EXPECT_EQ(status_class(kSeptBusy), kOperandBusy);
  EXPECT_EQ(status_operand(kSeptBusy), kOperandIdSept);
  EXPECT_TRUE(status_is_error(kSeptBusy));
  EXPECT_FALSE(status_is_error(kGpaRangeAlreadyBlocked));
  EXPECT_FALSE(status_is_error(kPageAlreadyAccepted | kOperandIdRcx));
  EXPECT_EQ(status_name(kSuccess), "SUCCESS");
  EXPECT_EQ(status_name(kSeptBusy), "OPERAND_BUSY|SEPT");
  EXPECT_EQ(status_name(kOperandBusy | kOperandIdRcx), "OPERAND_BUSY|RCX");
  EXPECT_EQ(status_name(kTlbTrackingNotDone | kOperandIdRcx), "TLB_TRACKING_NOT_DONE|RCX");
  EXPECT_EQ(status_name(kPreviousTlbEpochBusy), "PREVIOUS_TLB_EPOCH_BUSY");
  EXPECT_EQ(status_name(kOperandPageMetadataIncorrect | kOperandIdR8), "OPERAND_PAGE_METADATA_INCORRECT|R8");
  EXPECT_EQ(status_name(kTdFinalized), "TD_FINALIZED");
  EXPECT_EQ((kSeptBusy & kSeamcallStatusMask), kOperandBusy);
  EXPECT_EQ(status_name(kOperandBusy | 0x77), "OPERAND_BUSY|0x77");
  EXPECT_EQ(status_name(0xC000'0B99'0000'0000), "0xc0000b9900000000");
  EXPECT_EQ(status_is_error(C, kEptPageNotFree), true);
  EXPECT_EQ(with_operand(C, kOperandBusy, kOperandIdTdEpoch), kOperandBusy | 0xA9);
}

// ---- states ----
TEST(TdxSeptState, EncodingsNamesAndRoundTrip) {
  std::set<std::uint64_t> codes;
  for (unsigned i = 0; i < kNumSeptStates; ++i) {
    const SeptState s = kAllSeptStates[i];
    codes.insert(code(s));
    EXPECT_EQ(state_index(C, code(s)), i);
    EXPECT_EQ(state_code(C, i), code(s));
    EXPECT_EQ(sept_state_from_code(code(s)), s);
    EXPECT_EQ(sept_state_from_name(sept_state_name(s)), s);
    EXPECT_TRUE(is_state_code(C, code(s)));
  }
  EXPECT_EQ(codes.size(), kNumSeptStates);
  EXPECT_EQ(code(SeptState::Free), 0xeu);
  EXPECT_EQ(code(SeptState::PendingBlockedW), 0x74u);
  EXPECT_FALSE(is_state_code(C, kNotAState));
  EXPECT_FALSE(is_state_code(C, 0x61));
  EXPECT_EQ(state_index(C, 0x61), kNumSeptStates);
  EXPECT_FALSE(sept_state_from_code(0x1).has_value());
  EXPECT_FALSE(sept_state_from_name("mapped").has_value());
}

TEST(TdxSeptState, Predicates) {
  EXPECT_TRUE(is_leaf(C, code(SeptState::PendingBlockedW)));
  EXPECT_FALSE(is_leaf(C, code(SeptState::NlMapped)));
  EXPECT_TRUE(is_non_leaf(C, code(SeptState::NlBlocked)));
  EXPECT_TRUE(is_blocked(C, code(SeptState::PendingBlocked)));
  EXPECT_FALSE(is_blocked(C, code(SeptState::BlockedW)));
  EXPECT_TRUE(is_write_blocked(C, code(SeptState::BlockedW)));
  EXPECT_TRUE(is_pending(C, code(SeptState::PendingBlockedW)));
  EXPECT_FALSE(is_present(C, code(SeptState::Free)));
  EXPECT_FALSE(is_present(C, code(SeptState::Removed)));
  EXPECT_TRUE(guest_readable(C, code(SeptState::BlockedW)));
  EXPECT_FALSE(guest_writable(C, code(SeptState::BlockedW)));
  EXPECT_FALSE(guest_readable(C, code(SeptState::Pending)));
}

// One transition, concretely: (op, from, flags) -> (to, status).
struct Row {
  SeptOp op;
  std::uint64_t from;
  bool finalized, running, tracked, children_free, leaf_level;
  std::uint64_t to;
  std::uint64_t status;
};

constexpr std::uint64_t S(SeptState s) { return code(s); }
constexpr std::uint64_t kRcx = kOperandIdRcx;

TEST(TdxSeptState, TransitionTable) {
  using enum SeptState;
  using enum SeptOp;
  const Row rows[] = {
      {SeptAdd, S(Free), true, true, false, false, true, S(NlMapped), kSuccess},
      {SeptAdd, S(Mapped), true, true, false, false, true, S(Mapped), kEptEntryNotFree | kRcx},
      {PageAdd, S(Free), false, false, false, false, true, S(Mapped), kSuccess},
      {PageAdd, S(Free), true, false, false, false, true, S(Free), kTdFinalized},
      {PageAdd, S(Free), false, false, false, false, false, S(Free), kOperandInvalid | kRcx},
      {PageAug, S(Free), true, true, false, false, true, S(Pending), kSuccess},
      {PageAug, S(Removed), true, true, false, false, true, S(Pending), kSuccess},
      {PageAug, S(Free), false, false, false, false, true, S(Free), kTdNotFinalized},
      {PageAccept, S(Pending), false, false, false, false, true, S(Pending), kTdNotFinalized},
      {PageAug, S(Mapped), true, true, false, false, true, S(Mapped), kEptEntryNotFree | kRcx},
      {PageAccept, S(Pending), true, true, false, false, true, S(Mapped), kSuccess},
      {PageAccept, S(Mapped), true, true, false, false, true, S(Mapped), kPageAlreadyAccepted | kRcx},
      {PageAccept, S(Pending), true, true, false, false, false, S(Pending), kPageSizeMismatch | kRcx},
      {PageAccept, S(PendingBlocked), true, true, false, false, true, S(PendingBlocked), kEptEntryStateIncorrect | kRcx},
      {RangeBlock, S(Mapped), true, true, false, false, true, S(Blocked), kSuccess},
      {RangeBlock, S(BlockedW), true, true, false, false, true, S(Blocked), kSuccess},
      {RangeBlock, S(NlMapped), true, true, false, false, true, S(NlBlocked), kSuccess},
      {RangeBlock, S(Pending), true, true, false, false, true, S(PendingBlocked), kSuccess},
      {RangeBlock, S(PendingBlockedW), true, true, false, false, true, S(PendingBlocked), kSuccess},
      {RangeBlock, S(Blocked), true, true, false, false, true, S(Blocked), kGpaRangeAlreadyBlocked | kRcx},
      {RangeBlock, S(Free), true, true, false, false, true, S(Free), kEptEntryStateIncorrect | kRcx},
      {RangeUnblock, S(Blocked), true, true, true, false, true, S(Mapped), kSuccess},
      {RangeUnblock, S(PendingBlocked), true, true, true, false, true, S(Pending), kSuccess},
      {RangeUnblock, S(Blocked), true, true, false, false, true, S(Blocked), kTlbTrackingNotDone | kRcx},
      {RangeUnblock, S(Mapped), true, true, true, false, true, S(Mapped), kGpaRangeNotBlocked | kRcx},
      {PageRemove, S(Blocked), true, true, true, false, true, S(Free), kSuccess},
      {PageRemove, S(Blocked), true, true, false, false, true, S(Blocked), kTlbTrackingNotDone | kRcx},
      {PageRemove, S(Mapped), true, true, true, false, true, S(Mapped), kGpaRangeNotBlocked | kRcx},
      {PageRemove, S(Mapped), false, false, false, false, true, S(Free), kSuccess},  // TD not running
      {PageRemove, S(NlMapped), true, false, true, false, true, S(NlMapped), kEptEntryStateIncorrect | kRcx},
      {SeptRemove, S(NlBlocked), true, true, true, true, false, S(Free), kSuccess},
      {SeptRemove, S(NlBlocked), true, true, true, false, false, S(NlBlocked), kEptPageNotFree | kRcx},
      {SeptRemove, S(NlMapped), true, true, true, true, false, S(NlMapped), kGpaRangeNotBlocked | kRcx},
      {SeptRemove, S(NlBlocked), true, true, false, true, false, S(NlBlocked), kTlbTrackingNotDone | kRcx},
      {SeptRemove, S(Mapped), true, false, true, true, false, S(Mapped), kEptEntryStateIncorrect | kRcx},
  };
  for (const Row& r : rows) {
    const SeptStep<Concrete> s = sept_transition(r.op, r.from, r.finalized, r.running, r.tracked, r.children_free,
                                                 r.leaf_level);
    EXPECT_EQ(s.next_state, r.to) << sept_op_name(r.op) << " from 0x" << std::hex << r.from;
    EXPECT_EQ(s.status, r.status) << sept_op_name(r.op) << " from 0x" << std::hex << r.from << ": "
                                  << status_name(s.status);
  }
}

TEST(TdxSeptState, NonStateWordsAreErrorsWithoutChange) {
  for (SeptOp op : kAllSeptOps)
    for (std::uint64_t w : {std::uint64_t{0x1}, std::uint64_t{0x61}, kNotAState, ~std::uint64_t{0}}) {
      // finalized so AUG/ACCEPT reach the entry; not finalized for ADD.
      const bool fin = op != SeptOp::PageAdd;
      const SeptStep<Concrete> s = sept_transition(op, w, fin, true, true, true, true);
      EXPECT_EQ(s.next_state, w) << sept_op_name(op);
      EXPECT_EQ(s.status, kEptEntryStateIncorrect | kRcx) << sept_op_name(op);
    }
}

TEST(TdxSeptState, RecordsBlockOnlyOnSuccessfulBlock) {
  const auto blk = sept_transition(SeptOp::RangeBlock, S(SeptState::Mapped), true, true, false, false, true);
  EXPECT_TRUE(records_block(C, SeptOp::RangeBlock, blk));
  const auto again = sept_transition(SeptOp::RangeBlock, blk.next_state, true, true, false, false, true);
  EXPECT_FALSE(records_block(C, SeptOp::RangeBlock, again));
  const auto rem = sept_transition(SeptOp::PageRemove, blk.next_state, true, true, true, false, true);
  EXPECT_FALSE(records_block(C, SeptOp::PageRemove, rem));
}

// ---- epochs ----
TEST(TdxEpoch, Tracked) {
  EXPECT_FALSE(tracked(C, 5, 5, 0));   // blocked in the current epoch
  EXPECT_FALSE(tracked(C, 4, 5, 1));   // a vCPU still runs in epoch 4
  EXPECT_TRUE(tracked(C, 4, 5, 0));
  EXPECT_TRUE(tracked(C, 3, 5, 7));    // two epochs back: every vCPU left it
  EXPECT_FALSE(tracked(C, 0, 0, 0));
  EXPECT_FALSE(tracked(C, ~std::uint64_t{0}, 0, 0));  // no wrap-around
  // bepoch 4 is even: parity-0 count applies.
  EXPECT_FALSE(tracked_counts(C, 4, 5, 1, 0));
  EXPECT_TRUE(tracked_counts(C, 4, 5, 0, 3));
}

TEST(TdxEpoch, Track) {
  // epoch 6: the previous epoch 5 is odd; count1 must be 0.
  auto t = track_step(C, 6, 2, 0);
  EXPECT_EQ(t.next_epoch, 7u);
  EXPECT_EQ(t.status, kSuccess);
  t = track_step(C, 6, 0, 1);
  EXPECT_EQ(t.next_epoch, 6u);
  EXPECT_EQ(t.status, kPreviousTlbEpochBusy);
  EXPECT_TRUE(track_allowed(C, 6, 0));
  EXPECT_FALSE(track_allowed(C, 6, 2));
  EXPECT_EQ(count_in_parity(C, 7, 10, 11), 11u);
}

// ---- pg_level ----
TEST(TdxPgLevel, LevelMinusOne) {
  EXPECT_EQ(pg_level_to_tdx_sept_level(kPgLevel4K), 0u);
  EXPECT_EQ(pg_level_to_tdx_sept_level(kPgLevel2M), 1u);
  EXPECT_EQ(pg_level_to_tdx_sept_level(kPgLevel1G), 2u);
  EXPECT_EQ(pg_level_to_tdx_sept_level(kPgLevel512G), 3u);
  EXPECT_THROW(pg_level_to_tdx_sept_level(kPgLevelNone), InputError);
  EXPECT_THROW(pg_level_to_tdx_sept_level(5), InputError);
  EXPECT_EQ(pg_level_to_tdx_sept_level(5, 5), 4u);  // PML5 root entries under 5-level EPT
  EXPECT_THROW(pg_level_to_tdx_sept_level(6, 5), InputError);
  EXPECT_THROW(pg_level_to_tdx_sept_level(0, 5), InputError);
  EXPECT_EQ(tdx_sept_level_size(C, 0), 0x1000u);
  EXPECT_EQ(tdx_sept_level_size(C, 1), 0x20'0000u);
  EXPECT_EQ(tdx_sept_level_size(C, 2), 0x4000'0000u);
}

// ---- MMIO ----
TEST(TdxMmio, ViolationWithVeNotMisconfig) {
  EptConfig cfg;
  cfg.maxphyaddr = 46;
  const std::uint64_t m = td_mmio_spte(cfg, 0xfee0'0000);
  EXPECT_EQ(m & 0x7, 0u);
  EXPECT_EQ(m >> 63, 0u);
  EXPECT_FALSE(ept::is_present(C, cfg, m));
  EXPECT_FALSE(ept::is_misconfigured(C, cfg, m, 1));
  EXPECT_TRUE(violation_becomes_ve(C, cfg, m));
  const std::uint64_t init = td_initial_spte();
  EXPECT_EQ(init, bit(63));
  EXPECT_FALSE(ept::is_present(C, cfg, init));
  EXPECT_FALSE(violation_becomes_ve(C, cfg, init));
}

}  // namespace
}  // namespace ptspec::x86::tdx
