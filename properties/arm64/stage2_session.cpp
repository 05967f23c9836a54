// An arm64.stage2 session: each op runs on the model and on the abstract
// spec, then every invariant checker runs (stage2_checks.hpp). The op's
// events are kept for the trace and for the TLB-discipline checkers; the
// event log is cleared before every op so that they see this op only.
#include "properties/arm64/stage2_session.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "model/arm64/stage2_decode.hpp"
#include "model/arm64/stage2_desc.hpp"
#include "model/core/errors.hpp"
#include "properties/step_common.hpp"

namespace ptspec::props {

namespace {

constexpr Concrete C{};
namespace s2 = arm64::s2;

// Addresses of the walk comparison are bounded per op: a 1 GiB unmap does
// not walk 262144 pages, it walks the ends and the start of every leaf.
constexpr std::size_t kMaxWalkSamples = 64;

std::string field(const Op& op, const char* name) { return fmt::format("ops[{}].{}", op.index, name); }

arm64::Prot prot_arg(const Op& op, const char* name) {
  arm64::Prot p;
  if (!arm64::Prot::parse(arg_string(op, name), p))
    throw InputError(field(op, name) + ": not a permission string (r, w, x, d)");
  return p;
}

unsigned small_arg(const Op& op, const char* name) { return static_cast<unsigned>(arg_u64(op, name)); }

bool is_kvm_op(const std::string& n) {
  return n == "map" || n == "set_owner" || n == "unmap" || n == "relax_perms" || n == "wrprotect" ||
         n == "mkyoung" || n == "mkold" || n == "free";
}

std::string walk_summary(const arm64::Translation& t) {
  if (t.ok()) return fmt::format("L{} leaf, pa {:#x} {} AF={}", t.level, t.pa, t.prot.str(), t.af ? 1 : 0);
  return fmt::format("{} fault at L{} ({}), owner {} sw {}", arm64::fault_kind_name(t.fault), t.level, t.why, t.owner,
                     t.sw);
}

}  // namespace

std::string stage2_entry_brief(const arm64::Stage2Config& cfg, std::uint64_t pte, unsigned level) {
  const arm64::Geometry& g = cfg.geo;
  if (pte == 0) return "invalid";
  if (!s2::is_valid(C, pte)) {
    std::string s = fmt::format("owner {}", s2::owner_of(C, cfg.owner_layout, pte));
    // Only the software bits outside the owner field are the entry's own
    // (the seed layout's owner 63:56 covers SW 58:56).
    if (auto sw = s2::sw_of(C, pte & ~s2::owner_field(cfg.owner_layout).mask()))
      s += fmt::format(" sw {:#x}", sw);
    return s;
  }
  if (s2::is_table(C, pte, level)) return fmt::format("table -> {:#x}", s2::oa_of(C, g, pte));
  if (!s2::is_leaf(C, g, pte, level)) return fmt::format("reserved encoding at L{} (faults)", level);
  auto p = s2::attr_to_prot(C, pte);
  return fmt::format("{} -> {:#x} {}{}", level == arm64::kMaxLevel ? "page" : "block", s2::oa_of(C, g, pte),
                     arm64::Prot{p.r, p.w, p.x, p.device}.str(), (pte & s2::kAf.mask()) ? " AF" : " !AF");
}

Stage2Session::Stage2Session(const arm64::Stage2Config& cfg) : pgt_(cfg), spec_(cfg) {}

StepReport Stage2Session::step(const Op& op) {
  StepReport rep;
  rep.op_index = op.index;
  rep.op_text = op_text(op);
  pgt_.log().clear();
  // The op's outcome is not known beforehand: copy every live page now, so
  // that a failed op can be checked to have changed nothing.
  // (check() compares with it only after a KVM op, so a stale one from an
  // earlier step is never read.)
  if (!raw_ && is_kvm_op(op.name)) s2check::take_snapshot(pgt_, before_);
  Outcome o;
  const bool threw = !run_guarded(op, raw_, rep, [&] { o = run(op, rep); });
  rep.ret = o.model_ret;
  rep.events = pgt_.log().events();
  trace_events(rep, rep.events,
               [&](std::uint64_t v, unsigned level) { return stage2_entry_brief(pgt_.config(), v, level); });
  if (op.name == "write_entry") rep.trace.push_back("(tables written by hand: invariant checkers off from here)");
  check_expect(op, o.model_ret, rep);
  if (!threw) check(o, rep, before_);
  prefix_violations(op, rep);
  ++ops_;
  return rep;
}

Stage2Session::Outcome Stage2Session::run(const Op& op, StepReport& rep) {
  const std::string& n = op.name;
  if (is_kvm_op(n)) return run_kvm(op);
  Outcome o;
  if (n == "memcache") {
    if (op.args["pages"].is_string()) pgt_.mem().cache_set_auto(pgt_.config().table_zone);
    else pgt_.mem().cache_set(arg_u64(op, "pages"), pgt_.config().table_zone);
    o.state_checks = true;
  } else if (n == "write_entry") {
    write_entry(op);
  } else if (n == "expect_walk") {
    expect_walk(op, rep);
  } else if (n == "expect_refcount") {
    expect_refcount(op, rep);
  } else if (n == "expect_tables") {
    std::uint64_t live = pgt_.mem().pages_in_use().size();
    if (live != arg_u64(op, "count"))
      rep.violations.push_back({"expectation", fmt::format("{} live table pages, the case expects {}", live,
                                                           arg_u64(op, "count"))});
  } else {
    throw InputError(fmt::format("ops[{}].op: the arm64.stage2 session has no op \"{}\"", op.index, n));
  }
  return o;
}

Stage2Session::Outcome Stage2Session::run_kvm(const Op& op) {
  Outcome o;
  // The spec has no memory: when a fixed memcache ran dry (-ENOMEM, the
  // exhaustion a case injected) the op did not happen, so the spec does not
  // run it either and the unchanged checker sees that nothing changed. With
  // the self-refilling cache -ENOMEM is impossible and the spec runs, so a
  // spurious -ENOMEM is a return-code mismatch.
  auto spec_runs = [&](Outcome& r) {
    if (r.model_ret == kEnomem && !pgt_.mem().cache_auto()) {
      r.spec_ret = kEnomem;
      return false;
    }
    return true;
  };
  o.compare = o.state_checks = true;
  const std::string& n = op.name;
  const std::uint64_t addr = arg_u64(op, "addr");
  const std::uint64_t size = arg_u64(op, "size");
  o.lo = addr;
  o.size = size;
  if (n == "map") {
    const std::uint64_t phys = arg_u64(op, "phys");
    const arm64::Prot prot = prot_arg(op, "prot");
    const unsigned sw = small_arg(op, "sw");
    o.model_ret = pgt_.map(addr, size, phys, prot, sw);
    if (spec_runs(o)) o.spec_ret = spec_.map(addr, size, phys, prot, sw);
  } else if (n == "set_owner") {
    const unsigned owner = small_arg(op, "owner"), sw = small_arg(op, "sw");
    o.model_ret = pgt_.set_owner(addr, size, owner, sw);
    if (spec_runs(o)) o.spec_ret = spec_.set_owner(addr, size, owner, sw);
  } else if (n == "unmap") {
    o.model_ret = pgt_.unmap(addr, size);
    if (spec_runs(o)) o.spec_ret = spec_.unmap(addr, size);
  } else if (n == "wrprotect") {
    o.model_ret = pgt_.wrprotect(addr, size);
    if (spec_runs(o)) o.spec_ret = spec_.wrprotect(addr, size);
  } else if (n == "relax_perms") {
    const arm64::Prot prot = prot_arg(op, "prot");
    o.model_ret = pgt_.relax_perms(addr, prot);
    if (spec_runs(o)) o.spec_ret = spec_.relax_perms(addr, prot);
  } else if (n == "mkyoung") {
    o.model_ret = pgt_.mkyoung(addr);
    if (spec_runs(o)) o.spec_ret = spec_.mkyoung(addr);
  } else if (n == "mkold") {
    o.model_ret = pgt_.mkold(addr);
    if (spec_runs(o)) o.spec_ret = spec_.mkold(addr);
  } else if (n == "free") {
    o.model_ret = pgt_.free();
    if (spec_runs(o)) o.spec_ret = spec_.free();
  }
  return o;
}

void Stage2Session::check(const Outcome& o, StepReport& rep, const s2check::Snapshot& before) {
  if (raw_ || !o.state_checks) return;
  using namespace s2check;
  Violations& v = rep.violations;
  try {
    // One read of the tables for abstraction, refcount, structure and leak.
    scan_tables(pgt_, scan_);
    if (o.compare) {
      check_abstraction(pgt_, scan_, spec_, o.model_ret, o.spec_ret, v);
      check_walk(pgt_, spec_, walk_samples(o), v);
    }
    check_refcount(pgt_, scan_, v);
    check_structure(pgt_, scan_, v);
    check_leak(pgt_, scan_, v);
    check_bbm(pgt_.geo(), rep.events, v);
    check_flush(pgt_.geo(), rep.events, v);
    if (o.compare && o.model_ret != 0) check_unchanged(before, pgt_, v);
  } catch (const std::exception& e) {
    // A checker reading a table that points at no memory.
    v.push_back({"structure", fmt::format("the tables cannot be read: {}", e.what())});
  }
}

std::vector<std::uint64_t> Stage2Session::walk_samples(const Outcome& o) const {
  const arm64::Geometry& g = pgt_.geo();
  std::vector<std::uint64_t> out{o.lo};
  if (o.size == 0 || o.lo + o.size < o.lo) return out;
  const std::uint64_t hi = o.lo + o.size;
  out.push_back((hi - 1) & ~(g.granule() - 1));
  for (auto it = spec_.runs().lower_bound(o.lo); it != spec_.runs().end() && it->first < hi; ++it) {
    if (out.size() >= kMaxWalkSamples) break;
    out.push_back(it->first);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool Stage2Session::table_at(std::uint64_t addr, unsigned level, std::uint64_t& table, std::string& why) const {
  const arm64::Geometry& g = pgt_.geo();
  if (pgt_.destroyed()) {
    why = "the table was freed";
    return false;
  }
  if (addr >= g.ia_limit()) {
    why = fmt::format("{:#x} is beyond ia_bits {}", addr, g.ia_bits);
    return false;
  }
  if (level < g.start_level) {
    why = fmt::format("the walk starts at level {}", g.start_level);
    return false;
  }
  table = pgt_.pgd();
  for (unsigned l = g.start_level; l < level; ++l) {
    const std::uint64_t ptep = s2::entry_address(C, g, table, addr, l);
    const std::uint64_t* p = pgt_.mem().find(ptep);
    if (!p) {
      why = fmt::format("the L{} entry address {:#x} is backed by no memory", l, ptep);
      return false;
    }
    if (!s2::is_table(C, *p, l)) {
      why = fmt::format("the L{} entry for {:#x} is {:#018x} ({}), not a table", l, addr, *p,
                        stage2_entry_brief(pgt_.config(), *p, l));
      return false;
    }
    table = s2::oa_of(C, g, *p);
  }
  return true;
}

void Stage2Session::write_entry(const Op& op) {
  const std::uint64_t addr = arg_u64(op, "addr"), value = arg_u64(op, "value");
  const auto level = static_cast<unsigned>(arg_u64(op, "level"));
  std::uint64_t table = 0;
  std::string why;
  if (!table_at(addr, level, table, why))
    throw InputError(fmt::format("{}: write_entry: no L{} table for {:#x}: {}", field(op, "level"), level, addr, why));
  try {
    pgt_.write_raw(s2::entry_address(C, pgt_.geo(), table, addr, level), value);
  } catch (const InputError& e) {
    throw InputError(fmt::format("ops[{}] write_entry: {}", op.index, e.what()));
  }
  raw_ = true;
}

void Stage2Session::expect_walk(const Op& op, StepReport& rep) const {
  const std::uint64_t addr = arg_u64(op, "addr");
  const Json& r = op.args["result"];
  const arm64::Translation t = pgt_.translate(addr);
  std::vector<std::string> bad;
  auto num = [&](const char* name) { return parse_u64(r[name], field(op, "result") + "." + name); };
  if (r.contains("fault") && r["fault"].get<std::string>() != arm64::fault_kind_name(t.fault))
    bad.push_back(fmt::format("fault {} expected, walk gives {}", r["fault"].get<std::string>(),
                              arm64::fault_kind_name(t.fault)));
  if (r.contains("pa") && num("pa") != t.pa) bad.push_back(fmt::format("pa {:#x} expected, walk gives {:#x}", num("pa"), t.pa));
  if (r.contains("prot")) {
    arm64::Prot want;
    if (!arm64::Prot::parse(r["prot"].get<std::string>(), want))
      throw InputError(field(op, "result") + ".prot: not a permission string");
    if (!(want == t.prot)) bad.push_back(fmt::format("prot {} expected, walk gives {}", want.str(), t.prot.str()));
  }
  if (r.contains("level") && num("level") != t.level)
    bad.push_back(fmt::format("level {} expected, walk gives {}", num("level"), t.level));
  if (r.contains("owner") && num("owner") != t.owner)
    bad.push_back(fmt::format("owner {} expected, walk gives {}", num("owner"), t.owner));
  if (r.contains("af") && r["af"].get<bool>() != t.af)
    bad.push_back(fmt::format("af {} expected, walk gives {}", r["af"].get<bool>(), t.af));
  if (r.contains("sw") && num("sw") != t.sw) bad.push_back(fmt::format("sw {} expected, walk gives {}", num("sw"), t.sw));
  if (!bad.empty()) {
    std::string all;
    for (const auto& b : bad) all += (all.empty() ? "" : "; ") + b;
    rep.violations.push_back({"expectation", fmt::format("walk of {:#x}: {} (walk: {})", addr, all, walk_summary(t))});
  }
}

void Stage2Session::expect_refcount(const Op& op, StepReport& rep) const {
  const std::uint64_t addr = arg_u64(op, "addr"), want = arg_u64(op, "count");
  const auto level = static_cast<unsigned>(arg_u64(op, "level"));
  std::uint64_t table = 0;
  std::string why;
  if (!table_at(addr, level, table, why)) {
    rep.violations.push_back({"expectation", fmt::format("no L{} table covers {:#x}: {}", level, addr, why)});
    return;
  }
  const std::uint64_t page = s2::entry_address(C, pgt_.geo(), table, addr, level) & ~(pgt_.geo().granule() - 1);
  const std::uint32_t count = pgt_.mem().page_count(page);
  if (count != want)
    rep.violations.push_back({"expectation", fmt::format("the L{} table page {:#x} covering {:#x} has count {}, the "
                                                         "case expects {}",
                                                         level, page, addr, count, want)});
}

std::string Stage2Session::dump() const {
  if (!raw_) return pgt_.dump();
  // Hand-written tables may point at memory that does not exist, which the
  // model's dump (it loads every entry) does not expect: list them here,
  // reading through find().
  const arm64::Geometry& g = pgt_.geo();
  std::string out = fmt::format("stage-2 {} pgd={:#x} (tables written by hand with write_entry)\n",
                                pgt_.config().describe(), pgt_.pgd());
  pgt_.for_each_table([&](const arm64::TablePage& t) {
    const std::string indent(2 * (t.level - g.start_level + 1), ' ');
    const std::uint64_t* w = pgt_.mem().find(t.pa);
    out += fmt::format("{}L{} table {:#x} (ipa {:#x}, count {}){}\n", indent, t.level, t.pa, t.addr,
                       pgt_.mem().page_count(t.pa), w ? "" : ": no memory backs it");
    for (std::uint64_t i = 0; w && i < g.entries(t.level); ++i) {
      const std::uint64_t* p = pgt_.mem().find(t.pa + i * 8);
      if (!p || *p == 0 || s2::is_table(C, *p, t.level)) continue;
      out += fmt::format("{}  [{}] ipa {:#x}: {:#018x}  {}\n", indent, i, t.addr + i * g.block_size(t.level), *p,
                         stage2_entry_brief(pgt_.config(), *p, t.level));
    }
  });
  return out;
}

std::string Stage2Session::walk_text(std::uint64_t addr) const {
  const arm64::Stage2Config& cfg = pgt_.config();
  const arm64::Geometry& g = cfg.geo;
  const arm64::Translation t = pgt_.translate(addr);
  std::string out = fmt::format("walk of IPA {:#x} ({})\n", addr, cfg.describe());
  std::uint64_t table = pgt_.pgd();
  for (unsigned i = 0; i < t.depth; ++i) {
    const unsigned level = g.start_level + i;
    const std::uint64_t pte = t.entries[i];
    const DecodedEntry d = arm64::decode_stage2(cfg, pte, static_cast<int>(level));
    out += fmt::format("  L{} entry @{:#x} = {:#018x}: {}\n", level, s2::entry_address(C, g, table, addr, level), pte,
                       d.summary);
    for (const auto& p : d.problems) out += fmt::format("        problem: {}\n", p);
    if (s2::is_table(C, pte, level)) table = s2::oa_of(C, g, pte);
  }
  if (t.ok())
    out += fmt::format("  => PA {:#x}, {} (L{} {}), MemAttr {:#x}, SH {}, AF {}, SW {:#x}\n", t.pa, t.prot.str(), t.level,
                       t.level == arm64::kMaxLevel ? "page" : "block", t.memattr, t.sh, t.af ? 1 : 0, t.sw);
  else
    out += fmt::format("  => {} fault at level {}: {}{}\n", arm64::fault_kind_name(t.fault), t.level, t.why,
                       t.fault == arm64::FaultKind::Translation ? fmt::format(" (owner {}, SW {:#x})", t.owner, t.sw)
                                                                : std::string());
  return out;
}

Json Stage2Session::walk_json(std::uint64_t addr) const {
  const arm64::Stage2Config& cfg = pgt_.config();
  const arm64::Geometry& g = cfg.geo;
  const arm64::Translation t = pgt_.translate(addr);
  Json entries = Json::array();
  std::uint64_t table = pgt_.pgd();
  for (unsigned i = 0; i < t.depth; ++i) {
    const unsigned level = g.start_level + i;
    const std::uint64_t pte = t.entries[i];
    const DecodedEntry d = arm64::decode_stage2(cfg, pte, static_cast<int>(level));
    entries.push_back({{"level", level},
                       {"ptep", hex(s2::entry_address(C, g, table, addr, level))},
                       {"value", hex(pte)},
                       {"kind", d.kind},
                       {"summary", d.summary},
                       {"problems", d.problems}});
    if (s2::is_table(C, pte, level)) table = s2::oa_of(C, g, pte);
  }
  return {{"addr", hex(addr)},     {"fault", arm64::fault_kind_name(t.fault)},
          {"level", t.level},      {"why", t.why},
          {"pa", hex(t.pa)},       {"prot", t.prot.str()},
          {"af", t.af},            {"memattr", t.memattr},
          {"sh", t.sh},            {"sw", t.sw},
          {"owner", t.owner},      {"entries", std::move(entries)}};
}

}  // namespace ptspec::props
