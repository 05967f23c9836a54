// An x86.ept session: each op runs on the model (EptMmu) and on the abstract
// spec, then every invariant checker runs (ept_checks.hpp). The event log is
// cleared before every op so the flush checker sees this op only.
#include "properties/x86/ept_session.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "model/core/errors.hpp"
#include "model/x86/ept_decode.hpp"
#include "model/x86/ept_perms.hpp"
#include "properties/step_common.hpp"

namespace ptspec::props {

namespace {

constexpr Concrete C{};
namespace ept = x86::ept;
constexpr std::size_t kMaxWalkSamples = 64;
constexpr std::uint64_t kPage = 4096;

std::string field(const Op& op, const char* name) { return fmt::format("ops[{}].{}", op.index, name); }

bool is_kvm_op(const std::string& n) {
  return n == "map" || n == "unmap" || n == "protect" || n == "split" || n == "collapse" || n == "set_spp_bit";
}

ept::Access access_kind(const std::string& s, const std::string& where) {
  if (s == "read") return ept::Access::Read;
  if (s == "write") return ept::Access::Write;
  if (s == "exec_supervisor") return ept::Access::ExecSupervisor;
  if (s == "exec_user") return ept::Access::ExecUser;
  throw InputError(fmt::format("{}: \"{}\" is not read, write, exec_supervisor or exec_user", where, s));
}

// "rwx" (and a fourth letter "u" for user-execute under MBEC), '-' for a bit clear.
x86::EptLeafAttrs attrs_arg(const Op& op) {
  x86::EptLeafAttrs a;
  const x86::EptPerms p = x86::parse_ept_perms(arg_string(op, "prot", "rwx"), fmt::format("ops[{}].prot", op.index));
  a.xwr = p.xwr;
  a.user_exec = p.user_exec;
  a.memtype = static_cast<unsigned>(arg_u64(op, "memtype", 6));
  a.ignore_pat = arg_bool(op, "ignore_pat");
  a.spp = arg_bool(op, "spp");
  a.suppress_ve = arg_bool(op, "suppress_ve");
  return a;
}

}  // namespace

std::string ept_entry_brief(const x86::EptConfig& cfg, std::uint64_t pte, unsigned level) {
  if (!ept::is_present(C, cfg, pte)) return pte ? fmt::format("not present ({:#x})", pte) : "not present";
  if (!ept::is_leaf(C, level, pte)) return fmt::format("table -> {:#x}", ept::table_addr(C, cfg, pte));
  static const char* kSize[] = {"", "4K", "2M", "1G"};
  const auto a = x86::leaf_attrs_of(cfg, pte);
  return fmt::format("L{} {} -> {:#x} {} mt{}{}{}{}{}", level, level <= 3 ? kSize[level] : "?",
                     pte & ept::leaf_addr_field(cfg, level).mask(), x86::ept_perms_string(cfg, ept::perms_of(C, cfg, pte)),
                     a.memtype, (pte & ept::kAccessed.mask()) ? " A" : "", (pte & ept::kDirty.mask()) ? " D" : "",
                     a.spp ? " SPP" : "", a.suppress_ve ? " SVE" : "");
}

EptSession::EptSession(const x86::EptConfig& cfg) : mmu_(cfg), spec_(cfg) {}

StepReport EptSession::step(const Op& op) {
  StepReport rep;
  rep.op_index = op.index;
  rep.op_text = op_text(op);
  mmu_.log().clear();
  // A failed op must change nothing: copy every live page before each KVM op.
  if (!raw_ && is_kvm_op(op.name)) take_mem_snapshot(mmu_.mem(), false, before_);
  Outcome o;
  const bool threw = !run_guarded(op, raw_, rep, [&] { o = run(op, rep); });
  rep.ret = o.model_ret;
  rep.events = mmu_.log().events();
  trace_events(rep, rep.events,
               [&](std::uint64_t v, unsigned level) { return ept_entry_brief(mmu_.config(), v, level); });
  if (op.name == "write_entry") rep.trace.push_back("(tables written by hand: invariant checkers off from here)");
  check_expect(op, o.model_ret, rep);
  if (!threw) check(o, rep);
  prefix_violations(op, rep);
  ++ops_;
  return rep;
}

EptSession::Outcome EptSession::run(const Op& op, StepReport& rep) {
  const std::string& n = op.name;
  if (is_kvm_op(n)) return run_kvm(op);
  Outcome o;
  if (n == "memcache") {
    if (op.args["pages"].is_string()) mmu_.mem().cache_set_auto(Zone::High);
    else mmu_.mem().cache_set(arg_u64(op, "pages"), Zone::High);
    o.state_checks = true;
  } else if (n == "write_entry") {
    write_entry(op);
  } else if (n == "access") {
    const std::uint64_t gpa = arg_u64(op, "addr");
    if (gpa >= x86::ept_gpa_limit(mmu_.config()))
      throw InputError(fmt::format("{}: {:#x} is beyond the GPA space ({:#x})", field(op, "addr"), gpa,
                                   x86::ept_gpa_limit(mmu_.config())));
    const auto r = mmu_.access(gpa, {access_kind(arg_string(op, "type", "read"), field(op, "type")), true, true});
    rep.trace.push_back(fmt::format("access {:#x}: {} ({})", gpa, x86::ept_outcome_name(r.outcome), r.why));
    o.state_checks = true;  // A/D writes: the tables changed (never a reduction)
  } else if (n == "expect_walk") {
    expect_walk(op, rep);
  } else if (n == "expect_entry") {
    expect_entry(op, rep);
  } else if (n == "expect_tables") {
    const std::uint64_t live = mmu_.mem().pages_in_use().size();
    if (live != arg_u64(op, "count"))
      rep.violations.push_back(
          {"expectation", fmt::format("{} live table pages, the case expects {}", live, arg_u64(op, "count"))});
  } else {
    throw InputError(fmt::format("ops[{}].op: the x86.ept session has no op \"{}\"", op.index, n));
  }
  return o;
}

EptSession::Outcome EptSession::run_kvm(const Op& op) {
  Outcome o;
  o.compare = o.state_checks = true;
  const std::string& n = op.name;
  const std::uint64_t gpa = arg_u64(op, "addr");
  o.lo = gpa;
  o.size = has_arg(op, "size") ? arg_u64(op, "size") : kPage;
  // A fixed memcache that ran dry: the op did not happen, so the spec does
  // not run it (unchanged checks that); with the self-refilling cache a
  // -ENOMEM is impossible and would be a return-code mismatch.
  auto enomem = [&] { return o.model_ret == kEnomem && !mmu_.mem().cache_auto(); };
  if (n == "map") {
    const auto a = attrs_arg(op);
    const auto hpa = arg_u64(op, "hpa");
    const auto max_level = static_cast<unsigned>(arg_u64(op, "max_level", 3));
    o.model_ret = mmu_.map(gpa, o.size, hpa, a, max_level);
    o.spec_ret = enomem() ? kEnomem : spec_.map(gpa, o.size, hpa, a, max_level);
  } else if (n == "unmap") {
    o.model_ret = mmu_.unmap(gpa, o.size);
    o.spec_ret = enomem() ? kEnomem : spec_.unmap(gpa, o.size);
  } else if (n == "protect") {
    const x86::EptPerms p = x86::parse_ept_perms(arg_string(op, "prot"), fmt::format("ops[{}].prot", op.index));
    o.model_ret = mmu_.protect(gpa, o.size, p.xwr, p.user_exec);
    o.spec_ret = enomem() ? kEnomem : spec_.protect(gpa, o.size, p.xwr, p.user_exec);
  } else if (n == "split" || n == "collapse") {
    const auto level = static_cast<unsigned>(arg_u64(op, "level"));
    o.size = x86::EptConfig::entry_size(level < 1 || level > 3 ? 1 : level);
    o.lo = gpa & ~(o.size - 1);
    o.model_ret = n == "split" ? mmu_.split(gpa, level) : mmu_.collapse(gpa, level);
    o.spec_ret = enomem() ? kEnomem : n == "split" ? spec_.split(gpa, level) : spec_.collapse(gpa, level);
    // The spec cannot see leaf sizes: where it allows the op (the block is
    // uniform), the model may still find no large leaf / no full table.
    if (o.spec_ret == 0 && o.model_ret == kEnoent) o.spec_ret = kEnoent;
  } else if (n == "set_spp_bit") {
    const bool on = arg_bool(op, "on", true);
    o.lo = gpa & ~(kPage - 1);
    o.model_ret = mmu_.set_spp_bit(gpa, on);
    // -EINVAL for a page mapped by a 2M/1G leaf, which the spec cannot see.
    if (o.model_ret == kEinval && spec_.spp_status(gpa) == 0) o.spec_ret = kEinval;
    else o.spec_ret = spec_.set_spp_bit(gpa, on);
  }
  return o;
}

void EptSession::check(const Outcome& o, StepReport& rep) {
  if (raw_ || !o.state_checks) return;
  using namespace eptcheck;
  Violations& v = rep.violations;
  try {
    scan_ept(mmu_, scan_);
    if (o.compare) {
      check_abstraction(mmu_, scan_, spec_, o.model_ret, o.spec_ret, v);
      check_walk(mmu_, spec_, walk_samples(o), v);
    }
    check_reserved(mmu_.config(), scan_, v);
    check_structure(mmu_, scan_, v);
    check_leak(mmu_, scan_, v);
    check_flush(mmu_.config(), rep.events, v);
    if (o.compare && o.model_ret != 0) check_mem_unchanged(before_, mmu_.mem(), false, v);
  } catch (const std::exception& e) {
    v.push_back({"structure", fmt::format("the tables cannot be read: {}", e.what())});
  }
}

std::vector<std::uint64_t> EptSession::walk_samples(const Outcome& o) const {
  std::vector<std::uint64_t> out{o.lo & ~(kPage - 1)};
  if (o.size != 0 && o.lo + o.size > o.lo) {
    const std::uint64_t hi = o.lo + o.size;
    out.push_back((hi - 1) & ~(kPage - 1));
    // Each run start in the range, and the page before/after the range.
    for (auto it = spec_.run_map().lower_bound(o.lo); it != spec_.run_map().end() && it->first < hi; ++it) {
      if (out.size() >= kMaxWalkSamples) break;
      out.push_back(it->first);
    }
    out.push_back(hi);
    if (o.lo >= kPage) out.push_back(o.lo - kPage);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void EptSession::write_entry(const Op& op) {
  const std::uint64_t gpa = arg_u64(op, "addr"), value = arg_u64(op, "value");
  const auto level = static_cast<unsigned>(arg_u64(op, "level"));
  const x86::EptConfig& cfg = mmu_.config();
  if (level < 1 || level > cfg.levels)
    throw InputError(fmt::format("{}: level {} (this EPT has levels 1..{})", field(op, "level"), level, cfg.levels));
  if (gpa >= x86::ept_gpa_limit(cfg))
    throw InputError(fmt::format("{}: {:#x} is beyond the GPA space", field(op, "addr"), gpa));
  const std::uint64_t ptep = mmu_.entry_pa(gpa, level);
  if (!ptep)
    throw InputError(fmt::format("{}: write_entry: no L{} table for {:#x} (the path stops above it)",
                                 field(op, "level"), level, gpa));
  try {
    mmu_.write_raw(ptep, value);
  } catch (const InputError& e) {
    throw InputError(fmt::format("ops[{}] {}", op.index, e.what()));
  }
  raw_ = true;
}

void EptSession::expect_walk(const Op& op, StepReport& rep) const {
  const std::uint64_t gpa = arg_u64(op, "addr");
  const x86::EptConfig& cfg = mmu_.config();
  if (gpa >= x86::ept_gpa_limit(cfg))
    throw InputError(fmt::format("{}: {:#x} is beyond the GPA space", field(op, "addr"), gpa));
  const Json& r = op.args["result"];
  const auto kind = access_kind(arg_string(op, "access", "read"), field(op, "access"));
  const x86::EptWalkResult w = mmu_.walk(gpa, {kind, true, true});
  std::vector<std::string> bad;
  auto num = [&](const char* name) { return parse_u64(r[name], field(op, "result") + "." + name); };
  auto str = [&](const char* name) { return r[name].get<std::string>(); };
  if (r.contains("outcome") && str("outcome") != x86::ept_outcome_key(w.outcome))
    bad.push_back(fmt::format("outcome {} expected, walk gives {}", str("outcome"), x86::ept_outcome_key(w.outcome)));
  if (r.contains("hpa") && num("hpa") != w.hpa)
    bad.push_back(fmt::format("hpa {:#x} expected, walk gives {:#x}", num("hpa"), w.hpa));
  if (r.contains("level") && num("level") != w.level)
    bad.push_back(fmt::format("level {} expected, walk gives {}", num("level"), w.level));
  if (r.contains("perms") && str("perms") != x86::ept_perms_string(cfg, w.perms))
    bad.push_back(fmt::format("perms {} expected, walk gives {}", str("perms"), x86::ept_perms_string(cfg, w.perms)));
  if (r.contains("memtype") && num("memtype") != w.memtype)
    bad.push_back(fmt::format("memtype {} expected, walk gives {}", num("memtype"), w.memtype));
  if (r.contains("exit_qualification") && num("exit_qualification") != w.exit_qualification)
    bad.push_back(fmt::format("exit qualification {:#x} expected, walk gives {:#x}", num("exit_qualification"),
                              w.exit_qualification));
  if (r.contains("misconfig") && str("misconfig") != x86::ept_misconfig_key(w.misconfig))
    bad.push_back(fmt::format("misconfig {} expected, walk gives {}", str("misconfig"), x86::ept_misconfig_key(w.misconfig)));
  if (r.contains("accessed") && r["accessed"].get<bool>() != bool(w.entry & ept::kAccessed.mask()))
    bad.push_back(fmt::format("accessed {} expected in the last entry {:#x}", r["accessed"].get<bool>(), w.entry));
  if (r.contains("dirty") && r["dirty"].get<bool>() != bool(w.entry & ept::kDirty.mask()))
    bad.push_back(fmt::format("dirty {} expected in the last entry {:#x}", r["dirty"].get<bool>(), w.entry));
  if (!bad.empty()) {
    std::string all;
    for (const auto& b : bad) all += (all.empty() ? "" : "; ") + b;
    rep.violations.push_back({"expectation", fmt::format("walk of {:#x}: {} (walk: {}: {})", gpa, all,
                                                         x86::ept_outcome_key(w.outcome), w.why)});
  }
}

void EptSession::expect_entry(const Op& op, StepReport& rep) const {
  const std::uint64_t gpa = arg_u64(op, "addr"), want = arg_u64(op, "value");
  const auto level = static_cast<unsigned>(arg_u64(op, "level"));
  if (level < 1 || level > mmu_.config().levels || gpa >= x86::ept_gpa_limit(mmu_.config())) {
    rep.violations.push_back({"expectation", fmt::format("no L{} entry exists for {:#x}", level, gpa)});
    return;
  }
  const std::uint64_t ptep = mmu_.entry_pa(gpa, level);
  if (!ptep) {
    rep.violations.push_back({"expectation", fmt::format("no L{} table covers {:#x}", level, gpa)});
    return;
  }
  const std::uint64_t v = mmu_.mem().load(ptep);
  if (v != want)
    rep.violations.push_back({"expectation", fmt::format("L{} entry @{:#x} for {:#x} is {:#018x} ({}), the case "
                                                         "expects {:#018x}",
                                                         level, ptep, gpa, v, ept_entry_brief(mmu_.config(), v, level),
                                                         want)});
}

std::string EptSession::dump() const {
  return fmt::format("x86.ept {}-level, MAXPHYADDR {}, eptp={:#x}{}\n{}", mmu_.config().levels,
                     mmu_.config().maxphyaddr, mmu_.eptp(), raw_ ? " (tables written by hand)" : "", mmu_.dump());
}

std::string EptSession::walk_text(std::uint64_t addr) const {
  const x86::EptConfig& cfg = mmu_.config();
  const x86::EptWalkResult r = mmu_.walk(addr, {ept::Access::Read, false, false});
  std::string out = fmt::format("walk of GPA {:#x} ({}-level, MAXPHYADDR {})\n", addr, cfg.levels, cfg.maxphyaddr);
  for (unsigned i = 0; i < r.depth; ++i) {
    const unsigned level = cfg.levels - i;
    const DecodedEntry d = x86::decode_ept(cfg, r.entries[i], static_cast<int>(level));
    out += fmt::format("  L{} entry = {:#018x}: {}\n", level, r.entries[i], d.summary);
    for (const auto& p : d.problems) out += fmt::format("        problem: {}\n", p);
  }
  if (r.outcome == x86::EptOutcome::Translation)
    out += fmt::format("  => HPA {:#x}, {} (L{}), memtype {}\n", r.hpa, x86::ept_perms_string(cfg, r.perms), r.level, r.memtype);
  else
    out += fmt::format("  => {} at level {}: {}\n", x86::ept_outcome_name(r.outcome), r.level, r.why);
  return out;
}

Json EptSession::walk_json(std::uint64_t addr) const {
  const x86::EptConfig& cfg = mmu_.config();
  const x86::EptWalkResult r = mmu_.walk(addr, {ept::Access::Read, false, false});
  Json entries = Json::array();
  for (unsigned i = 0; i < r.depth; ++i) {
    const unsigned level = cfg.levels - i;
    const DecodedEntry d = x86::decode_ept(cfg, r.entries[i], static_cast<int>(level));
    entries.push_back({{"level", level}, {"value", hex(r.entries[i])}, {"kind", d.kind}, {"summary", d.summary},
                       {"problems", d.problems}});
  }
  return {{"addr", hex(addr)},       {"outcome", x86::ept_outcome_key(r.outcome)},
          {"level", r.level},        {"why", r.why},
          {"hpa", hex(r.hpa)},       {"perms", x86::ept_perms_string(cfg, r.perms)},
          {"memtype", r.memtype},    {"misconfig", x86::ept_misconfig_key(r.misconfig)},
          {"entries", std::move(entries)}};
}

}  // namespace ptspec::props
