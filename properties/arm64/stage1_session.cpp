// An arm64.stage1 session (stage1_session.hpp): each op runs on the model
// (and, for library calls, on the abstract map); every executed micro-step
// goes to the trace and to the maintenance checker; checkpoints run the
// view, map, structure and leak checkers (stage1_checks.hpp).
#include "properties/arm64/stage1_session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

#include "model/arm64/stage1_decode.hpp"
#include "model/arm64/stage1_desc.hpp"
#include "model/core/errors.hpp"
#include "properties/step_common.hpp"

namespace ptspec::props {

namespace {

namespace s1 = arm64::s1;
constexpr Concrete C{};

std::string field(const Op& op, const char* name) { return fmt::format("ops[{}].{}", op.index, name); }

bool library_kind(const std::string& n, s1::OpKind& k) { return s1::op_kind_from_name(n, k); }

bool writes_tables(s1::OpKind k) {
  using K = s1::OpKind;
  return k == K::InstallPage || k == K::InstallBlock || k == K::MapRange || k == K::MapSect || k == K::ClearUser;
}

bool is_raw(const std::string& n) { return n == "store" || n == "dsb" || n == "isb" || n == "tlbi"; }

s1::El el_arg(const Op& op) { return arg_string(op, "el") == "el0" ? s1::El::El0 : s1::El::El1; }

s1::Access access_arg(const Op& op) {
  const std::string a = arg_string(op, "access");
  return a == "write" ? s1::Access::Write : a == "fetch" ? s1::Access::Fetch : s1::Access::Read;
}

const char* access_text(s1::Access a) {
  return a == s1::Access::Write ? "write" : a == s1::Access::Fetch ? "fetch" : "read";
}

// Rethrows the model's InputError ("va: ...") with the op in front.
template <class F> auto with_op(const Op& op, F&& f) {
  try {
    return f();
  } catch (const InputError& e) {
    throw InputError(fmt::format("ops[{}] ({}): {}", op.index, op.name, e.what()));
  }
}

}  // namespace

Stage1Session::Stage1Session(const s1::Stage1Config& cfg)
    : m_(cfg), map_(cfg.geo, cfg.cpus), maint_(cfg.geo, cfg.cpus), call_op_(cfg.cpus, 0), call_kind_(cfg.cpus) {
  absorbed_ = m_.log().size();  // the first table's allocation
}

unsigned Stage1Session::cpu_arg(const Op& op) const {
  const auto cpu = static_cast<unsigned>(arg_u64(op, "cpu"));
  if (cpu >= m_.cpus())
    throw InputError(fmt::format("{}: cpu {} out of range (the config has {} CPUs)", field(op, "cpu"), cpu, m_.cpus()));
  return cpu;
}

std::uint64_t Stage1Session::table_arg(const Op& op) const {
  const std::uint64_t t = arg_u64(op, "table");
  if (t >= m_.roots().size())
    throw InputError(fmt::format("{}: table {} does not exist ({} table{}; new_table adds one)", field(op, "table"), t,
                                 m_.roots().size(), m_.roots().size() == 1 ? "" : "s"));
  return m_.roots()[t];
}

StepReport Stage1Session::step(const Op& op) {
  StepReport rep;
  rep.op_index = op.index;
  rep.op_text = op_text(op);
  cur_ = &rep;
  cur_op_ = &op;
  Outcome o;
  const bool threw = !run_guarded(op, false, rep, [&] { run(op, rep, o); });
  absorb();
  cur_ = nullptr;
  rep.ret = o.ret;
  for (std::string& n : o.notes) rep.trace.push_back(std::move(n));
  check_expect(op, o.ret, rep);
  if (!threw) checkpoint(op, o, rep);
  prefix_violations(op, rep);
  ++ops_;
  return rep;
}

void Stage1Session::absorb() {
  // Every micro-step executed since the last call, whichever CPU ran it.
  const auto& log = m_.log().events();
  const Op& op = *cur_op_;
  for (; absorbed_ < log.size(); ++absorbed_) {
    Event e = log[absorbed_];
    if (e.kind == EventKind::Write) locate(e);
    if (e.kind == EventKind::Write || e.kind == EventKind::Alloc || e.kind == EventKind::DataWrite) dirty_ = true;
    cur_->events.push_back(e);
    std::vector<Event> one{e};
    trace_events(*cur_, one,
                 [&](std::uint64_t v, unsigned level) { return s1check::entry_brief(m_.geo(), v, level); },
                 fmt::format("cpu{} ", e.cpu));
    maint_.feed(e, op.index, cur_->violations);
  }
}

void Stage1Session::locate(Event& e) {
  // The VA and level of a table store from the table page it lands in
  // (write_raw logs none, and the model's map_range / map_sect stores carry
  // the call's first va): table pages are learnt from the roots and from
  // every table descriptor stored.
  const arm64::Geometry& g = m_.geo();
  for (std::size_t i = tables_seen_; i < m_.roots().size(); ++i) table_base_[m_.roots()[i]] = {g.start_level, 0};
  tables_seen_ = m_.roots().size();
  const std::uint64_t page = e.pa & ~(g.granule() - 1);
  auto it = table_base_.find(page);
  if (it == table_base_.end()) return;
  const auto [level, base] = it->second;
  e.level = static_cast<std::uint8_t>(level);
  e.addr = base + ((e.pa - page) / 8) * g.block_size(level);
  if (level < arm64::kMaxLevel && s1::is_table(C, e.new_value, level))
    table_base_[s1::oa_of(C, g, e.new_value)] = {level + 1, e.addr};
}

void Stage1Session::settle(unsigned cpu, Outcome& o) {
  if (!m_.busy(cpu)) return;
  m_.finish(cpu);
  // The call returns here: its obligations are due before anything else runs.
  absorb();
  maint_.due(cpu, fmt::format("before ops[{}] returned", call_op_[cpu]), cur_->violations);
  o.settled = true;
}

void Stage1Session::run(const Op& op, StepReport& rep, Outcome& o) {
  const std::string& n = op.name;
  s1::OpKind kind;
  if (library_kind(n, kind)) {
    library_call(op, rep, o);
  } else if (n == "step") {
    const unsigned cpu = cpu_arg(op);
    const bool all = !has_arg(op, "n");
    std::uint64_t left = all ? ~std::uint64_t{0} : arg_u64(op, "n");
    const bool was_busy = m_.busy(cpu);
    while (left-- > 0 && m_.step(cpu)) {
    }
    if (was_busy && !m_.busy(cpu)) o.returned.push_back(cpu);
    o.notes.push_back(m_.busy(cpu) ? fmt::format("cpu{}: {} micro-step(s) of the call still to run", cpu,
                                                   m_.remaining_steps(cpu).size())
                                     : fmt::format("cpu{}: no call in flight", cpu));
  } else if (n == "new_table") {
    const std::uint64_t pa = m_.new_table();
    map_.add_table();
    o.notes.push_back(fmt::format("table {} at {:#x}", m_.roots().size() - 1, pa));
  } else if (n == "set_pan") {
    const unsigned cpu = cpu_arg(op);
    settle(cpu, o);
    m_.set_pan(cpu, arg_bool(op, "pan"));
  } else if (is_raw(n)) {
    raw_step(op, o);
  } else if (n == "access" || n == "expect_access") {
    access(op, rep, o, n == "expect_access");
    o.observe = true;
  } else if (n == "expect_desc") {
    expect_desc(op, rep);
    o.observe = true;
  } else {
    throw InputError(fmt::format("ops[{}].op: the arm64.stage1 session has no op \"{}\"", op.index, n));
  }
}

void Stage1Session::library_call(const Op& op, StepReport& rep, Outcome& o) {
  s1::OpRequest r;
  s1::op_kind_from_name(op.name, r.kind);
  r.cpu = cpu_arg(op);
  const unsigned table = static_cast<unsigned>(arg_u64(op, "table"));
  r.root = table_arg(op);
  r.va = arg_u64(op, "va");
  r.pa = arg_u64(op, "pa");
  r.size = arg_u64(op, "size");
  r.level = static_cast<unsigned>(arg_u64(op, "level"));
  const std::string prot = arg_string(op, "prot", "user");
  if (!s1::Prot::parse(prot, r.prot))
    throw InputError(fmt::format("{}: \"{}\" is not a pgprot (comma-separated user|kernel, rdonly, pxn, uxn, device)",
                                 field(op, "prot"), prot));
  settle(r.cpu, o);
  // kvm-unit-tests updates the tables from one CPU at a time (the model
  // plans a call from the tables at its start): a call that writes tables
  // first lets another CPU's table-writing call return.
  if (writes_tables(r.kind))
    for (unsigned c = 0; c < m_.cpus(); ++c)
      if (c != r.cpu && m_.busy(c) && writes_tables(call_kind_[c])) settle(c, o);
  o.ret = with_op(op, [&] { return m_.start(r); });
  call_op_[r.cpu] = op.index;
  call_kind_[r.cpu] = r.kind;
  if (writes_tables(r.kind)) dirty_ = true;
  if (!raw_) {
    const int want = map_.apply(r, table);
    if (want != o.ret)
      rep.violations.push_back({"abstraction", fmt::format("{} returned {}, the map predicts {}", r.describe(),
                                                           errno_name(o.ret), errno_name(want))});
  }
  std::uint64_t left = has_arg(op, "steps") ? arg_u64(op, "steps") : ~std::uint64_t{0};
  while (left-- > 0 && m_.step(r.cpu)) {
  }
  if (m_.busy(r.cpu))
    o.notes.push_back(fmt::format("cpu{}: call in flight, {} micro-step(s) still to run", r.cpu,
                                    m_.remaining_steps(r.cpu).size()));
  else
    o.returned.push_back(r.cpu);
}

void Stage1Session::raw_step(const Op& op, Outcome& o) {
  const unsigned cpu = cpu_arg(op);
  settle(cpu, o);
  const std::string& n = op.name;
  Event e{EventKind::Isb};
  if (n == "store") {
    const std::uint64_t root = table_arg(op), va = arg_u64(op, "va");
    const auto level = static_cast<unsigned>(arg_u64(op, "level"));
    std::uint64_t ptep = 0;
    std::string why;
    if (!entry_at(root, va, level, ptep, why))
      throw InputError(fmt::format("{}: store: no L{} table for va {:#x}: {}", field(op, "level"), level, va, why));
    const bool has_value = has_arg(op, "value"), clear = arg_bool(op, "clear_user");
    if (has_value == clear)
      throw InputError(fmt::format("ops[{}] store: give exactly one of \"value\" and \"clear_user\": true", op.index));
    const std::uint64_t value = clear ? s1::clear_user(C, m_.read_entry(ptep, s1::View::Latest)) : arg_u64(op, "value");
    raw_ = true;
    if (arg_bool(op, "write_once", true)) {
      e = {EventKind::Write, static_cast<std::uint8_t>(level), ptep, va, 0, value, 0, kEventSingleCopyAtomic};
      exec_raw(op, cpu, e);
    } else {
      // A plain C store the compiler split: low word, then high word (as
      // the no-write-once variant's plan does).
      const std::uint64_t old = m_.read_entry(ptep, s1::View::Latest);
      const std::uint64_t mid = (old & genmask(63, 32)) | (value & genmask(31, 0));
      e = {EventKind::Write, static_cast<std::uint8_t>(level), ptep, va, old, mid, 0, kEventTornHalf};
      exec_raw(op, cpu, e);
      e = {EventKind::Write, static_cast<std::uint8_t>(level), ptep, va, mid, value, 0,
           static_cast<std::uint8_t>(kEventTornHalf | kEventTornLast)};
      exec_raw(op, cpu, e);
    }
    return;
  }
  if (n == "dsb") {
    const std::string k = arg_string(op, "kind");
    const DsbKind kind = k == "ishst" ? DsbKind::Ishst : k == "ish" ? DsbKind::Ish : k == "nsh" ? DsbKind::Nsh : DsbKind::Sy;
    e = {EventKind::Dsb, static_cast<std::uint8_t>(kind)};
  } else if (n == "tlbi") {
    e = {has_arg(op, "va") ? EventKind::TlbiVa : EventKind::TlbiVmall};
    e.addr = arg_u64(op, "va");
    e.flags = arg_bool(op, "broadcast", true) ? kEventBroadcast : 0;
  }
  exec_raw(op, cpu, e);
}

void Stage1Session::exec_raw(const Op& op, unsigned cpu, const Event& e) {
  with_op(op, [&] { m_.raw_step(cpu, e); });
}

bool Stage1Session::entry_at(std::uint64_t root, std::uint64_t va, unsigned level, std::uint64_t& ptep,
                             std::string& why) const {
  const arm64::Geometry& g = m_.geo();
  if (va >= g.ia_limit()) {
    why = fmt::format("{:#x} is beyond the {}-bit VA space", va, g.ia_bits);
    return false;
  }
  if (level < g.start_level) {
    why = fmt::format("the walk starts at level {}", g.start_level);
    return false;
  }
  std::uint64_t table = root;
  for (unsigned l = g.start_level; l < level; ++l) {
    const std::uint64_t p = s1::entry_address(C, g, table, va, l);
    const std::uint64_t* w = m_.mem().find(p);
    if (!w) {
      why = fmt::format("the L{} entry address {:#x} is backed by no memory", l, p);
      return false;
    }
    const std::uint64_t pte = m_.read_entry(p, s1::View::Latest);
    if (!s1::is_table(C, pte, l)) {
      why = fmt::format("the L{} entry for {:#x} is {:#018x} ({}), not a table", l, va, pte,
                        s1check::entry_brief(g, pte, l));
      return false;
    }
    table = s1::oa_of(C, g, pte);
  }
  ptep = s1::entry_address(C, g, table, va, level);
  if (!m_.mem().find(ptep)) {
    why = fmt::format("the L{} entry address {:#x} is backed by no memory", level, ptep);
    return false;
  }
  return true;
}

void Stage1Session::access(const Op& op, StepReport& rep, Outcome& o, bool expect) {
  const unsigned cpu = cpu_arg(op);
  const std::uint64_t va = arg_u64(op, "va");
  const s1::El el = el_arg(op);
  const s1::Access acc = access_arg(op);
  settle(cpu, o);  // the CPU is sequential: its own call returns first
  const bool had_entry = m_.cpu(cpu).mmu_on && m_.cpu(cpu).tlb.lookup(va);
  const s1::Translation t = with_op(op, [&] { return m_.access(cpu, va, el, acc); });
  const bool filled = !t.mmu_off && !t.tlb_hit && !had_entry &&
                      (t.fault == s1::Fault::None || t.fault == s1::Fault::Permission);
  o.notes.push_back(fmt::format("cpu{} {} {} va {:#x}: {}{}", cpu, el == s1::El::El0 ? "el0" : "el1", access_text(acc),
                                  va, t.describe(), filled ? "; TLB filled" : ""));
  // The map's answer, when nothing is in flight and the tables follow the library.
  bool quiet = true;
  for (unsigned i = 0; i < m_.cpus(); ++i) quiet = quiet && !m_.busy(i);
  if (quiet && !raw_) {
    std::string want;
    bool ok = true;
    if (!map_.mmu_on(cpu)) {
      ok = t.mmu_off && t.pa == va;
      want = fmt::format("MMU off: pa {:#x}", va);
    } else {
      std::uint64_t base = 0;
      const s1check::MapLeaf* l = map_.lookup(map_.table_of(cpu), va, base);
      if (!l) {
        ok = t.fault == s1::Fault::Translation;
        want = "a translation fault (nothing mapped)";
      } else {
        const auto perms = s1::leaf_perms(C, map_.pte_of(*l), std::uint64_t{0}, el, m_.cpu(cpu).pan, m_.config().wxn);
        const bool allowed = acc == s1::Access::Read ? perms.read : acc == s1::Access::Write ? perms.write : perms.exec;
        const std::uint64_t pa = l->pa + (va - base);
        ok = allowed ? (t.fault == s1::Fault::None && t.pa == pa) : t.fault == s1::Fault::Permission;
        want = allowed ? fmt::format("pa {:#x} ({})", pa, l->prot.str())
                       : fmt::format("a permission fault ({} {})", l->prot.str(), s1::perms_letters(perms));
      }
    }
    if (!ok)
      rep.violations.push_back({"cpu-view", fmt::format("cpu{} {} {} of va {:#x} gives {}, the map says {}", cpu,
                                                        el == s1::El::El0 ? "el0" : "el1", access_text(acc), va,
                                                        t.describe(), want)});
  }
  if (!expect) return;
  std::vector<std::string> bad;
  const Json& a = op.args;
  if (a.contains("fault") && a["fault"].get<std::string>() != s1::fault_name(t.fault))
    bad.push_back(fmt::format("fault {} expected, the access gives {}", a["fault"].get<std::string>(),
                              s1::fault_name(t.fault)));
  if (a.contains("level") && arg_u64(op, "level") != t.level)
    bad.push_back(fmt::format("level {} expected, the access gives {}", arg_u64(op, "level"), t.level));
  if (a.contains("pa") && arg_u64(op, "pa") != t.pa)
    bad.push_back(fmt::format("pa {:#x} expected, the access gives {:#x}", arg_u64(op, "pa"), t.pa));
  if (a.contains("tlb_hit") && arg_bool(op, "tlb_hit") != t.tlb_hit)
    bad.push_back(fmt::format("tlb_hit {} expected, the access gives {}", arg_bool(op, "tlb_hit"), t.tlb_hit));
  if (!bad.empty()) {
    std::string all;
    for (const auto& b : bad) all += (all.empty() ? "" : "; ") + b;
    rep.violations.push_back({"expectation", fmt::format("cpu{} access of {:#x}: {} ({})", cpu, va, all, t.describe())});
  }
}

void Stage1Session::expect_desc(const Op& op, StepReport& rep) const {
  const std::uint64_t root = table_arg(op), va = arg_u64(op, "va");
  const auto level = static_cast<unsigned>(arg_u64(op, "level"));
  std::uint64_t ptep = 0;
  std::string why;
  if (!entry_at(root, va, level, ptep, why)) {
    rep.violations.push_back({"expectation", fmt::format("no L{} entry for va {:#x}: {}", level, va, why)});
    return;
  }
  const std::uint64_t pte = m_.read_entry(ptep, s1::View::Latest);
  const arm64::Geometry& g = m_.geo();
  std::vector<std::string> bad;
  if (has_arg(op, "value") && arg_u64(op, "value") != pte)
    bad.push_back(fmt::format("value {:#018x} expected", arg_u64(op, "value")));
  if (has_arg(op, "kind")) {
    const char* kind = !s1::is_valid(C, pte)             ? "invalid"
                       : s1::is_table(C, pte, level)      ? "table"
                       : !s1::is_leaf(C, g, pte, level)   ? "reserved"
                       : level == arm64::kMaxLevel        ? "page"
                                                          : "block";
    if (arg_string(op, "kind") != kind) bad.push_back(fmt::format("kind {} expected, it is {}", arg_string(op, "kind"), kind));
  }
  if (has_arg(op, "user") && arg_bool(op, "user") != s1::is_user(C, pte))
    bad.push_back(fmt::format("user {} expected", arg_bool(op, "user")));
  if (!bad.empty()) {
    std::string all;
    for (const auto& b : bad) all += (all.empty() ? "" : "; ") + b;
    rep.violations.push_back({"expectation", fmt::format("L{} entry {:#x} for va {:#x} = {:#018x} ({}): {}", level, ptep,
                                                         va, pte, s1check::entry_brief(g, pte, level), all)});
  }
}

void Stage1Session::checkpoint(const Op& op, const Outcome& o, StepReport& rep) {
  s1check::Violations& v = rep.violations;
  for (unsigned cpu : o.returned) maint_.due(cpu, fmt::format("before ops[{}] returned", call_op_[cpu]), v);
  bool quiet = true;
  for (unsigned i = 0; i < m_.cpus(); ++i) quiet = quiet && !m_.busy(i);
  if (o.observe)
    for (unsigned i = 0; i < m_.cpus(); ++i)
      if (!m_.busy(i)) maint_.due(i, fmt::format("before the {} at ops[{}]", op.name, op.index), v);
  if (!quiet || (o.returned.empty() && !o.settled && !o.observe)) return;
  try {
    s1check::check_cpu_views(m_, v);
    // The tables and the map change only through stores, allocations and
    // table-writing calls: an access does not rescan them.
    if (raw_ || !dirty_) return;
    dirty_ = false;
    s1check::scan_tables(m_, scan_);
    s1check::check_map(m_, scan_, map_, v);
    s1check::check_structure(scan_, v);
    s1check::check_leak(m_, scan_, v);
  } catch (const std::exception& e) {
    v.push_back({"structure", fmt::format("the tables cannot be read: {}", e.what())});
  }
}

std::string Stage1Session::dump() const {
  // Own traversal with a visited set: hand-written tables may link a table
  // twice or into a cycle.
  const arm64::Geometry& g = m_.geo();
  std::string out;
  std::set<std::uint64_t> seen;
  std::function<void(std::uint64_t, unsigned, std::uint64_t)> rec = [&](std::uint64_t table, unsigned level,
                                                                         std::uint64_t base) {
    const std::uint64_t* w = m_.mem().find(table);
    for (std::uint64_t i = 0; w && i < g.entries(level); ++i) {
      if (!w[i]) continue;
      const std::uint64_t va = base + i * g.block_size(level);
      const std::string indent(2 * (level - g.start_level + 1), ' ');
      out += fmt::format("{}L{} [{}] va {:#x} @{:#x}: {:#018x}  {}\n", indent, level, i, va, table + 8 * i, w[i],
                         s1check::entry_brief(g, w[i], level));
      if (level < arm64::kMaxLevel && s1::is_table(C, w[i], level)) {
        const std::uint64_t next = s1::oa_of(C, g, w[i]);
        if (!m_.mem().find(next)) out += fmt::format("{}  (no table page at {:#x})\n", indent, next);
        else if (!seen.insert(next).second) out += fmt::format("{}  (table {:#x} already listed)\n", indent, next);
        else rec(next, level + 1, va);
      }
    }
  };
  for (std::size_t i = 0; i < m_.roots().size(); ++i) {
    out += fmt::format("table {} at {:#x} ({})\n", i, m_.roots()[i], m_.config().describe());
    if (seen.insert(m_.roots()[i]).second) rec(m_.roots()[i], g.start_level, 0);
  }
  for (unsigned c = 0; c < m_.cpus(); ++c) {
    const s1::CpuState& s = m_.cpu(c);
    out += fmt::format("cpu{}: MMU {}{}, ttbr0 {:#x}, PAN {}, {} TLB entr{}{}\n", c, s.mmu_on ? "on" : "off",
                       s.sctlr_m != s.mmu_on ? " (SCTLR_EL1.M written, no ISB yet)" : "", s.ttbr, s.pan ? 1 : 0,
                       s.tlb.entries().size(), s.tlb.entries().size() == 1 ? "y" : "ies",
                       m_.busy(c) ? fmt::format(", a call in flight ({} steps left)", m_.remaining_steps(c).size())
                                  : std::string());
    for (const s1::TlbEntry& e : s.tlb.entries())
      out += fmt::format("  {}\n", e.describe());
  }
  return out;
}

std::string Stage1Session::walk_text(std::uint64_t addr) const {
  const s1::Stage1Config& cfg = m_.config();
  const arm64::Geometry& g = cfg.geo;
  const s1::Translation t = m_.translate(m_.root(), addr, s1::El::El1, s1::Access::Read, false, s1::View::Latest);
  std::string out = fmt::format("walk of VA {:#x} in table 0 ({}), EL1 read\n", addr, cfg.describe());
  for (unsigned i = 0; i < t.depth; ++i) {
    const unsigned level = g.start_level + i;
    const DecodedEntry d = s1::decode_stage1(cfg, t.entries[i], static_cast<int>(level));
    out += fmt::format("  L{} entry = {:#018x}: {}\n", level, t.entries[i], d.summary);
    for (const auto& p : d.problems) out += fmt::format("        problem: {}\n", p);
  }
  out += fmt::format("  => {}\n", t.describe());
  for (unsigned c = 0; c < m_.cpus(); ++c)
    if (const s1::TlbEntry* e = m_.cpu(c).tlb.lookup(addr)) out += fmt::format("  cpu{} TLB: {}\n", c, e->describe());
  return out;
}

Json Stage1Session::walk_json(std::uint64_t addr) const {
  const s1::Stage1Config& cfg = m_.config();
  const arm64::Geometry& g = cfg.geo;
  const s1::Translation t = m_.translate(m_.root(), addr, s1::El::El1, s1::Access::Read, false, s1::View::Latest);
  Json entries = Json::array();
  for (unsigned i = 0; i < t.depth; ++i) {
    const unsigned level = g.start_level + i;
    const DecodedEntry d = s1::decode_stage1(cfg, t.entries[i], static_cast<int>(level));
    entries.push_back({{"level", level}, {"value", hex(t.entries[i])}, {"kind", d.kind}, {"summary", d.summary},
                       {"problems", d.problems}});
  }
  Json tlbs = Json::array();
  for (unsigned c = 0; c < m_.cpus(); ++c) {
    const s1::TlbEntry* e = m_.cpu(c).tlb.lookup(addr);
    tlbs.push_back(e ? Json{{"cpu", c}, {"va_base", hex(e->va_base)}, {"level", e->level}, {"pte", hex(e->pte)}}
                     : Json{{"cpu", c}, {"va_base", nullptr}});
  }
  return {{"addr", hex(addr)},
          {"fault", s1::fault_name(t.fault)},
          {"level", t.level},
          {"why", t.why},
          {"pa", hex(t.pa)},
          {"perms", s1::perms_letters(t.perms)},
          {"pte", hex(t.pte)},
          {"entries", std::move(entries)},
          {"tlb", std::move(tlbs)}};
}

}  // namespace ptspec::props
