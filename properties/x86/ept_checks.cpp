// The x86.ept invariant checkers (see ept_checks.hpp). Sources:
// reference/x86-ept-spp.md (entry formats, reserved bits per level, KVM's
// flush after zap/protect), Intel SDM Vol. 3C §29.3.3 (misconfigurations and
// violations), §29.4 (INVEPT: cached translations survive until invalidated,
// so a reduction without one leaves stale permissive translations).
#include "properties/x86/ept_checks.hpp"
#include "properties/reporter.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace ptspec::props::eptcheck {

namespace {

constexpr Concrete C{};
namespace ept = x86::ept;
using x86::EptConfig;
constexpr unsigned kEntries = 512;


bool present(const EptConfig& cfg, std::uint64_t pte) { return ept::is_present(C, cfg, pte); }
bool table_link(const EptConfig& cfg, unsigned level, std::uint64_t pte) {
  return present(cfg, pte) && !ept::is_leaf(C, level, pte);
}

}  // namespace

void scan_ept(const x86::EptMmu& mmu, EptScan& s) {
  s.tables.clear();
  s.leaves.clear();
  const EptConfig& cfg = mmu.config();
  const PhysMem& mem = mmu.mem();
  struct Rec {
    const EptConfig& cfg;
    const PhysMem& mem;
    EptScan& s;
    void go(std::uint64_t pa, unsigned level, std::uint64_t gpa, unsigned depth) {
      const std::uint64_t* w = mem.find(pa);
      s.tables.push_back({pa, level, gpa, w});
      // A loop of table links would recurse forever; the walk depth bounds it.
      if (!w || depth > 5) return;
      for (unsigned i = 0; i < kEntries; ++i) {
        const std::uint64_t g = gpa + i * EptConfig::entry_size(level);
        if (!present(cfg, w[i])) continue;
        if (table_link(cfg, level, w[i])) go(ept::table_addr(C, cfg, w[i]), level - 1, g, depth + 1);
        else s.leaves.push_back({g, level, w[i], pa + i * 8});
      }
    }
  };
  Rec{cfg, mem, s}.go(mmu.root(), cfg.levels, 0, 1);
}

void check_abstraction(const x86::EptMmu& mmu, const EptScan& scan, const spec::EptSpec& spec, int model_ret,
                       int spec_ret, Violations& out) {
  if (model_ret != spec_ret)
    out.push_back({"abstraction", fmt::format("the model returned {}, the spec {}", errno_name(model_ret),
                                              errno_name(spec_ret))});
  const std::string d = spec::diff(spec.runs(), spec::abstraction(mmu.config(), scan.leaves));
  if (!d.empty()) out.push_back({"abstraction", d});
}

void check_walk(const x86::EptMmu& mmu, const spec::EptSpec& spec, const std::vector<std::uint64_t>& addrs,
                Violations& out) {
  Reporter report{out, "abstraction"};
  const EptConfig& cfg = mmu.config();
  for (std::uint64_t gpa : addrs) {
    if (gpa >= x86::ept_gpa_limit(cfg)) continue;
    // A bare GPA read: a translation, or a violation when the page is not readable.
    const x86::EptWalkResult r = mmu.walk(gpa, {ept::Access::Read, false, false});
    const auto page = spec.lookup(gpa);
    if (!page) {
      if (r.outcome != x86::EptOutcome::Violation || present(cfg, r.entry))
        report("walk of {:#x}: {} ({}), the spec has the page unmapped", gpa, x86::ept_outcome_name(r.outcome), r.why);
      continue;
    }
    const std::uint64_t want_perms =
        fprep(page->attrs.xwr, ept::kXwr) | (cfg.mbec && page->attrs.user_exec ? ept::kUserExec.mask() : 0);
    const bool leaf_reached = r.outcome == x86::EptOutcome::Translation ||
                              (r.outcome == x86::EptOutcome::Violation && present(cfg, r.entry) &&
                               ept::is_leaf(C, r.level, r.entry));
    if (!leaf_reached) {
      report("walk of {:#x}: {} ({}), the spec maps it: {}", gpa, x86::ept_outcome_name(r.outcome), r.why,
             page->str());
      continue;
    }
    if (r.perms != want_perms)
      report("walk of {:#x}: permissions {:#x}, the spec has {:#x}", gpa, r.perms, want_perms);
    const std::uint64_t want_hpa = page->hpa + (gpa - page->gpa);
    if (r.outcome == x86::EptOutcome::Translation && r.hpa != want_hpa)
      report("walk of {:#x}: hpa {:#x}, the spec has {:#x}", gpa, r.hpa, want_hpa);
  }
}

