// An x86.shadow session (shadow_session.hpp): each op runs on the shadow
// MMU, then the four checks of the model run (ShadowMmu::check_*).
#include "properties/x86/shadow_session.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"
#include "properties/step_common.hpp"

namespace ptspec::props {

namespace {

namespace pg = x86::paging;
using x86::shadow::FaultOutcome;

// The paging context a "context" op names (SDM Vol. 3A Table 4-1).
x86::PagingContext context_of(const Op& op) {
  const std::string mode = arg_string(op, "mode");
  x86::PagingContext c;
  c.cr0_pg = true;
  c.cr4_pae = mode != "32-bit" && mode != "32-bit-pse";
  c.cr4_pse = mode == "32-bit-pse";
  c.efer_lma = mode == "4-level" || mode == "5-level";
  c.cr4_la57 = mode == "5-level";
  c.cr0_wp = arg_bool(op, "wp");
  c.efer_nxe = arg_bool(op, "nxe");
  c.cr4_smep = arg_bool(op, "smep");
  c.cr4_smap = arg_bool(op, "smap");
  c.cpl = static_cast<unsigned>(arg_u64(op, "cpl", 0));
  return c;
}

pg::AccessKind access_of(const std::string& s) {
  return s == "write" ? pg::AccessKind::Write : s == "fetch" ? pg::AccessKind::Fetch : pg::AccessKind::Read;
}

}  // namespace

ShadowSession::ShadowSession(const ShadowSessionConfig& cfg) {
  const std::uint64_t base = guest_.alloc_contiguous(kGuestPages, Zone::Low);
  if (base != kGuestBase) throw std::logic_error("shadow session: guest window not at its fixed GPA");
  mmu_ = std::make_unique<x86::shadow::ShadowMmu>(guest_, host_, cfg.mmu);
}

StepReport ShadowSession::step(const Op& op) {
  StepReport rep;
  rep.op_index = op.index;
  rep.op_text = op_text(op);
  hlog_.clear();
  glog_.clear();
  int ret = 0;
  const bool threw = !run_guarded(op, false, rep, [&] { ret = run(op, rep); });
  rep.ret = ret;
  rep.events = hlog_.events();
  trace_events(rep, glog_.events(), nullptr, "guest  ");
  trace_events(rep, hlog_.events(), nullptr, "shadow ");
  check_expect(op, ret, rep);
  if (!threw) check(rep);
  prefix_violations(op, rep);
  ++ops_;
  return rep;
}

int ShadowSession::run(const Op& op, StepReport& rep) {
  const std::string& n = op.name;
  if (n == "context") {
    context(op, rep);
  } else if (n == "write") {
    const std::uint64_t gpa = arg_u64(op, "gpa");
    const auto bytes = static_cast<unsigned>(arg_u64(op, "bytes", 8));
    if (bytes != 4 && bytes != 8) throw InputError(fmt::format("ops[{}].bytes: {} (must be 4 or 8)", op.index, bytes));
    if (bytes == 4 && (arg_u64(op, "value") >> 32))
      throw InputError(fmt::format("ops[{}].value: wider than the 4 bytes written", op.index));
    mmu_->write_guest(gpa, bytes, arg_u64(op, "value"));
  } else if (n == "fault") {
    if (!has_context_) throw InputError(fmt::format("ops[{}] fault: no context op before it", op.index));
    fault(op, rep);
  } else if (n == "expect_root") {
    expect_root(op, rep);
  } else if (n == "expect_walk") {
    expect_walk(op, rep);
  } else if (n == "expect_pages") {
    const std::uint64_t live = mmu_->pages().size();
    if (live != arg_u64(op, "count"))
      rep.violations.push_back(
          {"expectation", fmt::format("{} shadow pages, the case expects {}", live, arg_u64(op, "count"))});
  } else {
    throw InputError(fmt::format("ops[{}].op: the x86.shadow session has no op \"{}\"", op.index, n));
  }
  return 0;
}

void ShadowSession::context(const Op& op, StepReport& rep) {
  const x86::PagingContext c = context_of(op);
  const bool ok = mmu_->set_context(c, arg_u64(op, "cr3", kGuestBase));
  has_context_ = has_context_ || ok;
  const char* got = ok ? "ok" : "gp";
  rep.trace.push_back(fmt::format("context {}: {}; root {:#x} role {}", arg_string(op, "mode"),
                                  ok ? "loaded" : "#GP (a present PDPTE with a reserved bit; nothing changed)",
                                  mmu_->root(), x86::shadow::role_text(mmu_->root_role())));
  if (has_arg(op, "outcome") && arg_string(op, "outcome") != got)
    rep.violations.push_back({"expectation", fmt::format("outcome {} expected, got {}", arg_string(op, "outcome"), got)});
}

void ShadowSession::fault(const Op& op, StepReport& rep) {
  const std::uint64_t va = arg_u64(op, "va");
  const x86::shadow::FaultResult r =
      mmu_->page_fault(va, x86::PagingAccess{access_of(arg_string(op, "access", "read")), arg_bool(op, "implicit")});
  rep.trace.push_back(fmt::format("fault {:#x} {}: {}{}{}", va, arg_string(op, "access", "read"),
                                  x86::shadow::fault_outcome_name(r.outcome),
                                  r.outcome == FaultOutcome::GuestFault ? fmt::format(" error code {:#x}", r.error_code)
                                                                        : std::string(),
                                  r.why.empty() ? "" : " (" + r.why + ")"));
  static const char* kNames[] = {"fixed", "guest_pf", "guest_gp", "mmio", "emulate", "unbacked", "root_missing"};
  const std::string got = kNames[static_cast<unsigned>(r.outcome)];
  if (has_arg(op, "outcome") && arg_string(op, "outcome") != got)
    rep.violations.push_back({"expectation", fmt::format("outcome {} expected, got {}", arg_string(op, "outcome"), got)});
  if (has_arg(op, "error_code") && (r.outcome != FaultOutcome::GuestFault || r.error_code != arg_u64(op, "error_code")))
    rep.violations.push_back({"expectation", fmt::format("error code {:#x} expected, got {} {:#x}",
                                                         arg_u64(op, "error_code"), got, r.error_code)});
}

void ShadowSession::expect_root(const Op& op, StepReport& rep) const {
  const x86::shadow::PageRole& role = mmu_->root_role();
  auto want = [&](const char* name, std::uint64_t got) {
    if (has_arg(op, name) && arg_u64(op, name) != got)
      rep.violations.push_back(
          {"expectation", fmt::format("root {} = {}, the case expects {}", name, got, arg_u64(op, name))});
  };
  want("level", role.level);
  want("pae_root", role.pae_root);
  want("level_promoted", role.level_promoted);
  want("has_4_byte_gpte", role.has_4_byte_gpte);
  const auto pdpt = mmu_->pdpt_page();
  unsigned linked = 0;
  if (pdpt)
    for (unsigned i = 0; i < 4; ++i) linked += mmu_->read_spte(*pdpt + 8 * i) != mmu_->pae().default_pdpte();
  want("linked", linked);
  if (has_arg(op, "pdpt_page") && arg_bool(op, "pdpt_page") != pdpt.has_value())
    rep.violations.push_back({"expectation", fmt::format("PDPT page {}", pdpt ? "present" : "missing")});
}

void ShadowSession::expect_walk(const Op& op, StepReport& rep) const {
  const std::uint64_t va = arg_u64(op, "va");
  const x86::shadow::ShadowWalk w = mmu_->shadow_walk(va);
  auto fail = [&](std::string s) { rep.violations.push_back({"expectation", fmt::format("va {:#x}: {}", va, s)}); };
  if (has_arg(op, "present") && arg_bool(op, "present") != w.present)
    fail(w.present ? "the shadow maps it" : "the shadow does not map it");
  if (has_arg(op, "host") && (!w.present || w.host_pa != arg_u64(op, "host")))
    fail(fmt::format("host {:#x} expected, the shadow gives {}", arg_u64(op, "host"),
                     w.present ? hex(w.host_pa) : std::string("nothing")));
  if (has_arg(op, "writable") && arg_bool(op, "writable") != (w.present && (w.perms & pg::kPermW)))
    fail(arg_bool(op, "writable") ? "not writable in the shadow" : "writable in the shadow");
}

void ShadowSession::check(StepReport& rep) const {
  auto add = [&](const char* inv, const std::string& s) {
    if (!s.empty()) rep.violations.push_back({inv, s});
  };
  add("abstraction", mmu_->check_refinement_all());
  add("abstraction", mmu_->check_write_protection());
  add("leak", mmu_->check_no_leak());
  add("structure", mmu_->check_pae_entries());
}

std::string ShadowSession::dump() const {
  std::string out = fmt::format("root {:#x}: {}\n", mmu_->root(), x86::shadow::role_text(mmu_->root_role()));
  for (const auto& [pa, sp] : mmu_->pages()) {
    out += fmt::format("page {:#x} gfn {:#x} {}{}\n", pa, sp.gfn, x86::shadow::role_text(sp.role),
                       sp.special_pdpt ? " (PDPT page)" : "");
    const unsigned n = sp.role.pae_root ? 4 : 512;
    for (unsigned i = 0; i < n; ++i)
      if (const std::uint64_t e = mmu_->read_spte(pa + 8 * i)) out += fmt::format("  [{}] {:#018x}\n", i, e);
  }
  return out;
}

std::string ShadowSession::walk_text(std::uint64_t addr) const {
  const x86::shadow::ShadowWalk w = mmu_->shadow_walk(addr);
  if (!w.present)
    return fmt::format("shadow walk of {:#x}: not present at level {} (entry {:#018x})\n", addr, w.level, w.entry);
  return fmt::format("shadow walk of {:#x}: host {:#x}, perms {}{}{}\n", addr, w.host_pa,
                     (w.perms & pg::kPermW) ? "w" : "-", (w.perms & pg::kPermU) ? "u" : "-",
                     (w.perms & pg::kPermX) ? "x" : "-");
}

Json ShadowSession::walk_json(std::uint64_t addr) const {
  const x86::shadow::ShadowWalk w = mmu_->shadow_walk(addr);
  return {{"addr", hex(addr)}, {"present", w.present}, {"host", hex(w.host_pa)}, {"perms", w.perms},
          {"level", w.level},  {"entry", hex(w.entry)}};
}

}  // namespace ptspec::props
