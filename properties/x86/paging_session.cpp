// An x86.paging session: each op runs on the guest state, every access is
// recomputed by the flat oracle and checked (paging_checks.hpp).
#include "properties/x86/paging_session.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "model/core/errors.hpp"
#include "model/x86/paging_decode.hpp"
#include "properties/step_common.hpp"
#include "properties/x86/paging_checks.hpp"

namespace ptspec::props {

namespace {

namespace pg = x86::paging;

std::string field(const Op& op, const char* name) { return fmt::format("ops[{}].{}", op.index, name); }

pg::AccessKind kind_arg(const Op& op) {
  const std::string k = arg_string(op, "access", "read");
  return k == "write" ? pg::AccessKind::Write : k == "fetch" ? pg::AccessKind::Fetch : pg::AccessKind::Read;
}

const char* outcome_key(x86::PagingOutcome o) {
  switch (o) {
    case x86::PagingOutcome::Translation: return "translation";
    case x86::PagingOutcome::PageFault: return "page_fault";
    case x86::PagingOutcome::GeneralProtection: return "gp";
    case x86::PagingOutcome::Unbacked: return "unbacked";
  }
  return "?";
}

bool is_pae(const x86::PagingContext& c) { return x86::paging_mode(c) == pg::Mode::Pae; }

}  // namespace

PagingSession::PagingSession(const PagingConfig& cfg) : vendor_(cfg.vendor), ctx_(cfg.ctx) {
  for (std::uint64_t i = 0; i < kGuestPages; ++i) {
    const std::uint64_t pa = mem_.alloc_contiguous(1, Zone::Low);
    if (pa != kGuestBase + i * 4096)
      throw std::logic_error(fmt::format("guest memory: page {} allocated at {:#x}", i, pa));
  }
  // The zeroed PDPT holds four not-present PDPTEs: the load succeeds.
  if (vendor_ == x86::Vendor::Intel && is_pae(ctx_)) regs_ = x86::intel_load_pdptes(ctx_, mem_, cr3_).regs;
}

unsigned PagingSession::entry_bytes(const Op& op) const {
  if (has_arg(op, "size")) {
    const std::uint64_t s = arg_u64(op, "size");
    if (s != 4 && s != 8) throw InputError(fmt::format("{}: {} is not 4 or 8", field(op, "size"), s));
    return static_cast<unsigned>(s);
  }
  return ctx_.cr0_pg && !ctx_.cr4_pae ? 4 : 8;
}

void PagingSession::check_cr3_width(const x86::PagingContext& ctx, std::uint64_t cr3, const std::string& where) const {
  const pg::Mode m = x86::paging_mode(ctx);
  const unsigned width = m == pg::Mode::Level4 || m == pg::Mode::Level5 ? ctx.maxphyaddr : 32;
  if (cr3 >> width)
    throw InputError(fmt::format("{}: CR3 {:#x} has bits at or above {} set ({} paging): MOV to CR3 would #GP", where,
                                 cr3, width, pg::mode_name(m)));
}

StepReport PagingSession::step(const Op& op) {
  StepReport rep;
  rep.op_index = op.index;
  rep.op_text = op_text(op);
  log_.clear();
  run_guarded(op, false, rep, [&] { run(op, rep); });
  rep.events = log_.events();
  trace_events(rep, rep.events, nullptr);
  check_expect(op, 0, rep);
  prefix_violations(op, rep);
  ++ops_;
  return rep;
}

void PagingSession::run(const Op& op, StepReport& rep) {
  const std::string& n = op.name;
  if (n == "write_entry") {
    write_entry(op, rep);
  } else if (n == "set_cr3") {
    const std::uint64_t cr3 = arg_u64(op, "cr3");
    check_cr3_width(ctx_, cr3, field(op, "cr3"));
    // MOV to CR3 in PAE paging loads the PDPTEs (§4.4.1).
    (void)load(ctx_, cr3, true, rep, op);
  } else if (n == "set_context") {
    x86::PagingContext next = ctx_;
    for (const auto& [key, value] : op.args.items()) {
      if (key == "op" || key == "note" || key == "expect" || key == "outcome") continue;
      if (key == "cpl") next.cpl = static_cast<unsigned>(arg_u64(op, "cpl"));
      else if (key == "cr0_pg") next.cr0_pg = value.get<bool>();
      else if (key == "cr0_wp") next.cr0_wp = value.get<bool>();
      else if (key == "cr4_pae") next.cr4_pae = value.get<bool>();
      else if (key == "cr4_pse") next.cr4_pse = value.get<bool>();
      else if (key == "cr4_smep") next.cr4_smep = value.get<bool>();
      else if (key == "cr4_smap") next.cr4_smap = value.get<bool>();
      else if (key == "cr4_la57") next.cr4_la57 = value.get<bool>();
      else if (key == "efer_nxe") next.efer_nxe = value.get<bool>();
      else if (key == "efer_lma") next.efer_lma = value.get<bool>();
      else if (key == "eflags_ac") next.eflags_ac = value.get<bool>();
    }
    try {
      (void)x86::paging_mode(next);
    } catch (const InputError& e) {
      throw InputError(fmt::format("ops[{}] set_context: {}", op.index, e.what()));
    }
    check_cr3_width(next, cr3_, fmt::format("ops[{}] set_context", op.index));
    // §4.4.1: MOV to CR0/CR4 that modifies PG, PAE, PSE or SMEP (or CD, NW,
    // PGE, not modelled) with PAE paging in use afterwards loads the PDPTEs.
    const bool reload = next.cr0_pg != ctx_.cr0_pg || next.cr4_pae != ctx_.cr4_pae ||
                        next.cr4_pse != ctx_.cr4_pse || next.cr4_smep != ctx_.cr4_smep;
    if (load(next, cr3_, reload, rep, op)) ctx_ = next;
  } else if (n == "access") {
    access(op, rep);
  } else if (n == "expect_entry") {
    const std::uint64_t pa = arg_u64(op, "pa");
    const unsigned bytes = entry_bytes(op);
    if (!mem_.find(pa & ~std::uint64_t{7}))
      throw InputError(fmt::format("{}: {:#x} is outside guest memory", field(op, "pa"), pa));
    const std::uint64_t v = x86::read_paging_entry(mem_, pa, bytes);
    if (v != arg_u64(op, "value"))
      rep.violations.push_back(
          {"expectation", fmt::format("entry at {:#x} is {:#x}, the case expects {:#x}", pa, v, arg_u64(op, "value"))});
  } else if (n == "expect_pdptes") {
    if (has_arg(op, "loaded") && arg_bool(op, "loaded") != regs_.loaded)
      rep.violations.push_back({"expectation", fmt::format("PDPTE registers {}loaded", regs_.loaded ? "" : "not ")});
    for (unsigned i = 0; i < 4; ++i) {
      const std::string name = fmt::format("pdpte{}", i);
      if (has_arg(op, name) && arg_u64(op, name) != regs_.e[i])
        rep.violations.push_back({"expectation", fmt::format("PDPTE{} register is {:#x}, the case expects {:#x}", i,
                                                             regs_.e[i], arg_u64(op, name))});
    }
  } else {
    throw InputError(fmt::format("ops[{}].op: the x86.paging session has no op \"{}\"", op.index, n));
  }
}

void PagingSession::write_entry(const Op& op, StepReport& rep) {
  const std::uint64_t pa = arg_u64(op, "pa"), value = arg_u64(op, "value");
  const unsigned bytes = entry_bytes(op);
  if (pa < kGuestBase || pa >= kGuestBase + kGuestPages * 4096)
    throw InputError(fmt::format("{}: {:#x} is outside guest memory [{:#x}, {:#x})", field(op, "pa"), pa, kGuestBase,
                                 kGuestBase + kGuestPages * 4096));
  if (pa % bytes) throw InputError(fmt::format("{}: {:#x} is not {}-byte aligned", field(op, "pa"), pa, bytes));
  if (bytes == 4 && (value >> 32))
    throw InputError(fmt::format("{}: {:#x} does not fit in 4 bytes", field(op, "value"), value));
  const std::uint64_t old = x86::read_paging_entry(mem_, pa, bytes);
  x86::write_paging_entry(mem_, pa, bytes, value);
  log_.push(Event{EventKind::Write, 0, pa, 0, old, value});
  (void)rep;
}

bool PagingSession::load(const x86::PagingContext& ctx, std::uint64_t cr3, bool reload, StepReport& rep,
                         const Op& op) {
  const std::string want = arg_string(op, "outcome", "");
  bool ok = true;
  if (reload && vendor_ == x86::Vendor::Intel && is_pae(ctx)) {
    const x86::PdpteLoadResult r = x86::intel_load_pdptes(ctx, mem_, cr3);
    if (r.outcome == x86::PdpteLoadOutcome::Loaded) {
      regs_ = r.regs;
      rep.trace.push_back(fmt::format("PDPTEs loaded from {:#x}: {:#x} {:#x} {:#x} {:#x}", x86::pdpte_pa(cr3, 0),
                                      r.regs.e[0], r.regs.e[1], r.regs.e[2], r.regs.e[3]));
    } else if (r.outcome == x86::PdpteLoadOutcome::Unbacked) {
      throw InputError(fmt::format("ops[{}] {}: the PDPT at {:#x} is outside guest memory", op.index, op.name,
                                   x86::pdpte_pa(cr3, 0)));
    } else {
      ok = false;
      rep.trace.push_back(fmt::format("#GP(0): {} (nothing loaded, registers unchanged)", r.why));
    }
  }
  if (ok) cr3_ = cr3;
  if (!want.empty() && (want == "ok") != ok)
    rep.violations.push_back(
        {"expectation", fmt::format("{} {}, the case expects {}", op.name, ok ? "completed" : "raised #GP", want)});
  return ok;
}

void PagingSession::access(const Op& op, StepReport& rep) {
  using namespace pagingcheck;
  const std::uint64_t va = arg_u64(op, "va");
  const pg::AccessKind kind = kind_arg(op);
  const bool implicit = arg_bool(op, "implicit");
  x86::PagingContext ctx = ctx_;
  if (has_arg(op, "user")) ctx.cpl = arg_bool(op, "user") ? 3 : 0;
  if (implicit && kind == pg::AccessKind::Fetch)
    throw InputError(fmt::format("{}: an implicit supervisor-mode access is a data access, never a fetch (§4.6)",
                                 field(op, "implicit")));
  const Oracle o = oracle_walk(ctx, vendor_, mem_, cr3_, regs_, va, kind, implicit);
  x86::PagingWalkResult r;
  try {
    r = x86::paging_walk(ctx, mem_, cr3_, va, x86::PagingAccess{kind, implicit}, vendor_, &regs_);
  } catch (const InputError& e) {
    throw InputError(fmt::format("ops[{}] access: {}", op.index, e.what()));
  }
  x86::apply_paging_ad_writes(mem_, r);
  std::vector<std::uint64_t> after;
  for (const Read& rd : o.reads) {
    const std::uint64_t* w = rd.from_register || !rd.backed ? nullptr : mem_.find(rd.pa & ~std::uint64_t{7});
    after.push_back(w ? x86::read_paging_entry(mem_, rd.pa, rd.bytes) : rd.value);
  }
  rep.trace.push_back(fmt::format("{} {} {:#x}: {} level {} {}", ctx.cpl == 3 && !implicit ? "user" : "supervisor",
                                  x86::access_kind_name(kind), va, outcome_key(r.outcome), r.level,
                                  r.outcome == x86::PagingOutcome::Translation
                                      ? fmt::format("-> {:#x}", r.pa)
                                      : fmt::format("error {:#x} ({})", r.error_code, r.why)));
  const bool user = ctx.cpl == 3 && !implicit;
  check_backed(r, o, rep.violations);
  check_ad_only(o.reads, after, rep.violations);
  check_ad_set(r, kind, o.reads, after, rep.violations);
  check_error_code(r, ctx, kind, user, rep.violations);
  check_oracle(r, o, rep.violations);
  if (!has_arg(op, "result")) return;
  const Json& want = op.args["result"];
  auto num = [&](const char* name) { return parse_u64(want[name], field(op, "result") + "." + name); };
  auto bad = [&](std::string s) { rep.violations.push_back({"expectation", std::move(s)}); };
  if (want.contains("outcome") && want["outcome"].get<std::string>() != outcome_key(r.outcome))
    bad(fmt::format("outcome {}, the case expects {} ({})", outcome_key(r.outcome), want["outcome"].get<std::string>(),
                    r.why));
  if (want.contains("pa") && num("pa") != r.pa) bad(fmt::format("PA {:#x}, the case expects {:#x}", r.pa, num("pa")));
  if (want.contains("size") && num("size") != r.size)
    bad(fmt::format("size {:#x}, the case expects {:#x}", r.size, num("size")));
  if (want.contains("error_code") && num("error_code") != r.error_code)
    bad(fmt::format("error code {:#x}, the case expects {:#x}", r.error_code, num("error_code")));
  if (want.contains("level") && num("level") != r.level)
    bad(fmt::format("level {}, the case expects {}", r.level, num("level")));
  const std::uint64_t leaf = after.empty() ? 0 : after.back();
  if (want.contains("accessed") && want["accessed"].get<bool>() != bool(leaf & pg::kA.mask()))
    bad(fmt::format("leaf {:#x}: A is {}, the case expects {}", leaf, bool(leaf & pg::kA.mask()),
                    want["accessed"].get<bool>()));
  if (want.contains("dirty") && want["dirty"].get<bool>() != bool(leaf & pg::kD.mask()))
    bad(fmt::format("leaf {:#x}: D is {}, the case expects {}", leaf, bool(leaf & pg::kD.mask()),
                    want["dirty"].get<bool>()));
}

std::string PagingSession::dump() const {
  std::string out = fmt::format(
      "{} {} paging, CR3 {:#x}, CPL {}, WP {} PSE {} SMEP {} SMAP {} NXE {} AC {}, MAXPHYADDR {}\n",
      x86::vendor_name(vendor_), pg::mode_name(x86::paging_mode(ctx_)), cr3_, ctx_.cpl, ctx_.cr0_wp, ctx_.cr4_pse,
      ctx_.cr4_smep, ctx_.cr4_smap, ctx_.efer_nxe, ctx_.eflags_ac, ctx_.maxphyaddr);
  if (regs_.loaded)
    out += fmt::format("PDPTE registers: {:#x} {:#x} {:#x} {:#x}\n", regs_.e[0], regs_.e[1], regs_.e[2], regs_.e[3]);
  for (std::uint64_t pa = kGuestBase; pa < kGuestBase + kGuestPages * 4096; pa += 8)
    if (const std::uint64_t* w = mem_.find(pa); w && *w) out += fmt::format("  {:#x}: {:#018x}\n", pa, *w);
  return out;
}

std::string PagingSession::walk_text(std::uint64_t addr) const {
  const x86::PagingWalkResult r =
      x86::paging_walk(ctx_, mem_, cr3_, addr, x86::PagingAccess{}, vendor_, &regs_);
  std::string out = fmt::format("walk of {:#x} (read, CPL {}): {} at level {}{}\n", addr, ctx_.cpl,
                                outcome_key(r.outcome), r.level, r.why.empty() ? "" : " (" + r.why + ")");
  if (ctx_.cr0_pg) {
    const pg::Format f = x86::format_of(ctx_);
    for (unsigned i = 0; i < r.depth; ++i)
      out += fmt::format("  L{} {:#018x}: {}\n", f.levels() - i, r.entries[i],
                         x86::decode_paging(f, r.entries[i], f.levels() - i).summary);
  }
  return out;
}

Json PagingSession::walk_json(std::uint64_t addr) const {
  const x86::PagingWalkResult r =
      x86::paging_walk(ctx_, mem_, cr3_, addr, x86::PagingAccess{}, vendor_, &regs_);
  Json entries = Json::array();
  for (unsigned i = 0; i < r.depth; ++i) entries.push_back(hex(r.entries[i]));
  return {{"addr", hex(addr)}, {"outcome", outcome_key(r.outcome)}, {"level", r.level}, {"pa", hex(r.pa)},
          {"error_code", hex(r.error_code)}, {"entries", std::move(entries)}};
}

}  // namespace ptspec::props
