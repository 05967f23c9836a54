// A live x86.tdx instance: one TD (model/x86/tdx_kvm.hpp: KVM's side, the
// TDX module, the vCPUs, the shared EPT), the ops of tdx cases, and the
// checkers of tdx_checks.hpp after every op.
//
// Ops (the driver's table, tdx_driver.cpp, has every argument):
//   KVM:    finalize, fault_in gpa, zap gpa, mmio gpa, tlb_remote_flush
//           (fault_in / zap of a shared GPA map / unmap it in the shared EPT;
//           of a private GPA they run seed 004's hooks; before finalize the
//           private fault-in uses PAGE.ADD)
//   vCPUs:  enter, exit, kick, access (read/write/exec, optional expected
//           outcome/hpa/tlb_hit), accept (TDG.MEM.PAGE.ACCEPT, optional status)
//           A vCPU op that needs the other run state (enter while running,
//           access/accept while outside) does nothing and returns -EINVAL,
//           so random and shrunk sequences stay runnable.
//   raw:    seamcall call=... gpa/level/hpa (status optional): a SEAMCALL made
//           directly, not through KVM -- to write protocol scenarios (REMOVE
//           while a vCPU runs in the old epoch -> TLB_TRACKING_NOT_DONE). From
//           the first raw SEAMCALL on, KVM's mirror no longer describes the
//           module, so the mirror and busy-consistent checks stop (the trace
//           says so); the others go on.
//   BUSY:   inject_busy lock=epoch|sept|entry|pamt count=N
//   expect: expect_state, expect_status, expect_access (a probe on a copy:
//           changes nothing), expect_epoch, expect_vcpu, expect_pamt,
//           expect_mirror
// Trace: every SEAMCALL of the op with its status name (status_name), every
// KVM event (pins, kicks, retries, -EAGAIN, KVM_BUG_ON), shared-EPT writes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "model/x86/tdx_kvm.hpp"
#include "properties/driver.hpp"
#include "properties/x86/tdx_checks.hpp"

namespace ptspec::props {

class TdxSession final : public Session {
 public:
  explicit TdxSession(const x86::tdx::TdConfig& cfg);

  StepReport step(const Op& op) override;
  std::string dump() const override;
  std::string walk_text(std::uint64_t addr) const override;
  Json walk_json(std::uint64_t addr) const override;
  std::uint64_t ops_run() const override { return ops_; }

  const x86::tdx::TdxKvm& kvm() const { return *kvm_; }
  bool raw() const { return raw_; }

 private:
  int run(const Op& op, StepReport& rep);
  int seamcall(const Op& op, StepReport& rep);
  int access(const Op& op, StepReport& rep, x86::tdx::TdxKvm& k, bool probe);
  int accept(const Op& op, StepReport& rep);
  void expect(const Op& op, StepReport& rep) const;
  void trace_new(StepReport& rep);
  void check(StepReport& rep);

  std::unique_ptr<x86::tdx::TdxKvm> kvm_;
  tdxcheck::RemoveAuditor auditor_{kvm_->config().finalized};
  std::size_t seen_seq_ = 0;   // history records already traced
  std::size_t seen_bugs_ = 0;  // KVM bugs already reported
  bool raw_ = false;
  std::uint64_t ops_ = 0;
};

}  // namespace ptspec::props
