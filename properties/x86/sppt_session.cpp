// An x86.sppt session: each op runs on the SPP system, the spec records the
// last bitmap set per GFN (and what get/remove must return), then every
// checker runs. Both event logs (EPT and SPPT) are cleared before each op.
#include "properties/x86/sppt_session.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"
#include "model/x86/ept_decode.hpp"
#include "model/x86/ept_perms.hpp"
#include "model/x86/sppt_decode.hpp"
#include "properties/step_common.hpp"

namespace ptspec::props {

namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::size_t kMaxTouched = 48;

std::string field(const Op& op, const char* name) { return fmt::format("ops[{}].{}", op.index, name); }

bool is_kvm_op(const std::string& n) {
  return n == "map" || n == "unmap" || n == "set_subpages" || n == "get_subpages" || n == "remove_subpages" ||
         n == "invalidate_l2e";
}

x86::EptLeafAttrs attrs_arg(const Op& op) {
  const x86::EptPerms p = x86::parse_ept_perms(arg_string(op, "prot"), field(op, "prot"));
  x86::EptLeafAttrs a;
  a.xwr = p.xwr;
  a.user_exec = p.user_exec;
  return a;
}

}  // namespace

SpptSession::SpptSession(const x86::EptConfig& cfg) : sys_(cfg) {}

std::uint64_t SpptSession::gfn_arg(const Op& op) const {
  const bool g = has_arg(op, "gfn"), a = has_arg(op, "addr");
  if (g == a) throw InputError(fmt::format("ops[{}] {}: give exactly one of gfn and addr", op.index, op.name));
  return g ? arg_u64(op, "gfn") : arg_u64(op, "addr") / kPage;
}

void SpptSession::touch(std::uint64_t gfn) {
  if (touched_.size() < kMaxTouched) touched_.insert(gfn);
}

StepReport SpptSession::step(const Op& op) {
  StepReport rep;
  rep.op_index = op.index;
  rep.op_text = op_text(op);
  sys_.ept().log().clear();
  sys_.sppt().log().clear();
  if (!raw_ && is_kvm_op(op.name)) spptcheck::take_snapshot(sys_, before_);
  Outcome o;
  const bool threw = !run_guarded(op, raw_, rep, [&] { o = run(op, rep); });
  rep.ret = o.ret;
  const unsigned mpa = sys_.sppt().maxphyaddr();
  const auto& ept_events = sys_.ept().log().events();
  const auto& sppt_events = sys_.sppt().log().events();
  rep.events.insert(rep.events.end(), ept_events.begin(), ept_events.end());
  rep.events.insert(rep.events.end(), sppt_events.begin(), sppt_events.end());
  trace_events(rep, ept_events, nullptr, "ept  ");
  trace_events(
      rep, sppt_events, [&](std::uint64_t v, unsigned level) { return x86::sppt_entry_brief(mpa, v, level); },
      "sppt ");
  if (op.name.rfind("write_", 0) == 0 && op.name != "write")
    rep.trace.push_back("(tables written by hand: invariant checkers off from here)");
  check_expect(op, o.ret, rep);
  if (!threw) check(o, rep);
  prefix_violations(op, rep);
  ++ops_;
  return rep;
}

