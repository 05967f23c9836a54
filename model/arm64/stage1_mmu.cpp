// Stage1Mmu: construction, copies, the step engine (what each micro-step
// does to memory visibility, TLBs and MMU state -- stage1_tlb.hpp states the
// rules), and the hardware access through the TLB.
#include "model/arm64/stage1_mmu.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace ptspec::arm64::s1 {

namespace {
constexpr Concrete C{};
}

// ---- Prot ----
std::string Prot::str() const {
  std::string s = user ? "user" : "kernel";
  if (rdonly) s += ",rdonly";
  if (pxn) s += ",pxn";
  if (uxn) s += ",uxn";
  if (device) s += ",device";
  return s;
}

bool Prot::parse(std::string_view s, Prot& out) {
  Prot p;
  p.user = false;
  while (!s.empty()) {
    const std::size_t comma = s.find(',');
    const std::string_view f = s.substr(0, comma);
    if (f == "user") p.user = true;
    else if (f == "kernel") p.user = false;
    else if (f == "rdonly") p.rdonly = true;
    else if (f == "pxn") p.pxn = true;
    else if (f == "uxn") p.uxn = true;
    else if (f == "device") p.device = true;
    else return false;
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  out = p;
  return true;
}

LeafFields<Concrete> prot_fields(const Prot& p) {
  LeafFields<Concrete> f = no_leaf_fields();
  f.attr_indx = p.device ? kMtDeviceNgnre : kMtNormal;
  f.ap = (p.user ? 1u : 0u) | (p.rdonly ? 2u : 0u);
  f.sh = kShInner;
  f.af = true;
  f.pxn = p.pxn;
  f.uxn = p.uxn;
  return f;
}

// ---- names ----
namespace {
struct OpName {
  OpKind kind;
  const char* name;
};
constexpr OpName kOpNames[] = {
    {OpKind::InstallPage, "install_page"}, {OpKind::InstallBlock, "install_block"},
    {OpKind::MapRange, "map_range"},       {OpKind::MapSect, "map_sect"},
    {OpKind::ClearUser, "clear_user"},     {OpKind::MmuEnable, "mmu_enable"},
    {OpKind::MmuDisable, "mmu_disable"},   {OpKind::FlushTlbAll, "flush_tlb_all"},
    {OpKind::FlushTlbPage, "flush_tlb_page"},
};
}  // namespace

const char* op_kind_name(OpKind k) {
  for (const auto& o : kOpNames)
    if (o.kind == k) return o.name;
  return "?";
}

bool op_kind_from_name(std::string_view s, OpKind& out) {
  for (const auto& o : kOpNames)
    if (s == o.name) {
      out = o.kind;
      return true;
    }
  return false;
}

std::string OpRequest::describe() const {
  std::string s = fmt::format("cpu{} {}", cpu, op_kind_name(kind));
  switch (kind) {
    case OpKind::InstallPage: return s + fmt::format(" va {:#x} pa {:#x} {}", va, pa, prot.str());
    case OpKind::InstallBlock: return s + fmt::format(" va {:#x} pa {:#x} L{} {}", va, pa, level, prot.str());
    case OpKind::MapRange:
    case OpKind::MapSect: return s + fmt::format(" va {:#x} pa {:#x} size {:#x} {}", va, pa, size, prot.str());
    case OpKind::ClearUser:
    case OpKind::FlushTlbPage: return s + fmt::format(" va {:#x}", va);
    case OpKind::MmuEnable: return root ? s + fmt::format(" table {:#x}", root) : s;
    case OpKind::MmuDisable:
    case OpKind::FlushTlbAll: return s;
  }
  return s;
}

// ---- construction and copies ----
Stage1Mmu::Stage1Mmu(const Stage1Config& cfg)
    : cfg_(cfg), mem_(cfg.geo.granule_shift, nullptr), cpus_(cfg.cpus), inflight_(cfg.cpus) {
  mem_.cache_set_auto(cfg_.table_zone);
  new_table();
}

Stage1Mmu::Stage1Mmu(const Stage1Mmu& o)
    : next_tlbi_id_(o.next_tlbi_id_),
      cfg_(o.cfg_),
      log_(o.log_),
      mem_(o.mem_, nullptr),
      roots_(o.roots_),
      cpus_(o.cpus_),
      pending_stores_(o.pending_stores_),
      pending_tlbis_(o.pending_tlbis_),
      ops_(o.ops_),
      inflight_(o.inflight_) {}

Stage1Mmu& Stage1Mmu::operator=(const Stage1Mmu& o) {
  if (this == &o) return *this;
  if (o.cfg_.geo.granule_shift != cfg_.geo.granule_shift)
    throw std::logic_error("Stage1Mmu copy assignment between different granules");
  next_tlbi_id_ = o.next_tlbi_id_;
  cfg_ = o.cfg_;
  log_ = o.log_;
  mem_.assign_from(o.mem_);
  roots_ = o.roots_;
  cpus_ = o.cpus_;
  pending_stores_ = o.pending_stores_;
  pending_tlbis_ = o.pending_tlbis_;
  ops_ = o.ops_;
  inflight_ = o.inflight_;
  return *this;
}

std::uint64_t Stage1Mmu::new_table() {
  const std::uint64_t pa = mem_.alloc_contiguous(1, cfg_.table_zone);
  roots_.push_back(pa);
  log_.push({EventKind::Alloc, 0, pa});
  return pa;
}

// ---- checks ----
void Stage1Mmu::check_cpu(unsigned cpu, const char* what) const {
  if (cpu >= cfg_.cpus)
    throw InputError(fmt::format("{}: cpu {} out of range (the config has {} CPUs)", what, cpu, cfg_.cpus));
}

std::uint64_t Stage1Mmu::resolve_root(std::uint64_t root) const {
  if (root == 0) return roots_.front();
  if (std::find(roots_.begin(), roots_.end(), root) == roots_.end())
    throw InputError(fmt::format("root: {:#x} is not a table of this model (new_table returns them)", root));
  return root;
}

const CpuState& Stage1Mmu::cpu(unsigned i) const {
  check_cpu(i, "cpu");
  return cpus_[i];
}

void Stage1Mmu::set_pan(unsigned cpu, bool pan) {
  check_cpu(cpu, "set_pan");
  cpus_[cpu].pan = pan;
}

// ---- the step engine ----
int Stage1Mmu::run(const OpRequest& r) {
  const int ret = start(r);
  finish(r.cpu);
  return ret;
}

bool Stage1Mmu::busy(unsigned cpu) const {
  check_cpu(cpu, "busy");
  return inflight_[cpu].next < inflight_[cpu].steps.size();
}

std::vector<Event> Stage1Mmu::remaining_steps(unsigned cpu) const {
  check_cpu(cpu, "remaining_steps");
  const InFlight& f = inflight_[cpu];
  return {f.steps.begin() + static_cast<std::ptrdiff_t>(f.next), f.steps.end()};
}

bool Stage1Mmu::step(unsigned cpu) {
  check_cpu(cpu, "step");
  InFlight& f = inflight_[cpu];
  if (f.next >= f.steps.size()) return false;
  Event e = f.steps[f.next++];
  execute(cpu, e);
  OpRecord& rec = ops_[f.op];
  rec.end_event = log_.size();
  if (f.next == f.steps.size()) {
    rec.done = true;
    f.steps.clear();
    f.next = 0;
  }
  return true;
}

void Stage1Mmu::finish(unsigned cpu) {
  while (step(cpu)) {
  }
}

void Stage1Mmu::write_raw(unsigned cpu, std::uint64_t ptep, std::uint64_t value) {
  check_cpu(cpu, "write_raw");
  if (!mem_.find(ptep)) throw InputError(fmt::format("write_raw: {:#x} is not in a table page", ptep));
  if (ptep & 7) throw InputError(fmt::format("write_raw: {:#x} is not 8-byte aligned", ptep));
  execute(cpu, Event{EventKind::Write, 0, ptep, 0, 0, value, 0, kEventSingleCopyAtomic});
}

void Stage1Mmu::raw_step(unsigned cpu, const Event& e) {
  check_cpu(cpu, "raw_step");
  if (busy(cpu))
    throw InputError(fmt::format("raw_step: cpu {} has a library call in flight (step or finish it first)", cpu));
  Event x = e;
  x.op = ops_.empty() ? 0 : static_cast<std::uint32_t>(ops_.size() - 1);
  switch (e.kind) {
    case EventKind::Write: {
      if (e.pa & 7) throw InputError(fmt::format("raw_step: store address {:#x} is not 8-byte aligned", e.pa));
      if (!mem_.find(e.pa)) throw InputError(fmt::format("raw_step: store address {:#x} is not in a table page", e.pa));
      const std::uint8_t f = e.flags;
      if (f != kEventSingleCopyAtomic && f != kEventTornHalf && f != (kEventTornHalf | kEventTornLast))
        throw InputError(fmt::format("raw_step: store flags {:#x}: want single-copy-atomic or a torn half", f));
      break;
    }
    case EventKind::Dsb:
      if (e.level > static_cast<std::uint8_t>(DsbKind::Nsh))
        throw InputError(fmt::format("raw_step: dsb kind {} unknown", e.level));
      break;
    case EventKind::Isb:
    case EventKind::MmuOff: break;
    case EventKind::TlbiVa:
    case EventKind::TlbiVmall:
      if (e.flags & ~kEventBroadcast) throw InputError(fmt::format("raw_step: tlbi flags {:#x}", e.flags));
      break;
    case EventKind::MmuOn: x.pa = resolve_root(e.pa); break;
    default:
      throw InputError(fmt::format("raw_step: '{}' is not a stage-1 micro-step", event_kind_name(e.kind)));
  }
  execute(cpu, x);
}

void Stage1Mmu::dsb(unsigned cpu, DsbKind k) {
  // Every DSB waits for the CPU's stores: they become visible to walks.
  std::erase_if(pending_stores_, [&](const PendingStore& s) { return s.cpu == cpu; });
  if (k == DsbKind::Ishst) return;  // stores only: TLB maintenance not completed
  // DSB ISH/SY completes every TLBI of this CPU; DSB NSH only the local ones.
  std::erase_if(pending_tlbis_, [&](const PendingTlbi& t) {
    if (t.cpu != cpu || (t.broadcast && k == DsbKind::Nsh)) return false;
    for (CpuState& c : cpus_) c.tlb.complete(t.id);
    return true;
  });
}

void Stage1Mmu::execute(unsigned cpu, Event e) {
  e.cpu = static_cast<std::uint8_t>(cpu);
  const std::size_t index = log_.size();
  CpuState& c = cpus_[cpu];
  switch (e.kind) {
    case EventKind::Write: {
      e.old_value = mem_.load(e.pa);
      mem_.store(e.pa, e.new_value);
      // A torn store's first half is taken as already visible (stores may
      // reach walkers any time before the DSB; this is the worst case the
      // missing WRITE_ONCE allows); every other store is pending.
      const bool first_half = (e.flags & kEventTornHalf) && !(e.flags & kEventTornLast);
      if (!first_half) pending_stores_.push_back({cpu, e.pa, e.old_value, e.new_value, index});
      break;
    }
    case EventKind::Dsb: dsb(cpu, static_cast<DsbKind>(e.level)); break;
    case EventKind::Isb:
      c.mmu_on = c.sctlr_m;
      c.ttbr = c.ttbr_written;
      break;
    case EventKind::TlbiVa:
    case EventKind::TlbiVmall: {
      const bool all = e.kind == EventKind::TlbiVmall;
      const bool broadcast = e.flags & kEventBroadcast;
      const std::uint32_t id = next_tlbi_id_++;
      for (unsigned i = 0; i < cpus_.size(); ++i)
        if (broadcast || i == cpu) cpus_[i].tlb.doom(id, all, e.addr);
      pending_tlbis_.push_back({id, cpu, all, e.addr, broadcast, index});
      break;
    }
    case EventKind::MmuOn:
      c.sctlr_m = true;
      c.ttbr_written = e.pa;
      break;
    case EventKind::MmuOff: c.sctlr_m = false; break;
    default: break;  // Alloc, DataWrite: recorded only
  }
  log_.push(e);
}

// ---- the hardware access ----
Translation Stage1Mmu::access(unsigned cpu, std::uint64_t va, El el, Access acc) {
  check_cpu(cpu, "access");
  CpuState& c = cpus_[cpu];
  if (!c.mmu_on) {
    Translation t;
    t.mmu_off = true;
    t.pa = va;
    t.perms = {true, true, true};
    t.why = "MMU off: flat identity";
    return t;
  }
  if (const TlbEntry* e = c.tlb.lookup(va)) {
    Translation t;
    t.tlb_hit = true;
    t.level = e->level;
    t.pte = e->pte;
    t.ptep = e->ptep;
    t.table_attrs = e->table_attrs;
    t.va_base = e->va_base;
    t.size = e->size;
    t.pa = leaf_output(C, geo(), e->pte, va, e->level);
    t.perms = leaf_perms(C, e->pte, e->table_attrs, el, c.pan, cfg_.wxn);
    const bool ok = acc == Access::Read ? t.perms.read : acc == Access::Write ? t.perms.write : t.perms.exec;
    if (!ok) {
      t.fault = Fault::Permission;
      t.why = "permission fault (cached translation)";
    } else {
      t.why = "TLB hit";
    }
    return t;
  }
  Translation t = translate(c.ttbr, va, el, acc, c.pan, View::Walker);
  if (t.fault == Fault::None || t.fault == Fault::Permission) {
    TlbEntry e;
    e.va_base = t.va_base;
    e.size = t.size;
    e.level = t.level;
    e.pte = t.pte;
    e.table_attrs = t.table_attrs;
    e.ptep = t.ptep;
    e.root = c.ttbr;
    e.filled_at = log_.size();
    c.tlb.fill(e);
  }
  return t;
}

}  // namespace ptspec::arm64::s1
