// x86.sppt checkers (sppt_checks.hpp). Sources: reference/x86-ept-spp.md
// "SPP" (combined write check, reserved bits), seed 000 patch 03/11 (flush
// after SPPT changes), seed 001 v7 change log (the miss handler).
#include "properties/x86/sppt_checks.hpp"

#include <fmt/format.h>

#include <set>

#include "model/x86/spp_vector.hpp"
#include "properties/reporter.hpp"

namespace ptspec::props::spptcheck {

namespace {

constexpr Concrete C{};
constexpr std::uint64_t kPage = 4096;


bool is_flush(const Event& e) { return e.kind == EventKind::TlbiAll || e.kind == EventKind::TlbiAddr; }

// Reports every reducing write not followed by a flush.
template <class Reduces> void flush_after(const std::vector<Event>& ev, Reduces&& reduces, const char* what,
                                          Violations& out) {
  Reporter bad{out, "flush"};
  bool pending = false;
  std::size_t first = 0;
  for (std::size_t i = 0; i < ev.size(); ++i) {
    if (ev[i].kind == EventKind::Rollback) pending = false;  // undone: nothing reduced
    if (is_flush(ev[i])) pending = false;
    if (ev[i].kind == EventKind::Write && !pending && reduces(ev[i])) {
      pending = true;
      first = i;
    }
  }
  if (pending)
    bad("{} entry @{:#x} (L{}): {:#018x} -> {:#018x} reduces permissions and no flush follows before the op "
        "returns",
        what, ev[first].pa, ev[first].level, ev[first].old_value, ev[first].new_value);
}

void words_of(const PhysMem& m, std::map<std::uint64_t, std::vector<std::uint64_t>>& into) {
  into.clear();
  const std::size_t n = m.page_size() / 8;
  for (std::uint64_t pa : m.pages_in_use()) {
    const std::uint64_t* w = m.find(pa);
    into[pa] = w ? std::vector<std::uint64_t>(w, w + n) : std::vector<std::uint64_t>{};
  }
}

}  // namespace

void check_effective(x86::SppSystem& sys, const Bitmaps& spec, const std::vector<std::uint64_t>& plain,
                     Violations& out) {
  Reporter bad{out, "abstraction"};
  for (const auto& [gfn, bm] : spec) {
    const std::uint64_t gpa = gfn * kPage;
    std::uint64_t pte = 0;
    const unsigned level = sys.ept_leaf(gpa, &pte);
    if (!level) continue;  // not mapped: every access is an EPT violation, SPP or not
    if (level != 1) {
      bad("GFN {:#x} has bitmap {:#010x} but an L{} EPT leaf maps it (SPP needs a 4K leaf)", gfn, bm, level);
      continue;
    }
    if (!(pte & x86::ept::kSpp.mask()) || (pte & x86::ept::kW.mask())) {
      bad("GFN {:#x} has bitmap {:#010x} but its EPT leaf {:#018x} has {}", gfn, bm, pte,
          (pte & x86::ept::kW.mask()) ? "W = 1 (SPP ignored)" : "bit 61 clear");
      continue;
    }
    // The write of sub-page 0 as the vCPU makes it (miss handler included),
    // undone; the vector it found decides the other sub-pages.
    const x86::SppAccessResult r = sys.probe_write(gpa);
    const bool found = r.outcome == x86::SppOutcome::Allowed || r.outcome == x86::SppOutcome::SppViolation;
    if (!found) {
      bad("GFN {:#x} (bitmap {:#010x}): the write check gives {} ({})", gfn, bm, x86::spp_outcome_name(r.outcome),
          r.why);
      continue;
    }
    const x86::spp::EptLeaf<Concrete> leaf{true, r.ept.readable(), false, r.ept.executable(), true};
    for (unsigned i = 0; i < x86::spp::kSubpages; ++i) {
      const std::uint64_t a = gpa + (std::uint64_t{i} << x86::spp::kSubpageShift);
      const bool allowed =
          x86::spp::check_access(leaf, x86::spp::Access::Write, r.vector, a) == x86::spp::Verdict::Allowed;
      const bool want = (bm >> i) & 1;
      if (allowed != want)
        bad("GFN {:#x} sub-page {}: write {} but the last bitmap set ({:#010x}) says {} (vector {:#018x})", gfn, i,
            allowed ? "allowed" : "denied", bm, want ? "writable" : "protected", r.vector);
    }
    for (auto [kind, perm, name] : {std::tuple{x86::spp::Access::Read, x86::ept::kR.mask(), "read"},
                                    std::tuple{x86::spp::Access::Execute, x86::ept::kX.mask(), "execute"}}) {
      const x86::SppAccessResult a = sys.access(gpa, kind);
      const bool want = (r.ept.perms & perm) != 0;
      if ((a.outcome == x86::SppOutcome::Allowed) != want || a.spp_applied)
        bad("GFN {:#x}: {} gives {} but EPT alone says {}", gfn, name, x86::spp_outcome_name(a.outcome),
            want ? "allowed" : "denied");
    }
  }
  for (std::uint64_t gfn : plain) {
    if (spec.count(gfn)) continue;
    std::uint64_t pte = 0;
    if (!sys.ept_leaf(gfn * kPage, &pte)) continue;
    for (std::uint64_t off : {std::uint64_t{0}, kPage - 1}) {
      const x86::SppAccessResult r = sys.probe_write(gfn * kPage + off);
      const bool w = r.ept.outcome == x86::EptOutcome::Translation;
      const auto want = w ? x86::SppOutcome::Allowed : x86::SppOutcome::EptViolation;
      if (r.outcome != want)
        bad("GFN {:#x} has no bitmap: a write at +{:#x} gives {} ({}), EPT W alone says {}", gfn, off,
            x86::spp_outcome_name(r.outcome), r.why, x86::spp_outcome_name(want));
    }
  }
}

void check_reserved(const x86::Sppt& t, Violations& out) {
  Reporter bad{out, "structure"};
  std::set<std::uint64_t> seen;
  t.for_each_table([&](const x86::SpptTable& tab, bool backed) {
    if (!seen.insert(tab.pa).second) bad("SPPT table page {:#x} is reached twice", tab.pa);
    if (!backed) {
      bad("an SPPT L{} entry points at {:#x}, which no memory backs", tab.level + 1, tab.pa);
      return;
    }
    const std::uint64_t* w = t.mem().find(tab.pa);
    for (unsigned i = 0; i < 512; ++i) {
      const std::uint64_t e = w[i];
      if (tab.level == x86::sppt::kLeafLevel) {
        if (x86::spp::has_odd_bit(C, e))
          bad("leaf vector @{:#x} (gpa {:#x}) = {:#018x} sets reserved odd bits {:#x}", tab.pa + i * 8,
              tab.gpa + (std::uint64_t{i} << 12), e, e & x86::spp::kOddBits);
      } else if (x86::sppt::is_valid(C, e) && x86::sppt::nonleaf_reserved(C, t.maxphyaddr(), e)) {
        bad("valid L{} entry @{:#x} = {:#018x} sets reserved bits {:#x}", tab.level, tab.pa + i * 8, e,
            e & x86::sppt::nonleaf_reserved_mask(t.maxphyaddr()));
      }
    }
  });
}

void check_leak(const x86::SppSystem& sys, const Bitmaps& spec, Violations& out) {
  Reporter bad{out, "leak"};
  const x86::Sppt& t = sys.sppt();
  std::set<std::uint64_t> reach;
  t.for_each_table([&](const x86::SpptTable& tab, bool backed) {
    if (backed) reach.insert(tab.pa);
    if (tab.level != x86::sppt::kLeafLevel) return;
    const std::uint64_t first = tab.gpa >> 12;
    auto it = spec.lower_bound(first);
    if (it == spec.end() || it->first >= first + 512)
      bad("SPPT leaf table {:#x} for the 2 MiB region at {:#x} is kept although no GFN there has a bitmap", tab.pa,
          tab.gpa);
  });
  const PhysMem& m = t.mem();
  const auto live = m.pages_in_use();
  for (std::uint64_t pa : live)
    if (!reach.count(pa)) bad("SPPT page {:#x} is allocated but not reachable from the root", pa);
  if (m.allocated_total() - m.freed_total() != reach.size())
    bad("SPPT: {} pages allocated - {} freed != {} reachable", m.allocated_total(), m.freed_total(), reach.size());
  std::size_t ept_tables = 0;
  sys.ept().for_each_table([&](const x86::EptTablePage&) { ++ept_tables; });
  const PhysMem& e = sys.ept().mem();
  if (e.allocated_total() - e.freed_total() != ept_tables)
    bad("EPT: {} pages allocated - {} freed != {} reachable tables", e.allocated_total(), e.freed_total(), ept_tables);
}

void check_flush_sppt(const std::vector<Event>& events, Violations& out) {
  flush_after(
      events,
      [](const Event& e) {
        if (e.level == x86::sppt::kLeafLevel) return (e.old_value & ~e.new_value & x86::spp::kEvenBits) != 0;
        // A non-leaf entry made invalid or pointing elsewhere.
        return x86::sppt::is_valid(C, e.old_value) &&
               (!x86::sppt::is_valid(C, e.new_value) || (e.old_value ^ e.new_value) & ~x86::sppt::kValid);
      },
      "SPPT", out);
}

void check_flush_ept(const x86::EptConfig& cfg, const std::vector<Event>& events, Violations& out) {
  flush_after(
      events,
      [&cfg](const Event& e) {
        if (!x86::ept::is_present(C, cfg, e.old_value)) return false;
        const std::uint64_t pm = x86::ept::perm_mask(cfg);
        const std::uint64_t ad = x86::ept::kAccessed.mask() | x86::ept::kDirty.mask();
        if (e.old_value & ~e.new_value & pm) return true;  // R, W, X (or user-X) removed
        if (e.new_value & ~e.old_value & x86::ept::kSpp.mask()) return true;  // SPP now restricts writes
        return ((e.old_value ^ e.new_value) & ~(pm | ad | x86::ept::kSpp.mask())) != 0;  // address, type, size
      },
      "EPT", out);
}

void take_snapshot(const x86::SppSystem& sys, Snapshot& into) {
  words_of(sys.ept().mem(), into.ept);
  words_of(sys.sppt().mem(), into.sppt);
  into.bitmaps = sys.bitmaps();
}

void check_unchanged(const Snapshot& before, const x86::SppSystem& after, Violations& out) {
  Reporter bad{out, "unchanged"};
  Snapshot now;
  take_snapshot(after, now);
  for (auto [name, b, a] : {std::tuple{"EPT", &before.ept, &now.ept}, std::tuple{"SPPT", &before.sppt, &now.sppt}}) {
    if (b->size() != a->size()) bad("{}: {} live pages before the failed op, {} after", name, b->size(), a->size());
    for (const auto& [pa, words] : *b) {
      auto it = a->find(pa);
      if (it == a->end()) {
        bad("{}: page {:#x} was freed by the failed op", name, pa);
        continue;
      }
      for (std::size_t i = 0; i < words.size() && i < it->second.size(); ++i)
        if (words[i] != it->second[i])
          bad("{}: entry @{:#x} changed {:#018x} -> {:#018x} in the failed op", name, pa + i * 8, words[i],
              it->second[i]);
    }
  }
  if (before.bitmaps != now.bitmaps) bad("the bitmaps changed in the failed op");
}

}  // namespace ptspec::props::spptcheck
