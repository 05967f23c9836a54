// x86.tdx KVM side (model/x86/tdx_kvm.hpp): the hooks of seed 004 in the
// order the header documents, BUSY -> -EAGAIN / retry loops, KVM_BUG_ON
// outcomes, the three protocol variants, the shared EPT and MMIO #VE.
#include <gtest/gtest.h>

#include "model/core/errors.hpp"
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

}  // namespace
}  // namespace ptspec::x86::tdx
