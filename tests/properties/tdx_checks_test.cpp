// Each x86.tdx checker passes on a state KVM's own operations produced and
// fails on a state, event list or SEAMCALL history broken on purpose; the
// session through the driver holds on KVM's ops, reports a failed
// expectation, and each variant fails with a KVM_BUG_ON; bad arguments are
// InputErrors.
#include <gtest/gtest.h>

#include "model/core/errors.hpp"
#include "model/x86/tdx_kvm.hpp"
#include "properties/driver.hpp"
#include "properties/x86/tdx_checks.hpp"
#include "properties/x86/tdx_names.hpp"

namespace ptspec::props {
namespace {

using namespace tdxcheck;
namespace tdx = x86::tdx;
constexpr std::uint64_t kPage = 0x1000;

bool has(const Violations& v, const std::string& inv) {
  for (const auto& x : v)
    if (x.invariant == inv) return true;
  return false;
}

// A finalized TD with vCPU 0 running; gpa kPage mapped (AUG + ACCEPT) and
// read by vCPU 0, so its TLB holds the translation.
struct Fixture {
  tdx::TdxKvm k{tdx::make_td_config(48, 4, 2)};
  std::uint64_t hpa = 0;
  Fixture() {
    EXPECT_EQ(k.fault_in(kPage), 0);
    EXPECT_EQ(k.vcpu_enter(0), 0);
    EXPECT_EQ(k.vcpu_accept(0, kPage), tdx::kSuccess);
    const tdx::GuestAccessResult r = k.vcpu_access(0, kPage, tdx::AccessKind::Read);
    EXPECT_EQ(r.outcome, tdx::AccessOutcome::Translation);
    hpa = k.mirror_leaves().at(kPage);
  }
  Violations all() const {
    Violations v;
    const tdx::TdxModule& m = k.module();
    RemoveAuditor a(m.config().finalized);
    for (const auto& r : m.history()) a.feed(r, v);
    check_stale_tlb(m.vcpus(), m.epoch(), m.sept(), m.pamt(), v);
    check_mirror(k.mirror_leaves(), k.mirror_spts(), k.pending(), m.sept(), k.pins(), v);
    check_wbinvd(k.events(), k.pool_free(), m.pamt(), v);
    check_busy(k.pending(), k.mirror_leaves(), m.sept(), v);
    check_kvm_bugs(k.bugs(), 0, v);
    check_structure(m, v);
    return v;
  }
};

TEST(TdxChecks, AllPassAfterKvmOpsIncludingAZap) {
  Fixture f;
  EXPECT_TRUE(f.all().empty()) << f.all().front().detail;
  ASSERT_EQ(f.k.zap(kPage), 0);  // block, kick + track, remove, wbinvd, unpin
  const Violations v = f.all();
  EXPECT_TRUE(v.empty()) << v.front().detail;
}

TEST(TdxChecks, StaleTlbFailsWhenTheLeafIsGoneOrMapsAnotherPage) {
  Fixture f;
  const tdx::TdxModule& m = f.k.module();
  auto sept = m.sept();
  sept.erase(tdx::SeptKey{0, kPage});  // removed while vCPU 0 runs with the translation
  Violations v;
  check_stale_tlb(m.vcpus(), m.epoch(), sept, m.pamt(), v);
  EXPECT_TRUE(has(v, "stale-tlb"));
  auto pamt = m.pamt();
  pamt[f.hpa].owner = tdx::PageOwner::Removed;  // leaf still there, page no longer the TD's
  Violations w;
  check_stale_tlb(m.vcpus(), m.epoch(), m.sept(), pamt, w);
  EXPECT_TRUE(has(w, "stale-tlb"));
  // An outside vCPU whose next VP.ENTER flushes (older epoch) is not live.
  auto vcpus = m.vcpus();
  vcpus[0].state = tdx::VcpuState::Outside;
  Violations x;
  check_stale_tlb(vcpus, m.epoch() + 1, sept, m.pamt(), x);
  EXPECT_TRUE(x.empty());
  Violations y;  // ... but with no flush due it is
  check_stale_tlb(vcpus, m.epoch(), sept, m.pamt(), y);
  EXPECT_TRUE(has(y, "stale-tlb"));
}

tdx::SeamcallRecord rec(std::uint64_t seq, tdx::Seamcall c, std::uint64_t status = tdx::kSuccess, int vcpu = -1,
                        std::uint64_t epoch = 0) {
  tdx::SeamcallRecord r;
  r.seq = seq;
  r.call = c;
  r.status = status;
  r.vcpu = vcpu;
  r.gpa = kPage;
  r.epoch = epoch;
  return r;
}

TEST(TdxChecks, RemoveAuditorFollowsTheProtocolAndCatchesEachMissingStep) {
  using S = tdx::Seamcall;
  // The full order: finalize, enter (epoch 0), AUG, BLOCK, exit, TRACK (-> 1), REMOVE.
  auto run = [](const std::vector<tdx::SeamcallRecord>& h) {
    RemoveAuditor a;
    Violations v;
    for (const auto& r : h) a.feed(r, v);
    return v;
  };
  const std::vector<tdx::SeamcallRecord> good = {rec(0, S::MrFinalize), rec(1, S::VpEnter, 0, 0),
                                                 rec(2, S::PageAug),   rec(3, S::RangeBlock),
                                                 rec(4, S::TdExit, 0, 0), rec(5, S::Track, 0, -1, 1),
                                                 rec(6, S::PageRemove, 0, -1, 1)};
  EXPECT_TRUE(run(good).empty());
  // No BLOCK.
  auto h = good;
  h[3] = rec(3, S::RangeBlock, tdx::kSeptBusy);
  EXPECT_TRUE(has(run(h), "remove-protocol"));
  // No TRACK (it failed: the epoch stays 0).
  h = good;
  h[5] = rec(5, S::Track, tdx::kOperandBusy | tdx::kOperandIdTdEpoch, -1, 0);
  h[6].epoch = 0;
  EXPECT_TRUE(has(run(h), "remove-protocol"));
  // vCPU 0 never exited (TRACK-without-kick's shape; the record order kept).
  h = good;
  h[4] = rec(4, S::PageAccept, tdx::kSuccess, 0);
  EXPECT_TRUE(has(run(h), "remove-protocol"));
  // Before finalization nothing needs tracking.
  const std::vector<tdx::SeamcallRecord> early = {rec(0, S::PageAdd), rec(1, S::PageRemove)};
  EXPECT_TRUE(run(early).empty());
  // A TD created finalized: the rules apply without a TDH.MR.FINALIZE record.
  {
    RemoveAuditor a(true);
    Violations v;
    for (const auto& r : {rec(0, S::PageAug), rec(1, S::PageRemove)}) a.feed(r, v);
    EXPECT_TRUE(has(v, "remove-protocol"));
  }
  // A gap in the history.
  EXPECT_TRUE(has(run({rec(0, S::MrFinalize), rec(2, S::Track, 0, -1, 1)}), "remove-protocol"));
}

TEST(TdxChecks, MirrorFailsOnEitherSideAloneAndOnAStrayPin) {
  Fixture f;
  const tdx::TdxModule& m = f.k.module();
  auto leaves = f.k.mirror_leaves();
  leaves.erase(kPage);
  Violations v;
  check_mirror(leaves, f.k.mirror_spts(), f.k.pending(), m.sept(), f.k.pins(), v);
  EXPECT_TRUE(has(v, "mirror"));
  auto sept = m.sept();
  sept[tdx::SeptKey{0, kPage}].state = tdx::code(tdx::SeptState::Blocked);
  Violations w;
  check_mirror(f.k.mirror_leaves(), f.k.mirror_spts(), f.k.pending(), sept, f.k.pins(), w);
  EXPECT_TRUE(has(w, "mirror"));
  auto spts = f.k.mirror_spts();
  spts.erase(spts.begin());
  Violations x;
  check_mirror(f.k.mirror_leaves(), spts, f.k.pending(), m.sept(), f.k.pins(), x);
  EXPECT_TRUE(has(x, "mirror"));
  auto pins = f.k.pins();
  pins[0x1234'5000] = 1;
  Violations y;
  check_mirror(f.k.mirror_leaves(), f.k.mirror_spts(), f.k.pending(), m.sept(), pins, y);
  EXPECT_TRUE(has(y, "mirror"));
}

TEST(TdxChecks, WbinvdFailsOnAPageFreedOrReusedBeforeWbinvd) {
  Fixture f;
  const tdx::PamtEntry removed{tdx::PageOwner::Removed, kPage, 0};
  Violations v;
  check_wbinvd({tdx::KvmEvent{tdx::KvmEventKind::PageFree, f.hpa, 0, -1, tdx::PageOwner::Removed, 0, 0}}, {},
               f.k.module().pamt(), v);
  EXPECT_TRUE(has(v, "wbinvd"));
  Violations w;
  check_wbinvd({tdx::KvmEvent{tdx::KvmEventKind::PageAlloc, f.hpa, 0, -1, tdx::PageOwner::TdPrivate, 0, 0}}, {},
               f.k.module().pamt(), w);
  EXPECT_TRUE(has(w, "wbinvd"));
  Pamt pamt{{0x9000, removed}};
  Violations x;
  check_wbinvd({}, {0x9000}, pamt, x);
  EXPECT_TRUE(has(x, "wbinvd"));
}

TEST(TdxChecks, BusyFailsWhenARetriedOpLeftATrace) {
  Fixture f;
  const tdx::TdxModule& m = f.k.module();
  // A fault-in "being retried" on a page the module already augmented.
  std::map<std::uint64_t, tdx::PendingOp> pending{{kPage, tdx::PendingOp::FaultIn}};
  std::map<std::uint64_t, std::uint64_t> no_leaves;
  Violations v;
  check_busy(pending, no_leaves, m.sept(), v);
  EXPECT_TRUE(has(v, "busy-consistent"));
  // A zap being retried whose BLOCK did happen.
  auto sept = m.sept();
  sept[tdx::SeptKey{0, kPage}].state = tdx::code(tdx::SeptState::Blocked);
  Violations w;
  check_busy({{kPage, tdx::PendingOp::Zap}}, f.k.mirror_leaves(), sept, w);
  EXPECT_TRUE(has(w, "busy-consistent"));
  Violations x;  // the real zap retry state passes
  check_busy({{kPage, tdx::PendingOp::Zap}}, f.k.mirror_leaves(), m.sept(), x);
  EXPECT_TRUE(x.empty());
}

TEST(TdxChecks, KvmBugAndStructureFail) {
  Violations v;
  check_kvm_bugs({tdx::KvmBug{"zap_private_spte: TDH.MEM.RANGE.BLOCK", tdx::kEptWalkFailed, kPage, 3}}, 0, v);
  EXPECT_TRUE(has(v, "kvm-bug"));
  Violations none;
  check_kvm_bugs({tdx::KvmBug{}}, 1, none);  // already reported
  EXPECT_TRUE(none.empty());
  Fixture f;
  const tdx::TdxModule& m = f.k.module();
  auto pamt = m.pamt();
  pamt.erase(f.hpa);  // the TD's page back with the host while the leaf maps it
  Violations w;
  check_pamt(m.sept(), pamt, m.root_sept_hpa(), w);
  EXPECT_TRUE(has(w, "structure"));
  pamt = m.pamt();
  pamt[0x7000] = tdx::PamtEntry{tdx::PageOwner::TdPrivate, 0x5000, 0};  // owned by the TD, used by no entry
  Violations x;
  check_pamt(m.sept(), pamt, m.root_sept_hpa(), x);
  EXPECT_TRUE(has(x, "structure"));
}

// ---- the session through the driver ----

ReplayResult run_case(const std::string& ops, const std::string& variant = "") {
  const Case c = parse_case(Json::parse(R"({"schema": 1, "format": "x86.tdx", "config": {"gpaw": 48, "vcpus": 2},
      "ops": )" + ops + R"(, "expect": {"holds": true}})"),
                            "test");
  ReplayOptions o;
  o.variant = variant;
  return replay(c, o);
}

const char* kZapWhileRunning = R"([{"op": "fault_in", "gpa": "0x1000"}, {"op": "enter", "vcpu": 0},
    {"op": "accept", "vcpu": 0, "gpa": "0x1000", "status": "SUCCESS"},
    {"op": "access", "vcpu": 0, "gpa": "0x1000", "access": "write", "outcome": "translation"},
    {"op": "zap", "gpa": "0x1000"}])";

