// An x86.tdx session (tdx_session.hpp): each op runs on TdxKvm, then the
// checkers of tdx_checks.hpp run over the whole TD.
#include "properties/x86/tdx_session.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "model/core/errors.hpp"
#include "model/x86/tdx_gpa.hpp"
#include "properties/step_common.hpp"
#include "properties/x86/tdx_names.hpp"

namespace ptspec::props {

namespace {

namespace tdx = x86::tdx;
namespace nm = tdxnames;

void fail(StepReport& rep, std::string s) { rep.violations.push_back({"expectation", std::move(s)}); }

unsigned vcpu_of(const Op& op) { return static_cast<unsigned>(arg_u64(op, "vcpu")); }

}  // namespace

TdxSession::TdxSession(const tdx::TdConfig& cfg) : kvm_(std::make_unique<tdx::TdxKvm>(cfg)) {
  kvm_->clear_events();
  kvm_->shared_ept().log().clear();
}

StepReport TdxSession::step(const Op& op) {
  StepReport rep;
  rep.op_index = op.index;
  rep.op_text = op_text(op);
  int ret = 0;
  const bool threw = !run_guarded(op, false, rep, [&] { ret = run(op, rep); });
  rep.ret = ret;
  trace_new(rep);
  check_expect(op, ret, rep);
  if (!threw) check(rep);
  prefix_violations(op, rep);
  ++ops_;
  return rep;
}

int TdxSession::run(const Op& op, StepReport& rep) {
  tdx::TdxKvm& k = *kvm_;
  const std::string& n = op.name;
  if (n == "finalize") return k.finalize();
  if (n == "fault_in") return k.fault_in(arg_u64(op, "gpa"));
  if (n == "zap") return k.zap(arg_u64(op, "gpa"));
  if (n == "mmio") {
    try {
      k.add_mmio(arg_u64(op, "gpa"));
    } catch (const InputError& e) {
      throw InputError(fmt::format("ops[{}].gpa: {}", op.index, e.what()));
    }
    return 0;
  }
  if (n == "tlb_remote_flush") return k.tlb_remote_flush();
  if (n == "enter" || n == "exit" || n == "kick") {
    const unsigned v = vcpu_of(op);
    if (v >= k.config().vcpus)
      throw InputError(fmt::format("ops[{}].vcpu: {} (the TD has vCPUs 0..{})", op.index, v, k.config().vcpus - 1));
    const bool running = k.module().vcpu(v).running();
    if (n == "enter") {
      if (running) {
        rep.trace.push_back(fmt::format("vcpu{} is already running: nothing done", v));
        return kEinval;
      }
      return k.vcpu_enter(v);
    }
    const bool left = n == "exit" ? k.vcpu_exit(v) : k.kick(v);
    if (!left) rep.trace.push_back(fmt::format("vcpu{} is not running: nothing done", v));
    return left ? 0 : kEinval;
  }
  if (n == "access") return access(op, rep, k, false);
  if (n == "accept") return accept(op, rep);
  if (n == "seamcall") return seamcall(op, rep);
  if (n == "inject_busy") {
    tdx::TdxLock lock{};
    tdx::tdx_lock_from_name(arg_string(op, "lock"), lock);
    try {
      k.module().inject_busy(lock, static_cast<unsigned>(arg_u64(op, "count", 1)));
    } catch (const InputError& e) {
      throw InputError(fmt::format("ops[{}].count: {}", op.index, e.what()));
    }
    rep.trace.push_back(fmt::format("next {} acquisition(s) of the {} lock fail with OPERAND_BUSY",
                                    k.module().busy_pending(lock), arg_string(op, "lock")));
    return 0;
  }
  if (n == "expect_access") {
    // A probe: the access runs on a copy of the whole TD, so it fills no TLB
    // and makes no vCPU exit.
    tdx::TdxKvm copy = k;
    return access(op, rep, copy, true);
  }
  if (n.starts_with("expect_")) {
    expect(op, rep);
    return 0;
  }
  throw InputError(fmt::format("ops[{}].op: the x86.tdx session has no op \"{}\"", op.index, n));
}

int TdxSession::access(const Op& op, StepReport& rep, tdx::TdxKvm& k, bool probe) {
  const unsigned v = vcpu_of(op);
  const std::uint64_t gpa = arg_u64(op, "gpa");
  const std::string kind = arg_string(op, "access", "read");
  if (v >= k.config().vcpus)
    throw InputError(fmt::format("ops[{}].vcpu: {} (the TD has vCPUs 0..{})", op.index, v, k.config().vcpus - 1));
  if (!k.module().vcpu(v).running()) {
    rep.trace.push_back(fmt::format("vcpu{} is not running: no access", v));
    if (probe) fail(rep, fmt::format("vcpu{} is not running: nothing to probe", v));
    return kEinval;
  }
  const tdx::GuestAccessResult r = k.vcpu_access(v, gpa, nm::access_from_key(kind));
  const std::string got = tdx::access_outcome_name(r.outcome);
  rep.trace.push_back(fmt::format("{}vcpu{} {} {:#x} ({}): {}{}{} -- {}", probe ? "probe: " : "", v, kind, gpa,
                                  tdx::gpa_route_name(r.route), got,
                                  r.outcome == tdx::AccessOutcome::Translation ? fmt::format(" hpa {:#x}", r.hpa)
                                                                               : std::string(),
                                  r.tlb_hit ? " (TLB hit)" : "", r.why));
  if (has_arg(op, "outcome") && arg_string(op, "outcome") != got)
    fail(rep, fmt::format("gpa {:#x}: outcome {} expected, got {}", gpa, arg_string(op, "outcome"), got));
  if (has_arg(op, "hpa") && (r.outcome != tdx::AccessOutcome::Translation || r.hpa != arg_u64(op, "hpa")))
    fail(rep, fmt::format("gpa {:#x}: hpa {:#x} expected, got {} {:#x}", gpa, arg_u64(op, "hpa"), got, r.hpa));
  if (has_arg(op, "tlb_hit") && arg_bool(op, "tlb_hit") != r.tlb_hit)
    fail(rep, fmt::format("gpa {:#x}: {} expected", gpa, r.tlb_hit ? "a walk" : "a TLB hit"));
  return 0;
}

int TdxSession::accept(const Op& op, StepReport& rep) {
  const unsigned v = vcpu_of(op);
  tdx::TdxKvm& k = *kvm_;
  // The expected status is checked as input first, whatever the vCPU's state.
  const std::uint64_t want =
      has_arg(op, "status") ? nm::parse_status(arg_string(op, "status"), fmt::format("ops[{}].status", op.index)) : 0;
  if (v >= k.config().vcpus)
    throw InputError(fmt::format("ops[{}].vcpu: {} (the TD has vCPUs 0..{})", op.index, v, k.config().vcpus - 1));
  if (!k.module().vcpu(v).running()) {
    rep.trace.push_back(fmt::format("vcpu{} is not running: no ACCEPT", v));
    return kEinval;
  }
  const std::uint64_t gpa = arg_u64(op, "gpa");
  if (tdx::route_of(k.config().gpaw, gpa) != tdx::GpaRoute::Private)
    throw InputError(fmt::format("ops[{}].gpa: {:#x} is not a private GPA (TDG.MEM.PAGE.ACCEPT takes private ones)",
                                 op.index, gpa));
  bool exited = false;
  const std::uint64_t s = k.vcpu_accept(v, gpa & ~std::uint64_t{0xfff}, &exited);
  if (exited) rep.trace.push_back(fmt::format("vcpu{}: EPT-violation TD exit (KVM may now map the page)", v));
  if (has_arg(op, "status") && want != s)
    fail(rep, fmt::format("ACCEPT of {:#x}: {} expected, got {}", gpa, tdx::status_name(want), tdx::status_name(s)));
  return 0;
}

int TdxSession::seamcall(const Op& op, StepReport& rep) {
  tdx::TdxModule& m = kvm_->module();
  const std::string call = arg_string(op, "call");
  const std::uint64_t gpa = arg_u64(op, "gpa");
  const auto level = static_cast<unsigned>(arg_u64(op, "level"));
  const std::uint64_t hpa = arg_u64(op, "hpa");
  auto need_hpa = [&] {
    if (!has_arg(op, "hpa")) throw InputError(fmt::format("ops[{}].hpa: {} needs an hpa", op.index, call));
  };
  const std::uint64_t want =
      has_arg(op, "status") ? nm::parse_status(arg_string(op, "status"), fmt::format("ops[{}].status", op.index)) : 0;
  if (!raw_)
    rep.trace.push_back("raw SEAMCALL (not through KVM): the mirror and busy-consistent checks are off from here");
  raw_ = true;
  std::uint64_t s = 0;
  if (call == "sept_add") need_hpa(), s = m.sept_add(gpa, level, hpa);
  else if (call == "page_add") need_hpa(), s = m.page_add(gpa, level, hpa);
  else if (call == "page_aug") need_hpa(), s = m.page_aug(gpa, level, hpa);
  else if (call == "range_block") s = m.range_block(gpa, level);
  else if (call == "range_unblock") s = m.range_unblock(gpa, level);
  else if (call == "track") s = m.track();
  else if (call == "page_remove") s = m.page_remove(gpa, level);
  else if (call == "sept_remove") s = m.sept_remove(gpa, level);
  else if (call == "wbinvd") need_hpa(), s = m.phymem_page_wbinvd(hpa);
  else if (call == "finalize") s = m.mr_finalize();
  else throw InputError(fmt::format("ops[{}].call: \"{}\" is not a host SEAMCALL", op.index, call));
  if (has_arg(op, "status") && want != s)
    fail(rep, fmt::format("{}: {} expected, got {}", call, tdx::status_name(want), tdx::status_name(s)));
  return 0;
}

void TdxSession::expect(const Op& op, StepReport& rep) const {
  const tdx::TdxKvm& k = *kvm_;
  const tdx::TdxModule& m = k.module();
  const std::string where = fmt::format("ops[{}]", op.index);
  const std::string& n = op.name;
  if (n == "expect_state") {
    const auto level = static_cast<unsigned>(arg_u64(op, "level"));
    const std::uint64_t gpa = arg_u64(op, "gpa");
    const std::uint64_t want = nm::parse_state(arg_string(op, "state"), where + ".state");
    const tdx::SeptEntry e = m.entry(level, gpa);
    if (e.state != want)
      fail(rep, fmt::format("SEPT level {} gpa {:#x} is {}, the case expects {}", level, gpa, nm::state_text(e.state),
                            nm::state_text(want)));
    if (has_arg(op, "hpa") && e.hpa != arg_u64(op, "hpa"))
      fail(rep, fmt::format("SEPT level {} gpa {:#x} maps {:#x}, the case expects {:#x}", level, gpa, e.hpa,
                            arg_u64(op, "hpa")));
  } else if (n == "expect_status") {
    const std::string call = arg_string(op, "call");
    const tdx::Seamcall c = nm::call_from_key(call, where + ".call");
    const std::uint64_t want = nm::parse_status(arg_string(op, "status"), where + ".status");
    const auto& h = m.history();
    auto it = std::find_if(h.rbegin(), h.rend(), [c](const tdx::SeamcallRecord& r) { return r.call == c; });
    if (it == h.rend()) fail(rep, fmt::format("no {} in the history", tdx::seamcall_name(c)));
    else if (it->status != want)
      fail(rep, fmt::format("last {} (#{}) returned {}, the case expects {}", tdx::seamcall_name(c), it->seq,
                            tdx::status_name(it->status), tdx::status_name(want)));
  } else if (n == "expect_epoch") {
    if (m.epoch() != arg_u64(op, "epoch"))
      fail(rep, fmt::format("TD epoch {}, the case expects {}", m.epoch(), arg_u64(op, "epoch")));
    for (unsigned p = 0; p < 2; ++p) {
      const std::string f = fmt::format("running{}", p);
      if (has_arg(op, f) && m.parity_count(p) != arg_u64(op, f))
        fail(rep, fmt::format("{} vCPU(s) run in parity-{} epochs, the case expects {}", m.parity_count(p), p,
                              arg_u64(op, f)));
    }
  } else if (n == "expect_vcpu") {
    const unsigned v = vcpu_of(op);
    const tdx::TdxVcpu& vc = m.vcpu(v);
    if (has_arg(op, "state") && arg_string(op, "state") != tdx::vcpu_state_name(vc.state))
      fail(rep, fmt::format("vcpu{} is {}, the case expects {}", v, tdx::vcpu_state_name(vc.state),
                            arg_string(op, "state")));
    if (has_arg(op, "epoch") && vc.epoch != arg_u64(op, "epoch"))
      fail(rep, fmt::format("vcpu{} epoch {}, the case expects {}", v, vc.epoch, arg_u64(op, "epoch")));
    if (has_arg(op, "tlb_entries") && vc.tlb.size() != arg_u64(op, "tlb_entries"))
      fail(rep, fmt::format("vcpu{} TLB holds {} translation(s), the case expects {}", v, vc.tlb.size(),
                            arg_u64(op, "tlb_entries")));
    if (has_arg(op, "holds") && !vc.tlb.count(arg_u64(op, "holds") & ~std::uint64_t{0xfff}))
      fail(rep, fmt::format("vcpu{} TLB holds no translation of {:#x}", v, arg_u64(op, "holds")));
    if (has_arg(op, "exit") && arg_string(op, "exit") != tdx::exit_reason_name(vc.last_exit))
      fail(rep, fmt::format("vcpu{} last exit {}, the case expects {}", v, tdx::exit_reason_name(vc.last_exit),
                            arg_string(op, "exit")));
  } else if (n == "expect_pamt") {
    const tdx::PamtEntry p = m.pamt_of(arg_u64(op, "hpa"));
    if (arg_string(op, "owner") != tdx::page_owner_name(p.owner))
      fail(rep, fmt::format("PAMT: page {:#x} is {}, the case expects {}", arg_u64(op, "hpa"),
                            tdx::page_owner_name(p.owner), arg_string(op, "owner")));
  } else if (n == "expect_mirror") {
    const std::uint64_t page = arg_u64(op, "gpa") & ~std::uint64_t{0xfff};
    auto it = k.mirror_leaves().find(page);
    const bool present = it != k.mirror_leaves().end();
    if (has_arg(op, "present") && arg_bool(op, "present") != present)
      fail(rep, fmt::format("mirror {} gpa {:#x}", present ? "maps" : "does not map", page));
    if (has_arg(op, "hpa") && (!present || it->second != arg_u64(op, "hpa")))
      fail(rep, fmt::format("mirror: gpa {:#x} -> {:#x} expected, got {}", page, arg_u64(op, "hpa"),
                            present ? hex(it->second) : std::string("nothing")));
    if (has_arg(op, "pending")) {
      auto p = k.pending().find(page);
      const std::string got = p == k.pending().end() ? "none" : tdx::pending_op_name(p->second);
      if (got != arg_string(op, "pending"))
        fail(rep, fmt::format("gpa {:#x}: KVM retry pending {}, the case expects {}", page, got,
                              arg_string(op, "pending")));
    }
  } else {
    throw InputError(fmt::format("{}.op: the x86.tdx session has no op \"{}\"", where, n));
  }
}

void TdxSession::trace_new(StepReport& rep) {
  const auto& h = kvm_->module().history();
  for (std::size_t i = seen_seq_; i < h.size(); ++i) rep.trace.push_back("seamcall " + tdx::describe(h[i]));
  for (const tdx::KvmEvent& e : kvm_->events()) rep.trace.push_back("kvm      " + tdx::describe(e));
  rep.events = kvm_->shared_ept().log().events();
  trace_events(rep, rep.events, nullptr, "shared   ");
}

void TdxSession::check(StepReport& rep) {
  tdx::TdxKvm& k = *kvm_;
  const tdx::TdxModule& m = k.module();
  const auto& h = m.history();
  for (std::size_t i = seen_seq_; i < h.size(); ++i) auditor_.feed(h[i], rep.violations);
  seen_seq_ = h.size();
  tdxcheck::check_kvm_bugs(k.bugs(), seen_bugs_, rep.violations);
  seen_bugs_ = k.bugs().size();
  tdxcheck::check_stale_tlb(m.vcpus(), m.epoch(), m.sept(), m.pamt(), rep.violations);
  tdxcheck::check_wbinvd(k.events(), k.pool_free(), m.pamt(), rep.violations);
  if (!raw_) {
    tdxcheck::check_mirror(k.mirror_leaves(), k.mirror_spts(), k.pending(), m.sept(), k.pins(), rep.violations);
    tdxcheck::check_busy(k.pending(), k.mirror_leaves(), m.sept(), rep.violations);
  }
  tdxcheck::check_structure(m, rep.violations);
  k.clear_events();
  k.shared_ept().log().clear();
}

std::string TdxSession::dump() const {
  std::string out = kvm_->dump();
  if (raw_) out += "(raw SEAMCALLs were made: the mirror is KVM's view only)\n";
  return out;
}

std::string TdxSession::walk_text(std::uint64_t addr) const {
  const tdx::TdxKvm& k = *kvm_;
  const tdx::TdConfig& c = k.config();
  const tdx::GpaRoute route = tdx::route_of(c.gpaw, addr);
  std::string out = fmt::format("gpa {:#x}: {} (GPAW {}, shared bit {})\n", addr, tdx::gpa_route_name(route), c.gpaw,
                                c.shared_bit());
  if (route == tdx::GpaRoute::Private) {
    for (unsigned l = k.module().top_level() + 1; l-- > 0;) {
      const tdx::SeptEntry e = k.module().entry(l, addr);
      out += fmt::format("  Secure EPT level {}: {}{}\n", l, nm::state_text(e.state),
                         e.state == tdx::code(tdx::SeptState::Free) ? std::string() : fmt::format(" -> {:#x}", e.hpa));
      if (l > 0 && !tdx::is_non_leaf(Concrete{}, e.state)) break;
    }
    auto it = k.mirror_leaves().find(addr & ~std::uint64_t{0xfff});
    out += it == k.mirror_leaves().end() ? "  mirror: not mapped\n" : fmt::format("  mirror: -> {:#x}\n", it->second);
  } else if (route == tdx::GpaRoute::Shared) {
    const x86::EptWalkResult w = k.shared_ept().walk(addr, x86::EptAccess{});
    out += fmt::format("  shared EPT read: {} at level {} (entry {:#018x}){}\n", x86::ept_outcome_key(w.outcome),
                       w.level, w.entry,
                       w.outcome == x86::EptOutcome::Translation ? fmt::format(" hpa {:#x}", w.hpa) : std::string());
  }
  return out;
}

Json TdxSession::walk_json(std::uint64_t addr) const {
  const tdx::TdxKvm& k = *kvm_;
  const tdx::GpaRoute route = tdx::route_of(k.config().gpaw, addr);
  Json j = {{"addr", hex(addr)}, {"route", tdx::gpa_route_name(route)}};
  if (route == tdx::GpaRoute::Private) {
    Json levels = Json::array();
    for (unsigned l = k.module().top_level() + 1; l-- > 0;) {
      const tdx::SeptEntry e = k.module().entry(l, addr);
      levels.push_back({{"level", l}, {"state", nm::state_text(e.state)}, {"hpa", hex(e.hpa)}});
      if (l > 0 && !tdx::is_non_leaf(Concrete{}, e.state)) break;
    }
    j["sept"] = levels;
    auto it = k.mirror_leaves().find(addr & ~std::uint64_t{0xfff});
    j["mirror"] = it == k.mirror_leaves().end() ? Json(nullptr) : Json(hex(it->second));
  } else if (route == tdx::GpaRoute::Shared) {
    const x86::EptWalkResult w = k.shared_ept().walk(addr, x86::EptAccess{});
    j["shared"] = {{"outcome", x86::ept_outcome_key(w.outcome)}, {"level", w.level}, {"entry", hex(w.entry)},
                   {"hpa", hex(w.hpa)}};
  }
  return j;
}

}  // namespace ptspec::props
