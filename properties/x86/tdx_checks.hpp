// The invariant checkers of x86.tdx, run by the session after every op
// (issue 5 "Checks"; ../shared/reference/x86-tdx-sept.md "The safety
// property"; DESIGN.md "TLB discipline ... TDX"). Free functions over the
// model's plain containers, so a unit test can hand each one a broken state
// and watch it fail (tests/properties/tdx_checks_test.cpp). Invariant names
// (properties/driver.hpp):
//   stale-tlb        a vCPU whose TLB is live (running, or outside with no
//                    flush due at its next VP.ENTER) holds a translation of a
//                    private GPA whose Secure EPT leaf is gone or maps another
//                    page, or whose page the PAMT no longer gives to that GPA
//                    (removed, handed back to the host, reused)
//   remove-protocol  a successful PAGE.REMOVE / SEPT.REMOVE of a finalized TD
//                    without, in the SEAMCALL history: a successful BLOCK of
//                    that entry since it was last mapped or unblocked, a TRACK
//                    that moved the TD epoch past the block epoch, and the exit
//                    of every vCPU that entered in an epoch <= the block epoch.
//                    Recomputed from the history alone (RemoveAuditor), not from
//                    the module's own TLB_TRACKING_NOT_DONE check
//   mirror           KVM's mirror (TDP MMU view: private leaves and linked SPT
//                    pages) and the Secure EPT disagree outside the pages KVM
//                    is still retrying; a pinned page no mirror leaf maps
//   wbinvd           a page handed back to the host pool, or taken from it,
//                    while the PAMT still gives it to the TD or marks it
//                    removed-but-not-WBINVDed; a pool page not owned by the host
//   busy-consistent  a fault-in KVM is retrying (it got -EAGAIN from a BUSY)
//                    left a trace in the module or the mirror, or a zap it is
//                    retrying left the leaf blocked or unmapped
//   kvm-bug          KVM hit KVM_BUG_ON (a SEAMCALL KVM does not expect failed)
//   structure        the module's per-parity counts of running vCPUs differ from
//                    the vCPUs; a Secure EPT entry's page not owned by the TD in
//                    the PAMT (or a TD-owned PAMT page no entry uses)
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "model/x86/tdx_kvm.hpp"
#include "model/x86/tdx_module.hpp"
#include "properties/driver.hpp"

namespace ptspec::props::tdxcheck {

using Violations = std::vector<Violation>;
using Sept = std::map<x86::tdx::SeptKey, x86::tdx::SeptEntry>;
using Pamt = std::map<std::uint64_t, x86::tdx::PamtEntry>;

// A vCPU's TLB is live when it is running, or when it is outside and its
// next VP.ENTER will not flush it (entered, epoch >= the TD epoch).
bool tlb_live(const x86::tdx::TdxVcpu& v, std::uint64_t td_epoch);

void check_stale_tlb(const std::vector<x86::tdx::TdxVcpu>& vcpus, std::uint64_t td_epoch, const Sept& sept,
                     const Pamt& pamt, Violations& out);

// Replays the SEAMCALL history record by record, keeping its own view of
// finalization, vCPU entries/exits, the epoch and each entry's block epoch.
class RemoveAuditor {
 public:
  // `finalized_at_start`: the TD was created finalized (TdConfig::finalized);
  // a TDH.MR.FINALIZE record in the history also sets it.
  explicit RemoveAuditor(bool finalized_at_start = false) : finalized_(finalized_at_start) {}
  // Records must come in history order (seq 0, 1, ...); a gap is reported.
  void feed(const x86::tdx::SeamcallRecord& r, Violations& out);
  std::uint64_t fed() const { return next_seq_; }

 private:
  struct Running {
    std::uint64_t epoch = 0;  // epoch the vCPU entered in
  };
  struct Blocked {
    std::uint64_t bepoch = 0;
  };
  bool finalized_ = false;
  std::uint64_t epoch_ = 0;
  std::uint64_t next_seq_ = 0;
  std::map<int, Running> running_;
  std::map<x86::tdx::SeptKey, Blocked> blocked_;
};

// `pending`: the pages KVM is still retrying (TdxKvm::pending()).
void check_mirror(const std::map<std::uint64_t, std::uint64_t>& mirror_leaves,
                  const std::map<x86::tdx::SeptKey, std::uint64_t>& mirror_spts,
                  const std::map<std::uint64_t, x86::tdx::PendingOp>& pending, const Sept& sept,
                  const std::map<std::uint64_t, std::uint64_t>& pins, Violations& out);

// `events`: one op's KVM events; `pool_free`: pages in the host pool.
void check_wbinvd(const std::vector<x86::tdx::KvmEvent>& events, const std::vector<std::uint64_t>& pool_free,
                  const Pamt& pamt, Violations& out);

void check_busy(const std::map<std::uint64_t, x86::tdx::PendingOp>& pending,
                const std::map<std::uint64_t, std::uint64_t>& mirror_leaves, const Sept& sept, Violations& out);

// Reports bugs[first..]: the ones new since the last check.
void check_kvm_bugs(const std::vector<x86::tdx::KvmBug>& bugs, std::size_t first, Violations& out);

void check_structure(const x86::tdx::TdxModule& m, Violations& out);
// The PAMT half of check_structure over plain maps (unit-testable).
void check_pamt(const Sept& sept, const Pamt& pamt, std::uint64_t root_hpa, Violations& out);

}  // namespace ptspec::props::tdxcheck