TEST(TdxSession, CorrectModelHoldsAndEachVariantHitsKvmBug) {
  const ReplayResult ok = run_case(kZapWhileRunning);
  EXPECT_TRUE(ok.holds) << (ok.violations.empty() ? "" : ok.violations.front().detail);
  for (const char* v : {"remove-before-track", "track-without-kick"}) {
    const ReplayResult r = run_case(kZapWhileRunning, v);
    ASSERT_FALSE(r.holds) << v;
    EXPECT_TRUE(has(r.violations, "kvm-bug")) << v;
  }
  const ReplayResult z = run_case(R"([{"op": "fault_in", "gpa": "0x1000"}, {"op": "inject_busy", "lock": "sept"},
      {"op": "zap", "gpa": "0x1000"}])",
                                  "zap-busy-as-success");
  ASSERT_FALSE(z.holds);
  EXPECT_TRUE(has(z.violations, "kvm-bug"));
  EXPECT_TRUE(run_case(R"([{"op": "fault_in", "gpa": "0x1000"}, {"op": "inject_busy", "lock": "sept"},
      {"op": "zap", "gpa": "0x1000", "expect": "-EAGAIN"}, {"op": "zap", "gpa": "0x1000", "expect": 0}])")
                  .holds);
}

TEST(TdxSession, FailedExpectationsAreReported) {
  const ReplayResult r = run_case(R"([{"op": "fault_in", "gpa": "0x1000"},
      {"op": "expect_state", "gpa": "0x1000", "state": "MAPPED"}])");
  ASSERT_FALSE(r.holds);
  EXPECT_EQ(r.violations.front().invariant, "expectation");
  EXPECT_FALSE(run_case(R"([{"op": "tlb_remote_flush"}, {"op": "expect_epoch", "epoch": 2}])").holds);
  EXPECT_FALSE(run_case(R"([{"op": "seamcall", "call": "track", "status": "OPERAND_BUSY|TD_EPOCH"}])").holds);
  EXPECT_TRUE(run_case(R"([{"op": "seamcall", "call": "track", "status": "SUCCESS"},
      {"op": "expect_status", "call": "track", "status": "0"}, {"op": "expect_epoch", "epoch": 1}])")
                  .holds);
}

