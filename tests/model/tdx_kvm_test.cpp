// x86.tdx KVM side (model/x86/tdx_kvm.hpp): the hooks of seed 004 in the
// order the header documents, BUSY -> -EAGAIN / retry loops, KVM_BUG_ON
// outcomes, the three protocol variants, the shared EPT and MMIO #VE.
#include <gtest/gtest.h>

#include "model/core/errors.hpp"
#include <algorithm>

#include "model/x86/tdx_kvm.hpp"

namespace ptspec::x86::tdx {
namespace {

constexpr std::uint64_t kGpa = 0x1000'0000;               // private
constexpr std::uint64_t kShared = (1ull << 47) | 0x2000'0000;  // shared (GPAW 48)

TdConfig cfg(TdxVariant v = TdxVariant::None, unsigned vcpus = 2) {
  TdConfig c;
  c.vcpus = vcpus;
  c.variant = v;
  return c;
}

std::vector<Seamcall> calls(const TdxModule& m, std::size_t from = 0) {
  std::vector<Seamcall> out;
  for (std::size_t i = from; i < m.history().size(); ++i) out.push_back(m.history()[i].call);
  return out;
}

// Fault-in after finalize: SEPT.ADD for each missing table (3 for 4-level),
// then PAGE.AUG; the guest's access raises #VE until it accepts, then translates.
TEST(TdxKvm, FaultInAugAcceptAccess) {
  TdxKvm k(cfg());
  ASSERT_EQ(k.vcpu_enter(0), 0);
  const std::size_t h0 = k.module().history().size();
  ASSERT_EQ(k.fault_in(kGpa), 0);
  EXPECT_EQ(calls(k.module(), h0), (std::vector<Seamcall>{Seamcall::SeptAdd, Seamcall::SeptAdd, Seamcall::SeptAdd,
                                                          Seamcall::PageAug}));
  EXPECT_EQ(k.module().state_of(0, kGpa), code(SeptState::Pending));
  EXPECT_EQ(k.mirror_spts().size(), 3u);
  ASSERT_EQ(k.mirror_leaves().count(kGpa), 1u);
  const std::uint64_t hpa = k.mirror_leaves().at(kGpa);
  EXPECT_EQ(k.pins().at(hpa), 1u);
  EXPECT_EQ(k.module().pamt_of(hpa).owner, PageOwner::TdPrivate);

  EXPECT_EQ(k.vcpu_access(0, kGpa + 8, AccessKind::Read).outcome, AccessOutcome::Ve);
  EXPECT_TRUE(k.module().vcpu(0).running());
  EXPECT_EQ(k.vcpu_accept(0, kGpa), kSuccess);
  EXPECT_EQ(k.module().state_of(0, kGpa), code(SeptState::Mapped));
  EXPECT_EQ(k.vcpu_accept(0, kGpa), kPageAlreadyAccepted | kOperandIdRcx);
  GuestAccessResult r = k.vcpu_access(0, kGpa + 8, AccessKind::Write);
  EXPECT_EQ(r.outcome, AccessOutcome::Translation);
  EXPECT_EQ(r.hpa, hpa + 8);
  EXPECT_FALSE(r.tlb_hit);
  EXPECT_TRUE(k.vcpu_access(0, kGpa, AccessKind::Read).tlb_hit);
  EXPECT_FALSE(k.bugged());
}

// Zap: BLOCK, kick + TRACK, REMOVE, WBINVD, unpin; the page goes back to the
// host pool only after WBINVD; a running vCPU is kicked and re-enters with
// its TLB flushed.
TEST(TdxKvm, ZapFullOrder) {
  TdxKvm k(cfg());
  ASSERT_EQ(k.vcpu_enter(0), 0);
  ASSERT_EQ(k.fault_in(kGpa), 0);
  ASSERT_EQ(k.vcpu_accept(0, kGpa), kSuccess);
  ASSERT_EQ(k.vcpu_access(0, kGpa, AccessKind::Read).outcome, AccessOutcome::Translation);
  const std::uint64_t hpa = k.mirror_leaves().at(kGpa);
  const std::size_t h0 = k.module().history().size();
  ASSERT_EQ(k.zap(kGpa), 0);
  EXPECT_EQ(calls(k.module(), h0), (std::vector<Seamcall>{Seamcall::RangeBlock, Seamcall::TdExit, Seamcall::Track,
                                                          Seamcall::PageRemove, Seamcall::PhymemPageWbinvd}));
  EXPECT_EQ(k.module().state_of(0, kGpa), code(SeptState::Free));
  EXPECT_EQ(k.module().epoch(), 1u);
  EXPECT_FALSE(k.module().vcpu(0).running());
  EXPECT_EQ(k.module().vcpu(0).last_exit, ExitReason::Kick);
  EXPECT_EQ(k.mirror_leaves().count(kGpa), 0u);
  EXPECT_EQ(k.pins().count(hpa), 0u);
  EXPECT_EQ(k.module().pamt_of(hpa).owner, PageOwner::Host);
  ASSERT_FALSE(k.pool_free().empty());
  EXPECT_EQ(k.pool_free().back(), hpa);
  EXPECT_EQ(k.events().back().kind, KvmEventKind::PageFree);
  EXPECT_EQ(k.events().back().owner, PageOwner::Host);
  // The stale TLB entry survives the exit and is flushed by the re-entry.
  EXPECT_EQ(k.module().vcpu(0).tlb.count(kGpa), 1u);
  EXPECT_TRUE(k.flush_requested(0));
  ASSERT_EQ(k.vcpu_enter(0), 0);
  EXPECT_FALSE(k.flush_requested(0));
  EXPECT_TRUE(k.module().vcpu(0).tlb.empty());
  EXPECT_EQ(k.vcpu_access(0, kGpa, AccessKind::Read).outcome, AccessOutcome::EptViolation);
  EXPECT_FALSE(k.bugged());
}


std::size_t count_events(const TdxKvm& k, KvmEventKind kind) {
  std::size_t n = 0;
  for (const KvmEvent& e : k.events()) n += e.kind == kind;
  return n;
}

// A mapped, accepted page with vCPU 0 running.
void mapped(TdxKvm& k, std::uint64_t gpa = kGpa) {
  if (!k.module().vcpu(0).running()) {
    ASSERT_EQ(k.vcpu_enter(0), 0);
  }
  ASSERT_EQ(k.fault_in(gpa), 0);
  ASSERT_EQ(k.vcpu_accept(0, gpa), kSuccess);
}

// BUSY on the SEPT during fault-in: -EAGAIN, mirror unchanged (the SPT page
// goes back to the pool), "pending fault"; the retry succeeds.
TEST(TdxKvm, FaultInBusyIsEagainThenRetry) {
  TdxKvm k(cfg());
  k.module().inject_busy(TdxLock::SeptTree, 1);
  EXPECT_EQ(k.fault_in(kGpa), kEagain);
  EXPECT_TRUE(k.mirror_spts().empty());
  EXPECT_TRUE(k.module().sept().empty());
  EXPECT_EQ(k.pending().at(kGpa), PendingOp::FaultIn);
  EXPECT_EQ(k.pool_free().size(), 1u);
  // The entry lock of the first SEPT.ADD: one BUSY consumed per attempt.
  k.module().inject_busy(TdxLock::SeptEntry, 4);
  EXPECT_EQ(k.fault_in(kGpa), kEagain);
  EXPECT_EQ(k.module().busy_pending(TdxLock::SeptEntry), 3u);
  k.module().clear_busy();
  EXPECT_EQ(k.module().busy_pending(TdxLock::SeptEntry), 0u);
  ASSERT_EQ(k.fault_in(kGpa), 0);
  EXPECT_TRUE(k.pending().empty());
  EXPECT_EQ(k.mirror_spts().size(), 3u);
  EXPECT_FALSE(k.bugged());
}

TEST(TdxKvm, AugBusyLeavesTablesAndUnpins) {
  TdxKvm k(cfg());
  ASSERT_EQ(k.fault_in(kGpa + 0x1000), 0);  // links the tables
  k.module().inject_busy(TdxLock::SeptTree, 1);
  EXPECT_EQ(k.fault_in(kGpa), kEagain);
  EXPECT_EQ(k.mirror_leaves().count(kGpa), 0u);
  EXPECT_EQ(k.module().state_of(0, kGpa), code(SeptState::Free));
  EXPECT_EQ(k.pending().at(kGpa), PendingOp::FaultIn);
  const std::uint64_t backing = k.private_backing().at(kGpa);
  EXPECT_EQ(k.pins().count(backing), 0u);
  EXPECT_EQ(k.events().back().kind, KvmEventKind::Again);
  ASSERT_EQ(k.fault_in(kGpa), 0);
  EXPECT_EQ(k.mirror_leaves().at(kGpa), backing);
  EXPECT_TRUE(k.pending().empty());
}

// zap_private_spte's SEPT_BUSY -> -EAGAIN: the mirror keeps the page, the SEPT is unchanged.
TEST(TdxKvm, ZapBusyIsEagainThenRetry) {
  TdxKvm k(cfg());
  mapped(k);
  k.module().inject_busy(TdxLock::SeptEntry, 1);
  EXPECT_EQ(k.zap(kGpa), kEagain);
  EXPECT_EQ(k.mirror_leaves().count(kGpa), 1u);
  EXPECT_EQ(k.module().state_of(0, kGpa), code(SeptState::Mapped));
  EXPECT_EQ(k.pending().at(kGpa), PendingOp::Zap);
  EXPECT_TRUE(k.module().vcpu(0).running());  // nothing was flushed
  EXPECT_EQ(k.fault_in(kGpa), 0);                // already mapped: the zap stays pending
  EXPECT_EQ(k.pending().at(kGpa), PendingOp::Zap);
  EXPECT_EQ(k.zap(kGpa), 0);
  EXPECT_TRUE(k.pending().empty());
  EXPECT_FALSE(k.bugged());
}

// The retry loops: TRACK on OPERAND_BUSY (any operand), REMOVE on SEPT_BUSY,
// WBINVD on OPERAND_BUSY|RCX.
TEST(TdxKvm, RemoveRetryLoops) {
  TdxKvm k(cfg());
  mapped(k);
  const std::uint64_t hpa = k.mirror_leaves().at(kGpa);
  ASSERT_EQ(k.zap_private_spte(gpa_to_gfn(Concrete{}, kGpa), kPgLevel4K), 0);
  k.module().inject_busy(TdxLock::Epoch, 2);
  k.module().inject_busy(TdxLock::SeptTree, 3);
  k.module().inject_busy(TdxLock::Pamt, 1);
  const std::size_t h0 = k.module().history().size();
  ASSERT_EQ(k.remove_private_spte(gpa_to_gfn(Concrete{}, kGpa), kPgLevel4K, hpa), 0);
  EXPECT_EQ(k.retries(), 6u);
  EXPECT_EQ(count_events(k, KvmEventKind::Retry), 6u);
  std::vector<Seamcall> c = calls(k.module(), h0);
  EXPECT_EQ(std::count(c.begin(), c.end(), Seamcall::Track), 3);
  EXPECT_EQ(std::count(c.begin(), c.end(), Seamcall::PageRemove), 4);
  EXPECT_EQ(std::count(c.begin(), c.end(), Seamcall::PhymemPageWbinvd), 2);
  EXPECT_EQ(k.module().pamt_of(hpa).owner, PageOwner::Host);
  EXPECT_EQ(k.pins().count(hpa), 0u);
  EXPECT_FALSE(k.bugged());
}

// Seed behaviour: any AUG error other than SEPT_BUSY is KVM_BUG_ON, the page
// is unpinned and set_private_spte still returns 0. The VM is dead after.
TEST(TdxKvm, AugOtherErrorIsKvmBug) {
  TdxKvm k(cfg());
  ASSERT_EQ(k.vcpu_enter(0), 0);
  ASSERT_EQ(k.vcpu_enter(1), 0);
  ASSERT_EQ(k.fault_in(kGpa + 0x1000), 0);    // the tables are linked
  k.module().inject_busy(TdxLock::Pamt, 1);  // AUG's PAMT lock on the new page: BUSY|R8
  EXPECT_EQ(k.fault_in(kGpa), 0);
  ASSERT_TRUE(k.bugged());
  EXPECT_EQ(k.bugs()[0].where, "set_private_spte: TDH.MEM.PAGE.AUG");
  EXPECT_EQ(k.bugs()[0].status, kOperandBusy | kOperandIdR8);
  EXPECT_EQ(k.mirror_leaves().count(kGpa), 1u);  // mirror says mapped, SEPT says FREE
  EXPECT_EQ(k.module().state_of(0, kGpa), code(SeptState::Free));
  EXPECT_EQ(k.pins().count(k.mirror_leaves().at(kGpa)), 0u);
  EXPECT_FALSE(k.module().vcpu(0).running());  // KVM_REQ_VM_DEAD
  EXPECT_FALSE(k.module().vcpu(1).running());
  EXPECT_EQ(k.fault_in(kGpa + 0x1000), kEio);
  EXPECT_EQ(k.zap(kGpa), kEio);
  EXPECT_EQ(k.vcpu_enter(0), kEio);
  EXPECT_EQ(k.finalize(), kEio);
}

TEST(TdxKvm, HookLevelChecks) {
  TdxKvm k(cfg());
  const std::uint64_t gfn = gpa_to_gfn(Concrete{}, kGpa);
  EXPECT_THROW(k.zap_private_spte(gfn, 0), InputError);  // PG_LEVEL_NONE
  EXPECT_THROW(k.link_private_spt(gfn, 5, kPoolBase + 0x10000), InputError);  // 4-level EPT
  EXPECT_EQ(k.set_private_spte(gfn, kPgLevel2M, kPoolBase + 0x10000), kEinval);
  EXPECT_TRUE(k.bugged());
  TdxKvm k2(cfg());
  EXPECT_EQ(k2.free_private_spt(gfn, kPgLevel2M, kPoolBase + 0x10000), kEinval);
  EXPECT_TRUE(k2.bugged());
  EXPECT_EQ(k2.bugs()[0].where, "free_private_spt: KVM_BUG_ON(is_hkid_assigned)");
  TdxKvm k3(cfg());
  EXPECT_EQ(k3.link_private_spt(gfn, kPgLevel2M, kPoolBase + 0x10000), kEio);  // no parent table
  EXPECT_EQ(k3.bugs()[0].status, kEptWalkFailed);
}

// Before finalize: PAGE.ADD, no TRACK, no KVM_RUN.
TEST(TdxKvm, BeforeFinalize) {
  TdConfig c = cfg();
  c.finalized = false;
  TdxKvm k(c);
  EXPECT_EQ(k.vcpu_enter(0), kEinval);
  ASSERT_EQ(k.fault_in(kGpa), 0);
  EXPECT_EQ(k.module().history().back().call, Seamcall::PageAdd);
  EXPECT_EQ(k.module().state_of(0, kGpa), code(SeptState::Mapped));
  const std::size_t h0 = k.module().history().size();
  ASSERT_EQ(k.zap(kGpa), 0);
  EXPECT_EQ(calls(k.module(), h0), (std::vector<Seamcall>{Seamcall::RangeBlock, Seamcall::PageRemove,
                                                          Seamcall::PhymemPageWbinvd}));
  ASSERT_EQ(k.fault_in(kGpa), 0);
  EXPECT_EQ(k.finalize(), 0);
  EXPECT_EQ(k.finalize(), kEinval);
  EXPECT_EQ(k.vcpu_enter(0), 0);
  ASSERT_EQ(k.fault_in(kGpa + 0x1000), 0);
  EXPECT_EQ(k.module().history().back().call, Seamcall::PageAug);
  EXPECT_FALSE(k.bugged());
}

TEST(TdxKvm, EnterBusyIsEagain) {
  TdxKvm k(cfg());
  k.module().inject_busy(TdxLock::Epoch, 1);
  EXPECT_EQ(k.vcpu_enter(0), kEagain);
  EXPECT_FALSE(k.module().vcpu(0).running());
  EXPECT_EQ(k.vcpu_enter(0), 0);
  EXPECT_THROW(k.vcpu_enter(0), InputError);
  EXPECT_TRUE(k.kick(0));
  EXPECT_FALSE(k.kick(0));
  EXPECT_FALSE(k.vcpu_exit(0));
  EXPECT_THROW(k.flush_requested(2), InputError);
  EXPECT_THROW(k.kick(2), InputError);
  EXPECT_THROW(k.vcpu_enter(2), InputError);
  EXPECT_THROW(k.flush_tlb_current(2), InputError);
}

// ---- variants ----

TEST(TdxKvmVariant, RemoveBeforeTrack) {
  TdxKvm k(cfg(TdxVariant::RemoveBeforeTrack));
  mapped(k);
  const std::uint64_t hpa = k.mirror_leaves().at(kGpa);
  EXPECT_EQ(k.zap(kGpa), kEio);
  ASSERT_TRUE(k.bugged());
  EXPECT_EQ(k.bugs()[0].where, "drop_private_spte: TDH.MEM.PAGE.REMOVE");
  EXPECT_EQ(k.bugs()[0].status, kTlbTrackingNotDone | kOperandIdRcx);
  EXPECT_EQ(k.module().state_of(0, kGpa), code(SeptState::Blocked));
  EXPECT_EQ(k.mirror_leaves().count(kGpa), 0u);  // KVM's view and the module's differ
  EXPECT_EQ(k.pins().at(hpa), 1u);
  // The correct order on the same scenario:
  TdxKvm ok(cfg());
  mapped(ok);
  EXPECT_EQ(ok.zap(kGpa), 0);
}

TEST(TdxKvmVariant, TrackWithoutKick) {
  TdxKvm k(cfg(TdxVariant::TrackWithoutKick));
  mapped(k);
  EXPECT_EQ(k.zap(kGpa), kEio);
  ASSERT_TRUE(k.bugged());
  EXPECT_EQ(k.bugs()[0].where, "drop_private_spte: TDH.MEM.PAGE.REMOVE");
  EXPECT_EQ(k.bugs()[0].status, kTlbTrackingNotDone | kOperandIdRcx);
  EXPECT_EQ(count_events(k, KvmEventKind::FlushRequest), 0u);
  // With no vCPU running the missing kick is harmless.
  TdxKvm idle(cfg(TdxVariant::TrackWithoutKick));
  mapped(idle);
  ASSERT_TRUE(idle.vcpu_exit(0));
  EXPECT_EQ(idle.zap(kGpa), 0);
  EXPECT_FALSE(idle.bugged());
}

TEST(TdxKvmVariant, ZapBusyAsSuccess) {
  TdxKvm k(cfg(TdxVariant::ZapBusyAsSuccess));
  mapped(k);
  k.module().inject_busy(TdxLock::SeptTree, 1);
  EXPECT_EQ(k.zap(kGpa), kEio);
  ASSERT_TRUE(k.bugged());
  EXPECT_EQ(k.bugs()[0].status, kGpaRangeNotBlocked | kOperandIdRcx);
  EXPECT_EQ(k.module().state_of(0, kGpa), code(SeptState::Mapped));
  EXPECT_EQ(k.mirror_leaves().count(kGpa), 0u);
  // Without a BUSY the variant behaves correctly.
  TdxKvm quiet(cfg(TdxVariant::ZapBusyAsSuccess));
  mapped(quiet);
  EXPECT_EQ(quiet.zap(kGpa), 0);
}

// ---- whole-system properties the checkers rely on ----

TEST(TdxKvm, CopyIsASnapshotIncludingSharedEpt) {
  TdxKvm k(cfg());
  mapped(k);
  const std::uint64_t shared = kShared;
  ASSERT_EQ(k.fault_in(shared), 0);
  TdxKvm snap = k;
  ASSERT_EQ(k.zap(kGpa), 0);
  ASSERT_EQ(k.zap(shared), 0);
  EXPECT_EQ(snap.mirror_leaves().count(kGpa), 1u);
  EXPECT_EQ(snap.module().state_of(0, kGpa), code(SeptState::Mapped));
  EXPECT_EQ(snap.shared_ept().walk(shared, EptAccess{}).outcome, EptOutcome::Translation);
  EXPECT_EQ(k.shared_ept().walk(shared, EptAccess{}).outcome, EptOutcome::Violation);
  k = snap;
  EXPECT_EQ(k.shared_ept().walk(shared, EptAccess{}).outcome, EptOutcome::Translation);
  EXPECT_EQ(k.module(), snap.module());
  EXPECT_EQ(k.zap(kGpa), 0);  // the copy is fully usable
}

TEST(TdxKvm, PageReuseOnlyAfterWbinvd) {
  TdxKvm k(cfg());
  mapped(k);
  const std::uint64_t hpa = k.mirror_leaves().at(kGpa);
  ASSERT_EQ(k.zap(kGpa), 0);
  ASSERT_EQ(k.vcpu_enter(0), 0);
  ASSERT_EQ(k.fault_in(kGpa + 0x1000), 0);  // the pool hands the page out again
  EXPECT_EQ(k.mirror_leaves().at(kGpa + 0x1000), hpa);
  for (const KvmEvent& e : k.events())
    if (e.kind == KvmEventKind::PageAlloc || e.kind == KvmEventKind::PageFree) {
      EXPECT_EQ(e.owner, PageOwner::Host);
    }
}

TEST(TdxKvm, MirrorMatchesSeptAfterOps) {
  TdxKvm k(cfg());
  mapped(k);
  ASSERT_EQ(k.fault_in(kGpa + 0x20'0000), 0);  // another 2M region: one more SPT
  for (const auto& [key, hpa] : k.mirror_spts()) {
    EXPECT_EQ(k.module().state_of(key.level, key.gpa), code(SeptState::NlMapped));
    EXPECT_EQ(k.module().entry(key.level, key.gpa).hpa, hpa);
  }
  std::size_t leaves = 0;
  for (const auto& [key, e] : k.module().sept()) {
    if (key.level != 0) {
      EXPECT_EQ(k.mirror_spts().at(key), e.hpa);
      continue;
    }
    ++leaves;
    EXPECT_EQ(k.mirror_leaves().at(key.gpa), e.hpa);
  }
  EXPECT_EQ(leaves, k.mirror_leaves().size());
  EXPECT_EQ(k.mirror_spts().size(), 4u);
  EXPECT_NE(k.dump().find("L0 0x10000000: MAPPED"), std::string::npos);
}

TEST(TdxKvm, FiveLevelGpaw52) {
  TdConfig c = cfg();
  c.gpaw = 52;
  c.ept_levels = 5;
  TdxKvm k(c);
  const std::uint64_t gpa = (1ull << 50) | 0x3000;
  ASSERT_EQ(k.vcpu_enter(0), 0);
  ASSERT_EQ(k.fault_in(gpa), 0);
  EXPECT_EQ(k.mirror_spts().size(), 4u);
  ASSERT_EQ(k.vcpu_accept(0, gpa), kSuccess);
  EXPECT_EQ(k.vcpu_access(0, gpa, AccessKind::Read).outcome, AccessOutcome::Translation);
  const std::uint64_t shared = (1ull << 51) | 0x5000;
  ASSERT_EQ(k.fault_in(shared), 0);
  EXPECT_EQ(k.vcpu_access(0, shared, AccessKind::Write).outcome, AccessOutcome::Translation);
  EXPECT_EQ(k.fault_in(1ull << 52), kEinval);
  ASSERT_EQ(k.zap(gpa), 0);
  EXPECT_FALSE(k.bugged());
}

}  // namespace
}  // namespace ptspec::x86::tdx
