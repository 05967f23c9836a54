// The arm64.stage1 checkers (stage1_checks.hpp states each rule and its
// source).
#include "properties/arm64/stage1_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "model/arm64/stage1_desc.hpp"
#include "properties/reporter.hpp"

namespace ptspec::props::s1check {

namespace {

namespace s1 = arm64::s1;
constexpr Concrete C{};

const char* dsb_name(DsbKind k) {
  switch (k) {
    case DsbKind::Ishst: return "DSB ISHST";
    case DsbKind::Ish: return "DSB ISH";
    case DsbKind::Sy: return "DSB SY";
    case DsbKind::Nsh: return "DSB NSH";
  }
  return "DSB";
}

}  // namespace

std::string entry_brief(const arm64::Geometry& g, std::uint64_t pte, unsigned level) {
  if (pte == 0) return "invalid";
  if (!s1::is_valid(C, pte)) return fmt::format("invalid ({:#x})", pte);
  if (s1::is_table(C, pte, level)) return fmt::format("table -> {:#x}", s1::oa_of(C, g, pte));
  if (!s1::is_leaf(C, g, pte, level)) return fmt::format("reserved encoding at L{}", level);
  const s1::LeafFields<Concrete> f = s1::decode_leaf_fields(C, pte);
  s1::Prot p;
  p.user = f.ap & 1;
  p.rdonly = f.ap & 2;
  p.pxn = f.pxn;
  p.uxn = f.uxn;
  p.device = f.attr_indx == s1::kMtDeviceNgnre;
  return fmt::format("L{} {} -> {:#x} {}{}", level, level == arm64::kMaxLevel ? "page" : "block",
                     s1::oa_of(C, g, pte), p.str(), f.af ? "" : " !AF");
}

// ---- maintenance ----

MaintenanceChecker::MaintenanceChecker(const arm64::Geometry& g, unsigned cpus) : g_(g), cpus_(cpus) {}

bool MaintenanceChecker::idle(unsigned cpu) const {
  const Cpu& c = cpus_.at(cpu);
  return c.unsynced.empty() && c.needs_tlbi.empty() && c.incomplete.empty() && c.needs_isb.empty() &&
         c.sctlr_op < 0;
}

std::string MaintenanceChecker::store_text(const Store& s) const {
  return fmt::format("of {:#x} (va {:#x}, L{}: {} => {})", s.pa, s.va, s.level, entry_brief(g_, s.old_value, s.level),
                     entry_brief(g_, s.new_value, s.level));
}

std::string MaintenanceChecker::change_text(const Store& s) const {
  const char* what = "changing the descriptor";
  if (s1::is_leaf(C, g_, s.old_value, s.level)) {
    if (s.new_value == s1::clear_user(C, s.old_value)) what = "clearing AP[1] (EL0 access)";
    else if (s.new_value == (s.old_value | s1::kApRdonly.mask())) what = "setting AP[2] (read-only)";
  }
  if (!s1::is_valid(C, s.new_value)) what = "invalidating";
  return fmt::format("{} {}", what, store_text(s));
}

std::string MaintenanceChecker::tlbi_text(const Tlbi& t) {
  if (t.all) return t.broadcast ? "TLBI VMALLE1IS" : "TLBI VMALLE1";
  return fmt::format("{} of va {:#x}", t.broadcast ? "TLBI VAE1IS" : "TLBI VAE1", t.va);
}

void MaintenanceChecker::feed(const Event& e, std::size_t op, Violations& v) {
  if (e.cpu >= cpus_.size()) return;
  Cpu& c = cpus_[e.cpu];
  switch (e.kind) {
    case EventKind::Write: {
      Store s{op, e.pa, e.addr, e.old_value, e.new_value, e.level};
      if (e.flags & kEventTornHalf) {
        if (!(e.flags & kEventTornLast)) {
          v.push_back({"maintenance",
                       fmt::format("cpu{}: table store {} at ops[{}] not single-copy-atomic (no WRITE_ONCE): a plain "
                                   "store torn into two 32-bit halves, walkers may see {:#018x} ({})",
                                   e.cpu, store_text(s), op, e.new_value, entry_brief(g_, e.new_value, e.level))});
          c.torn_old = e.old_value;
          return;  // the pair counts as one store at its last half
        }
        s.old_value = c.torn_old;
      } else if (!(e.flags & kEventSingleCopyAtomic)) {
        v.push_back({"maintenance", fmt::format("cpu{}: table store {} at ops[{}] not single-copy-atomic (no "
                                                "WRITE_ONCE)",
                                                e.cpu, store_text(s), op)});
      }
      c.unsynced.push_back(s);
      if (s1::is_valid(C, s.old_value) && s.new_value != s.old_value) c.needs_tlbi.push_back(s);
      return;
    }
    case EventKind::Dsb: {
      const auto k = static_cast<DsbKind>(e.level);
      c.unsynced.clear();  // every DSB waits for the CPU's stores
      if (k == DsbKind::Ishst) return;  // stores only: TLB maintenance not completed
      std::erase_if(c.incomplete, [&](const Tlbi& t) {
        if (t.broadcast && k == DsbKind::Nsh) return false;
        if (t.all) {
          if (t.broadcast)
            for (Cpu& o : cpus_) o.flushed = true;
          else
            c.flushed = true;
        }
        c.needs_isb.push_back(t);
        return true;
      });
      return;
    }
    case EventKind::Isb:
      c.needs_isb.clear();
      c.sctlr_op = -1;
      return;
    case EventKind::TlbiVa:
    case EventKind::TlbiVmall: {
      const Tlbi t{op, e.kind == EventKind::TlbiVmall, (e.flags & kEventBroadcast) != 0, e.addr};
      for (const Store& s : c.unsynced)
        v.push_back({"maintenance", fmt::format("cpu{}: store {} at ops[{}] not followed by DSB ISHST before the {} "
                                                "at ops[{}]",
                                                e.cpu, store_text(s), s.op, tlbi_text(t), op)});
      c.unsynced.clear();
      std::erase_if(c.needs_tlbi, [&](const Store& s) {
        const std::uint64_t size = g_.block_size(s.level);
        return t.all || (t.va & ~(size - 1)) == (s.va & ~(size - 1));
      });
      c.incomplete.push_back(t);
      return;
    }
    case EventKind::MmuOn:
      if (!c.flushed)
        v.push_back({"maintenance",
                     fmt::format("MMU enabled on cpu{} at ops[{}] without TLB invalidation: no TLBI VMALLE1 completed "
                                 "by a DSB since {} (TLB contents are UNKNOWN after reset and may be stale after an "
                                 "earlier MMU-on period)",
                                 e.cpu, op, c.was_on ? "its MMU was last turned off" : "reset")});
      c.sctlr_op = static_cast<int>(op);
      c.sctlr_on = true;
      c.was_on = true;
      return;
    case EventKind::MmuOff:
      c.flushed = false;
      c.sctlr_op = static_cast<int>(op);
      c.sctlr_on = false;
      return;
    default: return;  // Alloc, DataWrite: no maintenance rule
  }
}

void MaintenanceChecker::due(unsigned cpu, const std::string& when, Violations& v) {
  Cpu& c = cpus_.at(cpu);
  for (const Store& s : c.needs_tlbi)
    v.push_back({"maintenance", fmt::format("cpu{}: no TLBI after {} at ops[{}] {}", cpu, change_text(s), s.op, when)});
  // A store already reported for its missing TLBI is not reported again.
  for (const Store& s : c.unsynced)
    if (std::none_of(c.needs_tlbi.begin(), c.needs_tlbi.end(), [&](const Store& n) { return n.pa == s.pa; }))
      v.push_back({"maintenance", fmt::format("cpu{}: store {} at ops[{}] never completed by a DSB {} (walkers need "
                                              "not see it)",
                                              cpu, store_text(s), s.op, when)});
  for (const Tlbi& t : c.incomplete)
    v.push_back({"maintenance", fmt::format("cpu{}: {} at ops[{}] not completed by {} {}", cpu, tlbi_text(t), t.op,
                                            dsb_name(t.broadcast ? DsbKind::Ish : DsbKind::Nsh), when)});
  for (const Tlbi& t : c.needs_isb)
    v.push_back({"maintenance",
                 fmt::format("cpu{}: no ISB after the DSB completing the {} at ops[{}] {}", cpu, tlbi_text(t), t.op, when)});
  if (c.sctlr_op >= 0)
    v.push_back({"maintenance", fmt::format("cpu{}: SCTLR_EL1.M = {} at ops[{}] not followed by an ISB {}", cpu,
                                            c.sctlr_on ? 1 : 0, c.sctlr_op, when)});
  c.unsynced.clear();
  c.needs_tlbi.clear();
  c.incomplete.clear();
  c.needs_isb.clear();
  c.sctlr_op = -1;
}

// ---- views ----

void check_cpu_views(const s1::Stage1Mmu& m, Violations& v) {
  Reporter r(v, "cpu-view");
  for (unsigned i = 0; i < m.cpus(); ++i) {
    const s1::CpuState& c = m.cpu(i);
    if (!c.mmu_on) continue;
    for (const s1::TlbEntry& e : c.tlb.entries()) {
      const s1::Translation t = m.translate(c.ttbr, e.va_base, s1::El::El1, s1::Access::Read, false, s1::View::Latest);
      const bool leaf = t.fault == s1::Fault::None || t.fault == s1::Fault::Permission;
      if (leaf && t.level == e.level && t.pte == e.pte && t.table_attrs == e.table_attrs) continue;
      r("cpu{} TLB entry for va {:#x} ({}, read at {:#x}{}) is stale: a walk of its table {:#x} now gives {}", i,
        e.va_base, entry_brief(m.geo(), e.pte, e.level), e.ptep,
        e.doomed_by.empty() ? "" : "; a TLBI covering it has not completed", c.ttbr,
        leaf ? entry_brief(m.geo(), t.pte, t.level) : t.describe());
    }
  }
}

void scan_tables(const s1::Stage1Mmu& m, TableScan& out) {
  const arm64::Geometry& g = m.geo();
  out.leaves.assign(m.roots().size(), {});
  out.twice.clear();
  out.reachable.clear();
  for (std::size_t i = 0; i < m.roots().size(); ++i) {
    const std::uint64_t root = m.roots()[i];
    if (!out.reachable.insert(root).second) {
      out.twice.push_back(fmt::format("root {} ({:#x}) is also a table of another root", i, root));
      continue;
    }
    auto& leaves = out.leaves[i];
    std::function<void(std::uint64_t, unsigned, std::uint64_t)> rec = [&](std::uint64_t table, unsigned level,
                                                                           std::uint64_t base) {
      const std::uint64_t* w = m.mem().find(table);
      if (!w) return;
      for (std::uint64_t k = 0; k < g.entries(level); ++k) {
        const std::uint64_t pte = w[k];
        if (!s1::is_valid(C, pte)) continue;
        const std::uint64_t va = base + k * g.block_size(level);
        if (s1::is_table(C, pte, level)) {
          const std::uint64_t next = s1::oa_of(C, g, pte);
          if (!m.mem().find(next)) {
            out.twice.push_back(fmt::format("L{} entry {:#x} (va {:#x}) links {:#x}, which is no table page", level,
                                            table + 8 * k, va, next));
          } else if (!out.reachable.insert(next).second) {
            out.twice.push_back(fmt::format("table page {:#x} linked again by the L{} entry {:#x} (va {:#x})", next,
                                            level, table + 8 * k, va));
          } else {
            rec(next, level + 1, va);
          }
        } else if (s1::is_leaf(C, g, pte, level)) {
          leaves[va] = {level, pte, table + 8 * k};
        }
      }
    };
    rec(root, g.start_level, 0);
  }
}

void check_map(const s1::Stage1Mmu& m, const TableScan& scan, const Stage1Map& map, Violations& v) {
  Reporter r(v, "abstraction");
  const arm64::Geometry& g = m.geo();
  for (std::size_t i = 0; i < scan.leaves.size() && i < map.tables(); ++i) {
    const auto& have = scan.leaves[i];
    const auto& want = map.leaves(static_cast<unsigned>(i));
    for (const auto& [va, l] : have) {
      auto it = want.find(va);
      if (it == want.end())
        r("table {}: va {:#x} is mapped by {} at {:#x}, the map has nothing there", i, va,
          entry_brief(g, l.pte, l.level), l.ptep);
      else if (const std::uint64_t pte = map.pte_of(it->second); it->second.level != l.level || pte != l.pte)
        r("table {}: va {:#x} is mapped by {:#018x} ({}) at {:#x}, the map says {:#018x} ({})", i, va, l.pte,
          entry_brief(g, l.pte, l.level), l.ptep, pte, entry_brief(g, pte, it->second.level));
    }
    for (const auto& [va, l] : want)
      if (!have.count(va))
        r("table {}: va {:#x} has no leaf, the map says {}", i, va, entry_brief(g, map.pte_of(l), l.level));
  }
}

void check_structure(const TableScan& scan, Violations& v) {
  Reporter r(v, "structure");
  for (const std::string& s : scan.twice) r("{}", s);
}

void check_leak(const s1::Stage1Mmu& m, const TableScan& scan, Violations& v) {
  Reporter r(v, "leak");
  for (std::uint64_t pa : m.mem().pages_in_use())
    if (!scan.reachable.count(pa)) r("table page {:#x} is allocated but no table links it", pa);
}

}  // namespace ptspec::props::s1check
