// x86.tdx guest accesses (model/x86/tdx_vcpu.hpp): the route by the shared
// bit, the Secure-EPT walk outcomes, the private TLB (hits after BLOCK, flush
// only at a VP.ENTER in a newer epoch), the shared EPT and the MMIO #VE.
#include <gtest/gtest.h>

#include "model/core/errors.hpp"
#include "model/x86/tdx_kvm.hpp"
#include "model/x86/tdx_mmio.hpp"

namespace ptspec::x86::tdx {
namespace {

constexpr std::uint64_t kGpa = 0x1000'0000;
constexpr std::uint64_t kSharedBit = 1ull << 47;

struct Sys {
  Sys() : k(TdConfig{}) { EXPECT_EQ(k.vcpu_enter(0), 0); }
  GuestAccessResult access(std::uint64_t gpa, AccessKind a = AccessKind::Read, unsigned v = 0) {
    return k.vcpu_access(v, gpa, a);
  }
  TdxKvm k;
};

TEST(TdxVcpu, NotRunningIsInputError) {
  Sys s;
  EXPECT_THROW(s.access(kGpa, AccessKind::Read, 1), InputError);
  EXPECT_THROW(s.access(kGpa, AccessKind::Read, 9), InputError);
}

TEST(TdxVcpu, InvalidGpa) {
  Sys s;
  GuestAccessResult r = s.access(1ull << 49);  // bit 49 under GPAW 48
  EXPECT_EQ(r.outcome, AccessOutcome::InvalidGpa);
  EXPECT_EQ(r.route, GpaRoute::Invalid);
  EXPECT_TRUE(s.k.module().vcpu(0).running());
}

TEST(TdxVcpu, PrivateWalkOutcomes) {
  Sys s;
  // No table: EPT violation at the root's entry; the vCPU exits.
  GuestAccessResult r = s.access(kGpa);
  EXPECT_EQ(r.outcome, AccessOutcome::EptViolation);
  EXPECT_EQ(r.route, GpaRoute::Private);
  EXPECT_EQ(r.sept_level, 3u);
  EXPECT_EQ(r.sept_state, code(SeptState::Free));
  EXPECT_FALSE(s.k.module().vcpu(0).running());
  EXPECT_EQ(s.k.module().vcpu(0).last_exit, ExitReason::EptViolation);
  // KVM faults it in: PENDING -> #VE without an exit.
  ASSERT_EQ(s.k.fault_in(kGpa), 0);
  ASSERT_EQ(s.k.vcpu_enter(0), 0);
  r = s.access(kGpa, AccessKind::Exec);
  EXPECT_EQ(r.outcome, AccessOutcome::Ve);
  EXPECT_EQ(r.sept_state, code(SeptState::Pending));
  EXPECT_TRUE(s.k.module().vcpu(0).running());
  EXPECT_TRUE(s.k.module().vcpu(0).tlb.empty());
  ASSERT_EQ(s.k.vcpu_accept(0, kGpa), kSuccess);
  r = s.access(kGpa | 0x123, AccessKind::Write);
  EXPECT_EQ(r.outcome, AccessOutcome::Translation);
  EXPECT_EQ(r.hpa, s.k.mirror_leaves().at(kGpa) | 0x123);
  ASSERT_EQ(s.k.module().vcpu(0).tlb.count(kGpa), 1u);
  EXPECT_TRUE(s.k.module().vcpu(0).tlb.at(kGpa).writable);
  // A neighbour in the same 2M table, not faulted in: violation at level 0.
  r = s.access(kGpa + 0x1000);
  EXPECT_EQ(r.outcome, AccessOutcome::EptViolation);
  EXPECT_EQ(r.sept_level, 0u);
}

// The hazard the protocol exists for: after RANGE.BLOCK the vCPU still
// translates through its TLB; a walk (TLB miss) sees the block.
TEST(TdxVcpu, TlbHitAfterBlockThenFlushAtNewEpoch) {
  Sys s;
  ASSERT_EQ(s.k.fault_in(kGpa), 0);
  ASSERT_EQ(s.k.vcpu_accept(0, kGpa), kSuccess);
  ASSERT_EQ(s.k.vcpu_enter(1), 0);
  ASSERT_EQ(s.access(kGpa).outcome, AccessOutcome::Translation);
  ASSERT_EQ(s.k.module().range_block(kGpa, 0), kSuccess);
  GuestAccessResult r = s.access(kGpa, AccessKind::Write);
  EXPECT_EQ(r.outcome, AccessOutcome::Translation);
  EXPECT_TRUE(r.tlb_hit);
  r = s.access(kGpa, AccessKind::Read, 1);  // vCPU 1 never touched it: walk -> blocked
  EXPECT_EQ(r.outcome, AccessOutcome::EptViolation);
  EXPECT_EQ(r.sept_state, code(SeptState::Blocked));
  EXPECT_FALSE(s.k.module().vcpu(1).running());
  // Exit and re-enter in the same epoch: the stale entry survives.
  ASSERT_TRUE(s.k.vcpu_exit(0));
  ASSERT_EQ(s.k.vcpu_enter(0), 0);
  EXPECT_TRUE(s.access(kGpa).tlb_hit);
  // TRACK (epoch 1), exit, re-enter: flushed.
  ASSERT_TRUE(s.k.vcpu_exit(0));
  ASSERT_EQ(s.k.module().track(), kSuccess);
  ASSERT_EQ(s.k.vcpu_enter(0), 0);
  EXPECT_TRUE(s.k.module().vcpu(0).tlb.empty());
  EXPECT_EQ(s.access(kGpa).outcome, AccessOutcome::EptViolation);
}

TEST(TdxVcpu, NlBlockedTableStopsTheWalk) {
  Sys s;
  ASSERT_EQ(s.k.fault_in(kGpa), 0);
  ASSERT_EQ(s.k.vcpu_accept(0, kGpa), kSuccess);
  ASSERT_TRUE(s.k.vcpu_exit(0));
  ASSERT_EQ(s.k.module().range_block(kGpa, 1), kSuccess);
  ASSERT_EQ(s.k.module().track(), kSuccess);
  ASSERT_EQ(s.k.vcpu_enter(0), 0);
  GuestAccessResult r = s.access(kGpa);
  EXPECT_EQ(r.outcome, AccessOutcome::EptViolation);
  EXPECT_EQ(r.sept_level, 1u);
  EXPECT_EQ(r.sept_state, code(SeptState::NlBlocked));
}

TEST(TdxVcpu, SharedAccesses) {
  Sys s;
  const std::uint64_t g = kSharedBit | kGpa;
  GuestAccessResult r = s.access(g);
  EXPECT_EQ(r.route, GpaRoute::Shared);
  EXPECT_EQ(r.outcome, AccessOutcome::EptViolation);  // initial SPTE: suppress-#VE set, exit
  EXPECT_EQ(r.shared.outcome, EptOutcome::Violation);
  EXPECT_FALSE(s.k.module().vcpu(0).running());
  ASSERT_EQ(s.k.fault_in(g), 0);
  ASSERT_EQ(s.k.vcpu_enter(0), 0);
  r = s.access(g | 0x10, AccessKind::Write);
  EXPECT_EQ(r.outcome, AccessOutcome::Translation);
  EXPECT_EQ(r.hpa, s.k.shared_backing().at(g) | 0x10);
  EXPECT_TRUE(s.k.module().vcpu(0).tlb.empty());  // shared translations are not cached
  // The private alias of the same page is another table.
  EXPECT_EQ(s.access(kGpa).outcome, AccessOutcome::EptViolation);
  ASSERT_EQ(s.k.vcpu_enter(0), 0);
  ASSERT_EQ(s.k.zap(g), 0);
  EXPECT_EQ(s.access(g).outcome, AccessOutcome::EptViolation);
}

TEST(TdxVcpu, MmioBecomesVe) {
  Sys s;
  const std::uint64_t g = kSharedBit | 0xfee0'0000;
  s.k.add_mmio(g);
  EXPECT_EQ(s.access(g).outcome, AccessOutcome::EptViolation);  // first touch exits to KVM
  ASSERT_EQ(s.k.fault_in(g), 0);                                // which installs the MMIO SPTE
  const std::uint64_t ptep = s.k.shared_ept().entry_pa(g, 1);
  ASSERT_NE(ptep, 0u);
  EXPECT_EQ(s.k.shared_ept().mem().load(ptep), td_mmio_spte(s.k.shared_ept().config(), g));
  ASSERT_EQ(s.k.vcpu_enter(0), 0);
  GuestAccessResult r = s.access(g + 4, AccessKind::Write);
  EXPECT_EQ(r.outcome, AccessOutcome::Ve);
  EXPECT_EQ(r.shared.outcome, EptOutcome::Violation);  // a violation, not a misconfiguration
  EXPECT_TRUE(s.k.module().vcpu(0).running());
  ASSERT_EQ(s.k.zap(g), 0);
  EXPECT_EQ(s.k.shared_ept().mem().load(ptep), 0u);
  EXPECT_EQ(s.access(g).outcome, AccessOutcome::EptViolation);
  EXPECT_THROW(s.k.add_mmio(kGpa), InputError);  // private GPA
}

}  // namespace
}  // namespace ptspec::x86::tdx
