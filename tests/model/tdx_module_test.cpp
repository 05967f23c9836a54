// x86.tdx TDX module (model/x86/tdx_module.hpp): every SEAMCALL's success and
// each error status it can return, the epoch/parity bookkeeping, BUSY
// injection, PAMT ownership, the history, and copies as snapshots.
#include <gtest/gtest.h>

#include "model/core/errors.hpp"
#include "model/x86/tdx_module.hpp"

namespace ptspec::x86::tdx {
namespace {

constexpr std::uint64_t kRoot = 0x80'0000'0000;
constexpr std::uint64_t kGpa = 0x1000'0000;
constexpr std::uint64_t kSharedBit = 1ull << 47;
constexpr std::uint64_t kBusySept = kOperandBusy | kOperandIdSept;

struct Td {
  explicit Td(bool finalized = true, unsigned vcpus = 2) : m(make(finalized, vcpus), kRoot) {}
  static TdConfig make(bool finalized, unsigned vcpus) {
    TdConfig c;
    c.finalized = finalized;
    c.vcpus = vcpus;
    return c;
  }
  std::uint64_t page() { return next += 0x1000; }
  // SEPT.ADD for levels 3, 2, 1 over gpa.
  void tables(std::uint64_t gpa) {
    for (unsigned l = 3; l >= 1; --l) {
      const std::uint64_t size = 1ull << (12 + 9 * l);
      ASSERT_EQ(m.sept_add(gpa & ~(size - 1), l, page()), kSuccess) << "level " << l;
    }
  }
  // A MAPPED 4K page at gpa (AUG + ACCEPT by vCPU 0, which stays running).
  std::uint64_t mapped(std::uint64_t gpa) {
    tables(gpa);
    const std::uint64_t hpa = page();
    EXPECT_EQ(m.page_aug(gpa, 0, hpa), kSuccess);
    if (!m.vcpu(0).running()) {
      EXPECT_EQ(m.vp_enter(0), kSuccess);
    }
    EXPECT_EQ(m.page_accept(0, gpa, 0), kSuccess);
    return hpa;
  }
  TdxModule m;
  std::uint64_t next = kRoot;
};

std::uint64_t st(SeptState s) { return code(s); }

// ---- SEPT.ADD ----
TEST(TdxModule, SeptAddLinksTablesTopDown) {
  Td t;
  t.tables(kGpa);
  EXPECT_EQ(t.m.state_of(3, kGpa), st(SeptState::NlMapped));
  EXPECT_EQ(t.m.state_of(1, kGpa), st(SeptState::NlMapped));
  EXPECT_EQ(t.m.sept().size(), 3u);
  const SeptEntry e = t.m.entry(1, kGpa);
  EXPECT_EQ(t.m.pamt_of(e.hpa).owner, PageOwner::SeptPage);
  EXPECT_EQ(t.m.pamt_of(e.hpa).level, 1u);
  EXPECT_EQ(t.m.pamt_of(kRoot).owner, PageOwner::SeptPage);
  EXPECT_TRUE(t.m.walk(kGpa, 0).reached);
}

TEST(TdxModule, SeptAddErrors) {
  Td t;
  const std::uint64_t inv_rcx = kOperandInvalid | kOperandIdRcx;
  EXPECT_EQ(t.m.sept_add(kGpa, 0, t.page()), inv_rcx);            // a table at the 4K level
  EXPECT_EQ(t.m.sept_add(0, 4, t.page()), inv_rcx);               // above the root (4-level)
  EXPECT_EQ(t.m.sept_add(kGpa, 1, t.page()), kEptWalkFailed);     // parents missing
  EXPECT_EQ(t.m.sept_add(kGpa | 0x1000, 3, t.page()), inv_rcx);   // not aligned to 512G
  EXPECT_EQ(t.m.sept_add(kSharedBit, 3, t.page()), inv_rcx);      // shared GPA
  EXPECT_EQ(t.m.sept_add(1ull << 50, 3, t.page()), inv_rcx);      // bits above GPAW 48
  const std::uint64_t inv_r8 = kOperandInvalid | kOperandIdR8;
  EXPECT_EQ(t.m.sept_add(0, 3, 0), inv_r8);
  EXPECT_EQ(t.m.sept_add(0, 3, kRoot + 0x10), inv_r8);
  EXPECT_EQ(t.m.sept_add(0, 3, 1ull << 52), inv_r8);
  EXPECT_EQ(t.m.sept_add(0, 3, kRoot), kOperandPageMetadataIncorrect | kOperandIdR8);  // the root's page
  t.m.inject_busy(TdxLock::Pamt, 1);
  EXPECT_EQ(t.m.sept_add(0, 3, t.page()), kOperandBusy | kOperandIdR8);
  t.m.inject_busy(TdxLock::SeptTree, 1);
  EXPECT_EQ(t.m.sept_add(0, 3, t.page()), kBusySept);
  t.m.inject_busy(TdxLock::SeptEntry, 1);
  EXPECT_EQ(t.m.sept_add(0, 3, t.page()), kBusySept);
  EXPECT_EQ(t.m.sept().size(), 0u);  // nothing changed by any of these
  EXPECT_EQ(t.m.pamt().size(), 1u);
  EXPECT_EQ(t.m.sept_add(0, 3, t.page()), kSuccess);
  EXPECT_EQ(t.m.sept_add(0, 3, t.page()), kEptEntryNotFree | kOperandIdRcx);
  for (TdxLock l : {TdxLock::Epoch, TdxLock::SeptTree, TdxLock::SeptEntry, TdxLock::Pamt})
    EXPECT_EQ(t.m.busy_pending(l), 0u);
}

// ---- PAGE.ADD ----
TEST(TdxModule, PageAddBeforeFinalizeOnly) {
  Td t(/*finalized=*/false);
  t.tables(kGpa);
  const std::uint64_t hpa = t.page();
  EXPECT_EQ(t.m.page_add(kGpa, 1, hpa), kOperandInvalid | kOperandIdRcx);  // 2M entry: 4K only
  EXPECT_EQ(t.m.page_add(kGpa, 0, hpa), kSuccess);
  EXPECT_EQ(t.m.state_of(0, kGpa), st(SeptState::Mapped));
  EXPECT_EQ(t.m.pamt_of(hpa).owner, PageOwner::TdPrivate);
  EXPECT_EQ(t.m.page_add(kGpa, 0, t.page()), kEptEntryNotFree | kOperandIdRcx);
  EXPECT_EQ(t.m.page_add(kGpa, 0, hpa), kOperandPageMetadataIncorrect | kOperandIdR8);
  EXPECT_EQ(t.m.page_aug(kGpa + 0x1000, 0, t.page()), kTdNotFinalized);
  EXPECT_EQ(t.m.vp_enter(0), kTdNotFinalized);
  EXPECT_FALSE(t.m.vcpu(0).running());
  EXPECT_EQ(t.m.mr_finalize(), kSuccess);
  EXPECT_EQ(t.m.mr_finalize(), kTdFinalized);
  EXPECT_EQ(t.m.page_add(kGpa + 0x1000, 0, t.page()), kTdFinalized);
}

// ---- PAGE.AUG / ACCEPT ----
TEST(TdxModule, AugAndAccept) {
  Td t;
  t.tables(kGpa);
  const std::uint64_t hpa = t.page();
  EXPECT_EQ(t.m.page_aug(kGpa, 1, hpa), kOperandInvalid | kOperandIdRcx);  // model: 4K only
  EXPECT_EQ(t.m.page_aug(kGpa, 0, hpa), kSuccess);
  EXPECT_EQ(t.m.state_of(0, kGpa), st(SeptState::Pending));
  EXPECT_EQ(t.m.page_aug(kGpa, 0, t.page()), kEptEntryNotFree | kOperandIdRcx);
  EXPECT_THROW(t.m.page_accept(0, kGpa, 0), InputError);  // vCPU 0 is not running
  ASSERT_EQ(t.m.vp_enter(0), kSuccess);
  bool exited = true;
  t.m.inject_busy(TdxLock::SeptEntry, 1);
  EXPECT_EQ(t.m.page_accept(0, kGpa, 0, &exited), kBusySept);  // back to the guest, which retries
  EXPECT_FALSE(exited);
  EXPECT_EQ(t.m.page_accept(0, kGpa, 1, &exited), kPageSizeMismatch | kOperandIdRcx);  // a 4K table there
  EXPECT_FALSE(exited);
  EXPECT_EQ(t.m.page_accept(0, kGpa + 0x800, 0, &exited), kOperandInvalid | kOperandIdRcx);  // unaligned
  EXPECT_EQ(t.m.page_accept(0, kGpa, 0, &exited), kSuccess);
  EXPECT_FALSE(exited);
  EXPECT_EQ(t.m.state_of(0, kGpa), st(SeptState::Mapped));
  EXPECT_EQ(t.m.page_accept(0, kGpa, 0, &exited), kPageAlreadyAccepted | kOperandIdRcx);
  EXPECT_FALSE(exited);
  EXPECT_TRUE(t.m.vcpu(0).running());
  // Nothing to accept: an EPT-violation TD exit so the host can AUG.
  EXPECT_EQ(t.m.page_accept(0, kGpa + 0x1000, 0, &exited), kEptEntryStateIncorrect | kOperandIdRcx);
  EXPECT_TRUE(exited);
  EXPECT_FALSE(t.m.vcpu(0).running());
  EXPECT_EQ(t.m.vcpu(0).last_exit, ExitReason::EptViolation);
  ASSERT_EQ(t.m.vp_enter(0), kSuccess);
  EXPECT_EQ(t.m.page_accept(0, 0x4000'0000'00, 0, &exited), kEptWalkFailed);
  EXPECT_TRUE(exited);
}

// ---- RANGE.BLOCK / UNBLOCK ----
TEST(TdxModule, BlockRecordsEpochAndStates) {
  Td t;
  t.mapped(kGpa);
  ASSERT_EQ(t.m.td_exit(0, ExitReason::Voluntary), true);
  ASSERT_EQ(t.m.track(), kSuccess);
  ASSERT_EQ(t.m.track(), kSuccess);
  EXPECT_EQ(t.m.epoch(), 2u);
  EXPECT_EQ(t.m.range_block(kGpa + 0x1000, 0), kEptEntryStateIncorrect | kOperandIdRcx);  // FREE
  t.m.inject_busy(TdxLock::SeptTree, 1);
  EXPECT_EQ(t.m.range_block(kGpa, 0), kBusySept);
  EXPECT_EQ(t.m.history().back().old_state, kNotAState);  // the entry was never read
  EXPECT_EQ(describe(t.m.history().back()).find("entry"), std::string::npos);
  t.m.inject_busy(TdxLock::SeptEntry, 1);
  EXPECT_EQ(t.m.range_block(kGpa, 0), kBusySept);
  EXPECT_EQ(t.m.state_of(0, kGpa), st(SeptState::Mapped));
  EXPECT_EQ(t.m.range_block(kGpa, 0), kSuccess);
  EXPECT_EQ(t.m.state_of(0, kGpa), st(SeptState::Blocked));
  EXPECT_EQ(t.m.entry(0, kGpa).bepoch, 2u);
  ASSERT_EQ(t.m.track(), kSuccess);
  EXPECT_EQ(t.m.range_block(kGpa, 0), kGpaRangeAlreadyBlocked | kOperandIdRcx);
  EXPECT_FALSE(status_is_error(kGpaRangeAlreadyBlocked));
  EXPECT_EQ(t.m.entry(0, kGpa).bepoch, 2u);  // not moved by the second BLOCK
  // Pending -> PENDING_BLOCKED; NL_MAPPED -> NL_BLOCKED.
  const std::uint64_t g2 = kGpa + 0x2000;
  ASSERT_EQ(t.m.page_aug(g2, 0, t.page()), kSuccess);
  EXPECT_EQ(t.m.range_block(g2, 0), kSuccess);
  EXPECT_EQ(t.m.state_of(0, g2), st(SeptState::PendingBlocked));
  EXPECT_EQ(t.m.range_block(kGpa, 1), kSuccess);
  EXPECT_EQ(t.m.state_of(1, kGpa), st(SeptState::NlBlocked));
}

TEST(TdxModule, UnblockNeedsBlockedAndTracked) {
  Td t;
  t.mapped(kGpa);
  EXPECT_EQ(t.m.range_unblock(kGpa, 0), kGpaRangeNotBlocked | kOperandIdRcx);
  ASSERT_EQ(t.m.range_block(kGpa, 0), kSuccess);
  EXPECT_EQ(t.m.range_unblock(kGpa, 0), kTlbTrackingNotDone | kOperandIdRcx);  // bepoch == epoch
  ASSERT_EQ(t.m.track(), kSuccess);  // vCPU 0 still runs in epoch 0 = bepoch
  EXPECT_EQ(t.m.range_unblock(kGpa, 0), kTlbTrackingNotDone | kOperandIdRcx);
  ASSERT_TRUE(t.m.td_exit(0, ExitReason::Kick));
  EXPECT_TRUE(t.m.is_tracked(t.m.entry(0, kGpa)));
  EXPECT_EQ(t.m.range_unblock(kGpa, 0), kSuccess);
  EXPECT_EQ(t.m.state_of(0, kGpa), st(SeptState::Mapped));
}

// ---- TRACK ----
TEST(TdxModule, TrackEpochAndParity) {
  Td t;
  ASSERT_EQ(t.m.vp_enter(0), kSuccess);  // vCPU 0 in epoch 0
  EXPECT_EQ(t.m.parity_count(0), 1u);
  t.m.inject_busy(TdxLock::Epoch, 1);
  EXPECT_EQ(t.m.track(), kOperandBusy | kOperandIdTdEpoch);
  EXPECT_EQ(t.m.epoch(), 0u);
  EXPECT_EQ(t.m.track(), kSuccess);  // nobody in epoch -1
  EXPECT_EQ(t.m.epoch(), 1u);
  EXPECT_EQ(t.m.track(), kPreviousTlbEpochBusy);  // vCPU 0 still in epoch 0 = epoch - 1
  EXPECT_EQ(t.m.epoch(), 1u);
  ASSERT_EQ(t.m.vp_enter(1), kSuccess);  // vCPU 1 in epoch 1
  EXPECT_EQ(t.m.parity_count(1), 1u);
  EXPECT_EQ(t.m.parity_count(0), t.m.parity_count_from_vcpus(0));
  EXPECT_EQ(t.m.parity_count(1), t.m.parity_count_from_vcpus(1));
  ASSERT_TRUE(t.m.td_exit(0, ExitReason::Kick));
  EXPECT_EQ(t.m.track(), kSuccess);
  EXPECT_EQ(t.m.epoch(), 2u);
}

// ---- PAGE.REMOVE ----
TEST(TdxModule, RemoveNeedsBlockTrackAndExit) {
  Td t;
  const std::uint64_t hpa = t.mapped(kGpa);
  ASSERT_EQ(t.m.vp_enter(1), kSuccess);
  EXPECT_EQ(t.m.page_remove(kGpa, 0), kGpaRangeNotBlocked | kOperandIdRcx);
  ASSERT_EQ(t.m.range_block(kGpa, 0), kSuccess);
  EXPECT_EQ(t.m.page_remove(kGpa, 0), kTlbTrackingNotDone | kOperandIdRcx);
  ASSERT_EQ(t.m.track(), kSuccess);
  EXPECT_EQ(t.m.page_remove(kGpa, 0), kTlbTrackingNotDone | kOperandIdRcx);  // vCPUs 0, 1 in bepoch
  ASSERT_TRUE(t.m.td_exit(0, ExitReason::Kick));
  EXPECT_EQ(t.m.page_remove(kGpa, 0), kTlbTrackingNotDone | kOperandIdRcx);  // vCPU 1 still there
  ASSERT_TRUE(t.m.td_exit(1, ExitReason::Kick));
  t.m.inject_busy(TdxLock::SeptTree, 1);
  EXPECT_EQ(t.m.page_remove(kGpa, 0), kBusySept);
  EXPECT_EQ(t.m.page_remove(kGpa, 1), kEptEntryStateIncorrect | kOperandIdRcx);  // a table entry
  EXPECT_EQ(t.m.page_remove(kGpa + 0x1000, 0), kEptEntryStateIncorrect | kOperandIdRcx);  // FREE
  std::uint64_t out = 0;
  EXPECT_EQ(t.m.page_remove(kGpa, 0, &out), kSuccess);
  EXPECT_EQ(out, hpa);
  EXPECT_EQ(t.m.state_of(0, kGpa), st(SeptState::Free));
  EXPECT_EQ(t.m.pamt_of(hpa).owner, PageOwner::Removed);
  EXPECT_EQ(t.m.history().back().hpa, hpa);
  // The removed page cannot be given to the TD again before WBINVD.
  EXPECT_EQ(t.m.page_aug(kGpa, 0, hpa), kOperandPageMetadataIncorrect | kOperandIdR8);
}

TEST(TdxModule, RemoveBeforeFinalizeNeedsNoBlock) {
  Td t(/*finalized=*/false);
  t.tables(kGpa);
  const std::uint64_t hpa = t.page();
  ASSERT_EQ(t.m.page_add(kGpa, 0, hpa), kSuccess);
  EXPECT_FALSE(t.m.running());
  EXPECT_EQ(t.m.page_remove(kGpa, 0), kSuccess);
  EXPECT_EQ(t.m.pamt_of(hpa).owner, PageOwner::Removed);
}

// ---- SEPT.REMOVE ----
TEST(TdxModule, SeptRemove) {
  Td t;
  t.mapped(kGpa);
  ASSERT_TRUE(t.m.td_exit(0, ExitReason::Voluntary));
  const std::uint64_t pt = t.m.entry(1, kGpa).hpa;
  EXPECT_EQ(t.m.sept_remove(kGpa, 0), kOperandInvalid | kOperandIdRcx);  // level 0 is no table
  EXPECT_EQ(t.m.sept_remove(kGpa, 1), kGpaRangeNotBlocked | kOperandIdRcx);
  ASSERT_EQ(t.m.range_block(kGpa, 1), kSuccess);
  EXPECT_EQ(t.m.sept_remove(kGpa, 1), kTlbTrackingNotDone | kOperandIdRcx);
  ASSERT_EQ(t.m.track(), kSuccess);
  EXPECT_EQ(t.m.sept_remove(kGpa, 1), kEptPageNotFree | kOperandIdRcx);  // the 4K page below
  // The host-side walk passes the NL_BLOCKED table: the child can be removed.
  ASSERT_EQ(t.m.range_block(kGpa, 0), kSuccess);
  ASSERT_EQ(t.m.track(), kSuccess);
  ASSERT_EQ(t.m.page_remove(kGpa, 0), kSuccess);
  EXPECT_TRUE(t.m.children_free(1, kGpa));
  std::uint64_t out = 0;
  EXPECT_EQ(t.m.sept_remove(kGpa, 1, &out), kSuccess);
  EXPECT_EQ(out, pt);
  EXPECT_EQ(t.m.pamt_of(pt).owner, PageOwner::Removed);
  EXPECT_EQ(t.m.state_of(1, kGpa), st(SeptState::Free));
  EXPECT_EQ(t.m.page_aug(kGpa, 0, t.page()), kEptWalkFailed);
}

// ---- PHYMEM.PAGE.WBINVD ----
TEST(TdxModule, Wbinvd) {
  Td t;
  const std::uint64_t hpa = t.mapped(kGpa);
  EXPECT_EQ(t.m.phymem_page_wbinvd(hpa), kOperandPageMetadataIncorrect | kOperandIdRcx);  // still the TD's
  EXPECT_EQ(t.m.phymem_page_wbinvd(kRoot), kOperandPageMetadataIncorrect | kOperandIdRcx);
  EXPECT_EQ(t.m.phymem_page_wbinvd(hpa + 8), kOperandInvalid | kOperandIdRcx);
  ASSERT_TRUE(t.m.td_exit(0, ExitReason::Kick));
  ASSERT_EQ(t.m.range_block(kGpa, 0), kSuccess);
  ASSERT_EQ(t.m.track(), kSuccess);
  ASSERT_EQ(t.m.page_remove(kGpa, 0), kSuccess);
  t.m.inject_busy(TdxLock::Pamt, 2);
  EXPECT_EQ(t.m.phymem_page_wbinvd(hpa), kOperandBusy | kOperandIdRcx);
  EXPECT_EQ(t.m.phymem_page_wbinvd(hpa), kOperandBusy | kOperandIdRcx);
  EXPECT_EQ(t.m.pamt_of(hpa).owner, PageOwner::Removed);
  EXPECT_EQ(t.m.phymem_page_wbinvd(hpa), kSuccess);
  EXPECT_EQ(t.m.pamt_of(hpa).owner, PageOwner::Host);
  EXPECT_EQ(t.m.phymem_page_wbinvd(hpa), kSuccess);  // a host page: nothing to write back
}

// ---- VP.ENTER / TD exit ----
TEST(TdxModule, VpEnterFlushesOnNewEpochOnly) {
  Td t;
  t.mapped(kGpa);
  TdxVcpu& v = t.m.vcpu_mut(0);
  v.tlb[kGpa] = TlbEntry{0x1234000, 0, true};
  EXPECT_THROW(t.m.vp_enter(0), InputError);  // already running
  ASSERT_TRUE(t.m.td_exit(0, ExitReason::Voluntary));
  EXPECT_FALSE(t.m.td_exit(0, ExitReason::Voluntary));
  t.m.inject_busy(TdxLock::Epoch, 1);
  EXPECT_EQ(t.m.vp_enter(0), kOperandBusy | kOperandIdTdEpoch);
  EXPECT_FALSE(t.m.vcpu(0).running());
  ASSERT_EQ(t.m.vp_enter(0), kSuccess);  // same epoch: the TLB stays
  EXPECT_EQ(t.m.vcpu(0).tlb.size(), 1u);
  ASSERT_TRUE(t.m.td_exit(0, ExitReason::Voluntary));
  ASSERT_EQ(t.m.track(), kSuccess);
  ASSERT_EQ(t.m.vp_enter(0), kSuccess);  // older epoch: flushed
  EXPECT_TRUE(t.m.vcpu(0).tlb.empty());
  EXPECT_EQ(t.m.vcpu(0).epoch, 1u);
  EXPECT_EQ(t.m.vcpu(0).tlb_flushes, 1u);
  EXPECT_THROW(t.m.vp_enter(7), InputError);
}

// ---- bookkeeping ----
TEST(TdxModule, FailedCallsChangeNothingButHistory) {
  Td t;
  t.mapped(kGpa);
  TdxModule before = t.m;
  EXPECT_EQ(t.m.page_remove(kGpa, 0), kGpaRangeNotBlocked | kOperandIdRcx);
  EXPECT_EQ(t.m.sept_add(kGpa, 1, t.page()), kEptEntryNotFree | kOperandIdRcx);
  EXPECT_EQ(t.m.track(), kSuccess);
  EXPECT_EQ(t.m.track(), kPreviousTlbEpochBusy);
  EXPECT_NE(t.m, before);
  TdxModule after = t.m;
  after.clear_history();
  before.clear_history();
  EXPECT_EQ(after.sept(), before.sept());
  EXPECT_EQ(after.pamt(), before.pamt());
  EXPECT_EQ(after.vcpus(), before.vcpus());
  // History: each call with its status and entry states.
  const SeamcallRecord& last = t.m.history().back();
  EXPECT_EQ(last.call, Seamcall::Track);
  EXPECT_EQ(last.status, kPreviousTlbEpochBusy);
  const SeamcallRecord& rm = t.m.history()[t.m.history().size() - 4];
  EXPECT_EQ(rm.call, Seamcall::PageRemove);
  EXPECT_EQ(rm.old_state, st(SeptState::Mapped));
  EXPECT_EQ(rm.new_state, st(SeptState::Mapped));
  EXPECT_NE(describe(rm).find("GPA_RANGE_NOT_BLOCKED|RCX"), std::string::npos);
}

TEST(TdxModule, CopyIsASnapshot) {
  Td t;
  t.mapped(kGpa);
  TdxModule snap = t.m;
  ASSERT_EQ(t.m.range_block(kGpa, 0), kSuccess);
  EXPECT_EQ(snap.state_of(0, kGpa), st(SeptState::Mapped));
  EXPECT_EQ(t.m.state_of(0, kGpa), st(SeptState::Blocked));
  t.m = snap;
  EXPECT_EQ(t.m, snap);
  EXPECT_EQ(t.m.state_of(0, kGpa), st(SeptState::Mapped));
}

TEST(TdxModule, BusyInjectionIsBounded) {
  Td t;
  t.m.inject_busy(TdxLock::Epoch, kMaxInjectedBusy);
  EXPECT_THROW(t.m.inject_busy(TdxLock::Epoch, 1), InputError);
  EXPECT_THROW(t.m.inject_busy(TdxLock::Pamt, kMaxInjectedBusy + 1), InputError);
  TdxLock l;
  EXPECT_TRUE(tdx_lock_from_name("entry", l));
  EXPECT_EQ(l, TdxLock::SeptEntry);
  EXPECT_FALSE(tdx_lock_from_name("tree", l));
}

TEST(TdxModule, FinalizedAtStartIsHistoryRecordZero) {
  Td t;
  ASSERT_EQ(t.m.history().size(), 1u);
  EXPECT_EQ(t.m.history()[0].call, Seamcall::MrFinalize);
  EXPECT_EQ(t.m.history()[0].status, kSuccess);
  Td early(/*finalized=*/false);
  EXPECT_TRUE(early.m.history().empty());
  EXPECT_FALSE(early.m.finalized());
}

TEST(TdxModule, BadConstruction) {
  TdConfig c;
  EXPECT_THROW(TdxModule(c, 0), InputError);
  EXPECT_THROW(TdxModule(c, kRoot + 1), InputError);
  c.vcpus = 0;
  EXPECT_THROW(TdxModule(c, kRoot), InputError);
}

TEST(TdxModule, FiveLevelGpaw52) {
  TdConfig c;
  c.gpaw = 52;
  c.ept_levels = 5;
  TdxModule m(c, kRoot);
  EXPECT_EQ(m.top_level(), 4u);
  const std::uint64_t gpa = 1ull << 50;  // private under GPAW 52
  std::uint64_t next = kRoot;
  for (unsigned l = 4; l >= 1; --l) {
    const std::uint64_t size = 1ull << (12 + 9 * l);
    ASSERT_EQ(m.sept_add(gpa & ~(size - 1), l, next += 0x1000), kSuccess) << l;
  }
  EXPECT_EQ(m.page_aug(gpa, 0, next += 0x1000), kSuccess);
  EXPECT_EQ(m.page_aug(gpa | (1ull << 51), 0, next += 0x1000), kOperandInvalid | kOperandIdRcx);  // shared
}

}  // namespace
}  // namespace ptspec::x86::tdx