TEST(TdxSession, BadArgumentsAreInputErrors) {
  EXPECT_THROW(run_case(R"([{"op": "enter", "vcpu": 5}])"), InputError);
  EXPECT_THROW(run_case(R"([{"op": "expect_state", "gpa": "0x1000", "state": "MAPPD"}])"), InputError);
  EXPECT_THROW(run_case(R"([{"op": "seamcall", "call": "page_aug", "gpa": "0x1000"}])"), InputError);
  EXPECT_THROW(run_case(R"([{"op": "accept", "vcpu": 0, "gpa": "0x1000", "status": "NOT_A_STATUS"}])"), InputError);
  EXPECT_THROW(run_case(R"([{"op": "mmio", "gpa": "0x1000"}])"), InputError);
  EXPECT_THROW(run_case("[]", "no-such-variant"), InputError);
  const Driver* d = find_driver("x86.tdx");
  ASSERT_NE(d, nullptr);
  EXPECT_THROW(d->check_config(Json{{"gpaw", 52}, {"ept_levels", 4}}, "c.json"), InputError);
  EXPECT_THROW(d->check_config(Json{{"vcpus", 9}}, "c.json"), InputError);
  EXPECT_THROW(d->check_config(Json{{"gpa_width", 48}}, "c.json"), InputError);
  EXPECT_THROW(d->check_config(Json{{"finalized", 1}}, "c.json"), InputError);
}

TEST(TdxNames, StatusesParseAsTheyPrint) {
  for (std::uint64_t s : {tdx::kSuccess, tdx::kSeptBusy, tdx::kTlbTrackingNotDone, tdx::kOperandBusy | tdx::kOperandIdRcx,
                          tdx::kPreviousTlbEpochBusy, tdx::kEptPageNotFree | tdx::kOperandIdRcx})
    EXPECT_EQ(tdxnames::parse_status(tdx::status_name(s), "t"), s) << tdx::status_name(s);
  EXPECT_EQ(tdxnames::parse_status("0xc0000b0800000000", "t"), tdx::kTlbTrackingNotDone);
  EXPECT_EQ(tdxnames::parse_status("OPERAND_BUSY|0x77", "t"), tdx::kOperandBusy | 0x77);
  EXPECT_THROW(tdxnames::parse_status("OPERAND_BUSY|NOPE", "t"), InputError);
}

}  // namespace
}  // namespace ptspec::props