SpptSession::Outcome SpptSession::run(const Op& op, StepReport& rep) {
  const std::string& n = op.name;
  Outcome o;
  o.kvm = is_kvm_op(n);
  auto spec_ret = [&](int want) {
    if (o.ret != want)
      rep.violations.push_back({"abstraction", fmt::format("returned {}, the spec says {}", errno_name(o.ret),
                                                           errno_name(want))});
  };
  if (n == "map") {
    const std::uint64_t addr = arg_u64(op, "addr"), size = arg_u64(op, "size");
    o.ret = sys_.map(addr, size, arg_u64(op, "phys"), attrs_arg(op),
                     static_cast<unsigned>(arg_u64(op, "level", 3)));
    touch(addr / kPage);
    if (size >= kPage) touch((addr + size - 1) / kPage);
  } else if (n == "unmap") {
    o.ret = sys_.unmap(arg_u64(op, "addr"), arg_u64(op, "size"));
  } else if (n == "set_subpages") {
    const std::uint64_t gfn = gfn_arg(op);
    const auto bm = static_cast<std::uint32_t>(arg_u64(op, "bitmap"));
    o.ret = sys_.set_subpages(gfn, bm, arg_bool(op, "lazy"));
    if (o.ret == 0) spec_[gfn] = bm;
    touch(gfn);
  } else if (n == "get_subpages") {
    const std::uint64_t gfn = gfn_arg(op);
    std::uint32_t bm = 0;
    o.ret = sys_.get_subpages(gfn, bm);
    auto it = spec_.find(gfn);
    spec_ret(it == spec_.end() ? kEnoent : 0);
    if (o.ret == 0 && it != spec_.end() && bm != it->second)
      rep.violations.push_back({"abstraction", fmt::format("get returns {:#010x}, the last set was {:#010x}", bm,
                                                           it->second)});
    if (o.ret == 0 && has_arg(op, "bitmap") && bm != arg_u64(op, "bitmap"))
      rep.violations.push_back({"expectation", fmt::format("get returns {:#010x}, the case expects {:#010x}", bm,
                                                           arg_u64(op, "bitmap"))});
  } else if (n == "remove_subpages") {
    const std::uint64_t gfn = gfn_arg(op);
    o.ret = sys_.remove_subpages(gfn);
    spec_ret(spec_.erase(gfn) ? 0 : kEnoent);
  } else if (n == "invalidate_l2e") {
    o.ret = sys_.invalidate(gfn_arg(op));
  } else if (n == "write" || n == "read" || n == "exec") {
    access(op, rep);
  } else if (n == "write_sppt_entry") {
    try {
      sys_.sppt().write_raw(arg_u64(op, "addr"), static_cast<unsigned>(arg_u64(op, "level")), arg_u64(op, "value"));
    } catch (const InputError& e) {
      throw InputError(fmt::format("ops[{}] write_sppt_entry: {}", op.index, e.what()));
    }
    raw_ = true;
  } else if (n == "write_ept_entry") {
    const std::uint64_t pa = sys_.ept().entry_pa(arg_u64(op, "addr"), static_cast<unsigned>(arg_u64(op, "level")));
    if (!pa)
      throw InputError(fmt::format("{}: write_ept_entry: no EPT table at level {} covers {:#x}", field(op, "level"),
                                   arg_u64(op, "level"), arg_u64(op, "addr")));
    sys_.ept().write_raw(pa, arg_u64(op, "value"));
    raw_ = true;
  } else if (n == "expect_vector") {
    expect_vector(op, rep);
  } else if (n == "expect_tables") {
    const std::uint64_t live = sys_.sppt().mem().pages_in_use().size();
    if (live != arg_u64(op, "count"))
      rep.violations.push_back(
          {"expectation", fmt::format("{} live SPPT pages, the case expects {}", live, arg_u64(op, "count"))});
    const std::uint64_t ept = sys_.ept().mem().pages_in_use().size();
    if (has_arg(op, "ept") && ept != arg_u64(op, "ept"))
      rep.violations.push_back(
          {"expectation", fmt::format("{} live EPT pages, the case expects {}", ept, arg_u64(op, "ept"))});
  } else {
    throw InputError(fmt::format("ops[{}].op: the x86.sppt session has no op \"{}\"", op.index, n));
  }
  return o;
}

void SpptSession::access(const Op& op, StepReport& rep) {
  const std::uint64_t addr = arg_u64(op, "addr");
  if (addr >= x86::ept_gpa_limit(sys_.ept().config()) || addr >> sys_.ept().config().maxphyaddr)
    throw InputError(fmt::format("{}: {:#x} is beyond the guest-physical address space", field(op, "addr"), addr));
  const x86::spp::Access kind = op.name == "write"  ? x86::spp::Access::Write
                                : op.name == "read" ? x86::spp::Access::Read
                                                    : x86::spp::Access::Execute;
  const x86::SppAccessResult r = sys_.access(addr, kind, arg_bool(op, "handle_miss", true));
  touch(addr / kPage);
  rep.trace.push_back(fmt::format("{} {:#x}: {} ({}), {} miss{}, {}", op.name, addr, x86::spp_outcome_name(r.outcome),
                                  r.why, r.misses, r.misses == 1 ? "" : "es", r.retired ? "retired" : "not retired"));
  std::vector<std::string> bad;
  if (has_arg(op, "outcome") && arg_string(op, "outcome") != x86::spp_outcome_name(r.outcome))
    bad.push_back(fmt::format("outcome {} expected, got {} ({})", arg_string(op, "outcome"),
                              x86::spp_outcome_name(r.outcome), r.why));
  if (has_arg(op, "misses") && arg_u64(op, "misses") != r.misses)
    bad.push_back(fmt::format("{} misses expected, got {}", arg_u64(op, "misses"), r.misses));
  if (has_arg(op, "retired") && arg_bool(op, "retired") != r.retired)
    bad.push_back(fmt::format("retired {} expected, got {}", arg_bool(op, "retired"), r.retired));
  for (auto& b : bad) rep.violations.push_back({"expectation", std::move(b)});
}