void check_reserved(const EptConfig& cfg, const EptScan& scan, Violations& out) {
  Reporter report{out, "reserved"};
  for (const EptScan::Table& t : scan.tables) {
    if (!t.words) continue;
    for (unsigned i = 0; i < kEntries; ++i) {
      const std::uint64_t pte = t.words[i];
      if (!ept::is_misconfigured(C, cfg, pte, t.level)) continue;
      const auto m = static_cast<ept::Misconfig>(ept::misconfig(C, cfg, pte, t.level));
      report("L{} entry @{:#x} = {:#018x}: {} (reserved bits {:#x})", t.level, t.pa + i * 8, pte,
             x86::ept_misconfig_name(m), ept::reserved_bits(C, cfg, pte, t.level));
    }
  }
}

void check_structure(const x86::EptMmu& mmu, const EptScan& scan, Violations& out) {
  Reporter structure{out, "structure"};
  Reporter refcount{out, "refcount"};
  const EptConfig& cfg = mmu.config();
  std::vector<std::uint64_t> seen;
  for (const EptScan::Table& t : scan.tables) {
    if (!t.words) {
      structure("L{} table {:#x} (gpa {:#x}) is backed by no memory", t.level, t.pa, t.gpa);
      continue;
    }
    if (mmu.mem().state_of(t.pa) != FrameState::InUse)
      structure("L{} table {:#x} (gpa {:#x}) is not a live page", t.level, t.pa, t.gpa);
    seen.push_back(t.pa);
    unsigned n = 0;
    for (unsigned i = 0; i < kEntries; ++i) n += present(cfg, t.words[i]) ? 1 : 0;
    if (mmu.mem().page_count(t.pa) != 1 + n)
      refcount("L{} table {:#x} has count {}, 1 + {} present entries expected", t.level, t.pa,
               mmu.mem().page_count(t.pa), n);
  }
  std::sort(seen.begin(), seen.end());
  for (std::size_t i = 1; i < seen.size(); ++i)
    if (seen[i] == seen[i - 1]) structure("table page {:#x} is reached more than once", seen[i]);
}

void check_leak(const x86::EptMmu& mmu, const EptScan& scan, Violations& out) {
  Reporter report{out, "leak"};
  const PhysMem& mem = mmu.mem();
  std::vector<std::uint64_t> reach;
  for (const EptScan::Table& t : scan.tables) reach.push_back(t.pa);
  std::sort(reach.begin(), reach.end());
  reach.erase(std::unique(reach.begin(), reach.end()), reach.end());
  const std::vector<std::uint64_t> live = mem.pages_in_use();
  for (std::uint64_t pa : live)
    if (!std::binary_search(reach.begin(), reach.end(), pa)) report("table page {:#x} is live but unreachable", pa);
  if (mem.allocated_total() - mem.freed_total() != live.size())
    report("{} pages allocated, {} freed, but {} live", mem.allocated_total(), mem.freed_total(), live.size());
  if (live.size() != reach.size()) report("{} live pages, {} reachable tables", live.size(), reach.size());
}

void check_flush(const EptConfig& cfg, const std::vector<Event>& events, Violations& out) {
  Reporter report{out, "flush"};
  // The last INVEPT; every write that needs one must come before it.
  std::size_t last_flush = 0;
  bool any = false;
  for (std::size_t i = 0; i < events.size(); ++i)
    if (events[i].kind == EventKind::TlbiAll) last_flush = i, any = true;
  const std::uint64_t pm = ept::perm_mask(cfg), addr = ept::addr_field(cfg).mask();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (e.kind != EventKind::Write || !present(cfg, e.old_value)) continue;
    const std::uint64_t o = e.old_value, n = e.new_value;
    const char* why = nullptr;
    if (!present(cfg, n)) why = "made non-present";
    else if (o & ~n & pm) why = "lost a permission";
    else if (ept::is_leaf(C, e.level, o) != ept::is_leaf(C, e.level, n)) why = "changed between leaf and table";
    else if ((o & addr) != (n & addr)) why = "changed its address";
    if (why && !(any && last_flush > i))
      report("L{} entry @{:#x} (gpa {:#x}) {} ({:#018x} -> {:#018x}) with no INVEPT after it", e.level, e.pa, e.addr,
             why, o, n);
  }
}

}  // namespace ptspec::props::eptcheck