void SpptSession::expect_vector(const Op& op, StepReport& rep) const {
  const std::uint64_t gfn = gfn_arg(op);
  const auto v = sys_.sppt().vector(gfn);
  auto fail = [&](std::string s) { rep.violations.push_back({"expectation", fmt::format("GFN {:#x}: {}", gfn, s)}); };
  if (has_arg(op, "present") && arg_bool(op, "present") != v.has_value())
    fail(v ? "a leaf table covers it, the case expects none" : "no leaf table covers it");
  if ((has_arg(op, "vector") || has_arg(op, "bitmap")) && !v) return fail("no vector (no leaf table covers it)");
  if (has_arg(op, "vector") && arg_u64(op, "vector") != *v)
    fail(fmt::format("vector {:#018x}, the case expects {:#018x}", *v, arg_u64(op, "vector")));
  if (has_arg(op, "bitmap") && arg_u64(op, "bitmap") != x86::spp::spp_vector_bitmap(*v))
    fail(fmt::format("vector {:#018x} holds bitmap {:#010x}, the case expects {:#010x}", *v,
                     x86::spp::spp_vector_bitmap(*v), arg_u64(op, "bitmap")));
}

void SpptSession::check(const Outcome& o, StepReport& rep) {
  if (raw_) return;
  using namespace spptcheck;
  Violations& v = rep.violations;
  try {
    const std::vector<std::uint64_t> plain(touched_.begin(), touched_.end());
    check_effective(sys_, spec_, plain, v);
    check_reserved(sys_.sppt(), v);
    check_leak(sys_, spec_, v);
    check_flush_sppt(sys_.sppt().log().events(), v);
    check_flush_ept(sys_.ept().config(), sys_.ept().log().events(), v);
    if (o.kvm && o.ret != 0) check_unchanged(before_, sys_, v);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    v.push_back({"structure", fmt::format("the tables cannot be read: {}", e.what())});
  }
}

std::string SpptSession::dump() const {
  std::string out = sys_.ept().dump();
  out += sys_.sppt().dump();
  out += "bitmaps:";
  for (const auto& [gfn, bm] : sys_.bitmaps()) out += fmt::format(" {:#x}={:#010x}", gfn, bm);
  out += sys_.bitmaps().empty() ? " none\n" : "\n";
  return out;
}

std::string SpptSession::walk_text(std::uint64_t addr) const {
  const x86::EptWalkResult e = sys_.ept().walk(addr, x86::EptAccess{x86::ept::Access::Write, false, false});
  std::string out = fmt::format("EPT walk of GPA {:#x} (write): {} at level {}{}\n", addr,
                                x86::ept_outcome_name(e.outcome), e.level, e.why.empty() ? "" : " (" + e.why + ")");
  for (unsigned i = 0; i < e.depth; ++i) {
    const unsigned level = sys_.ept().config().levels - i;
    out += fmt::format("  L{} {:#018x}: {}\n", level, e.entries[i],
                       x86::decode_ept(sys_.ept().config(), e.entries[i], static_cast<int>(level)).summary);
  }
  const x86::SpptWalk w = sys_.sppt().walk(addr);
  static const char* step[] = {"vector", "SPPT miss", "SPPT misconfiguration"};
  out += fmt::format("SPPT walk: {} at L{}\n", step[static_cast<unsigned>(w.r.outcome)], w.r.level);
  for (unsigned i = 0; i < w.depth; ++i)
    out += fmt::format("  L{} {:#018x}: {}\n", 4 - i, w.entries[i],
                       x86::sppt_entry_brief(sys_.sppt().maxphyaddr(), w.entries[i], 4 - i));
  return out;
}

Json SpptSession::walk_json(std::uint64_t addr) const {
  const x86::EptWalkResult e = sys_.ept().walk(addr, x86::EptAccess{x86::ept::Access::Write, false, false});
  const x86::SpptWalk w = sys_.sppt().walk(addr);
  Json sppt_entries = Json::array();
  for (unsigned i = 0; i < w.depth; ++i) sppt_entries.push_back({{"level", 4 - i}, {"value", hex(w.entries[i])}});
  static const char* step[] = {"vector", "miss", "misconfig"};
  return {{"addr", hex(addr)},
          {"ept", {{"outcome", x86::ept_outcome_name(e.outcome)}, {"level", e.level}, {"entry", hex(e.entry)}}},
          {"sppt", {{"outcome", step[static_cast<unsigned>(w.r.outcome)]}, {"level", w.r.level},
                    {"vector", hex(w.r.vector)}, {"entries", std::move(sppt_entries)}}}};
}

}  // namespace ptspec::props
