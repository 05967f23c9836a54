// The arm64.stage2 invariant checkers. Sources: seed 003 (counted entries,
// refcount = 1 + counted entries), reference/arm64-stage2.md (break-before-
// make, leaves per level), Arm ARM D8 (valid encodings per level).
//
// Memory is read through PhysMem::find so a broken table (an entry pointing
// at no memory) is reported rather than thrown. The state checkers read the
// tables from one TableScan per step instead of walking them each.
#include "properties/arm64/stage2_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "model/arm64/stage2_desc.hpp"
#include "properties/reporter.hpp"

namespace ptspec::props::s2check {

namespace {

constexpr Concrete C{};
namespace s2 = arm64::s2;



// The index of the first non-zero word of w[i, n), or n. Runs of zero words
// (most of a sparse table) are skipped 16 at a time.
std::uint64_t skip_zeros(const std::uint64_t* w, std::uint64_t i, std::uint64_t n) {
  while (i < n && (i & 15) != 0) {
    if (w[i]) return i;
    ++i;
  }
  for (; i + 16 <= n; i += 16) {
#if defined(__SSE2__)
    const __m128i* v = reinterpret_cast<const __m128i*>(w + i);
    const __m128i a = _mm_or_si128(_mm_or_si128(_mm_loadu_si128(v), _mm_loadu_si128(v + 1)),
                                   _mm_or_si128(_mm_loadu_si128(v + 2), _mm_loadu_si128(v + 3)));
    const __m128i b = _mm_or_si128(_mm_or_si128(_mm_loadu_si128(v + 4), _mm_loadu_si128(v + 5)),
                                   _mm_or_si128(_mm_loadu_si128(v + 6), _mm_loadu_si128(v + 7)));
    const bool zero = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(a, b), _mm_setzero_si128())) == 0xffff;
#else
    std::uint64_t any = 0;
    for (std::uint64_t j = 0; j < 16; ++j) any |= w[i + j];
    const bool zero = any == 0;
#endif
    if (zero) continue;
    for (std::uint64_t j = i; j < i + 16; ++j)
      if (w[j]) return j;
  }
  for (; i < n; ++i)
    if (w[i]) return i;
  return n;
}

// The same, with the common case (the next word is non-zero: a run of
// leaves) inline.
inline std::uint64_t next_nonzero(const std::uint64_t* w, std::uint64_t i, std::uint64_t n) {
  return i < n && w[i] ? i : skip_zeros(w, i, n);
}

// Builds a TableScan by the walk of Stage2::for_each_table: the same tables
// in the same order (a table entry is followed wherever it is reached,
// among the first entries(level) entries of its table, page by page up to
// the first page no memory backs), each distinct page's entries read once.
class Scanner {
 public:
  Scanner(const arm64::Stage2& pgt, TableScan& out) : pgt_(pgt), g_(pgt.geo()), out_(out) {
    out_.reach.clear();
    out_.pages.clear();
    out_.leaves.clear();
    out_.sorted_pas.clear();
  }

  void run() {
    if (!pgt_.destroyed()) table(pgt_.pgd(), g_.start_level, 0, true);
    for (const TableScan::Page& p : out_.pages) out_.sorted_pas.push_back(p.pa);
    std::sort(out_.sorted_pas.begin(), out_.sorted_pas.end());
  }

 private:
  struct Child {
    std::uint64_t pa;
    std::uint64_t ipa;
  };

  void table(std::uint64_t pa, unsigned level, std::uint64_t base, bool is_pgd) {
    const std::uint64_t per_page = g_.entries_per_page();
    const std::uint64_t span = per_page * g_.block_size(level);
    const unsigned n = is_pgd ? g_.pgd_pages : 1;
    // Every page of the table is reached before any of its children.
    const std::size_t first_reach = out_.reach.size();
    for (unsigned k = 0; k < n; ++k) {
      const std::uint64_t page = pa + k * g_.granule();
      auto [it, fresh] = index_.try_emplace(page, static_cast<std::uint32_t>(out_.pages.size()));
      if (fresh) {
        out_.pages.push_back({page, base + k * span, level, pgt_.mem().find(page), pgt_.mem().state_of(page),
                              pgt_.mem().page_count(page), 0});
      }
      out_.reach.push_back({page, base + k * span, level, it->second, fresh});
    }
    // Read the pages: the first reach of a page records its counted entries
    // and its leaves; every reach collects the table entries to follow.
    const std::uint64_t total = level < arm64::kMaxLevel ? g_.entries(level) : 0;  // entries followed
    std::vector<Child> children;
    bool stopped = false;  // the walk stopped at a page no memory backs
    for (unsigned k = 0; k < n; ++k) {
      const TableScan::Reach& r = out_.reach[first_reach + k];
      TableScan::Page* info = r.first ? &out_.pages[r.page] : nullptr;
      const std::uint64_t* w = out_.pages[r.page].words;
      const std::uint64_t lo = std::uint64_t{k} * per_page;
      const std::uint64_t follow = !stopped && total > lo ? std::min(per_page, total - lo) : 0;
      if (!w) {
        stopped = true;
        continue;
      }
      if (!info && follow == 0) continue;
      if (info) info->leaf_begin = static_cast<std::uint32_t>(out_.leaves.size());
      std::uint32_t counted = 0;
      for (std::uint64_t i = next_nonzero(w, 0, per_page); i < per_page; i = next_nonzero(w, i + 1, per_page)) {
        const std::uint64_t pte = w[i];
        ++counted;  // stage2_pte_is_counted: any non-zero entry
        if (arm64::s2::is_table(C, pte, level)) {
          if (i < follow) children.push_back({arm64::s2::oa_of(C, g_, pte), base + (lo + i) * g_.block_size(level)});
        } else if (info) {
          out_.leaves.push_back({pte, static_cast<std::uint32_t>(i)});
        }
      }
      if (info) {
        info->counted = counted;
        info->leaf_end = static_cast<std::uint32_t>(out_.leaves.size());
      }
    }
    // Entries beyond the table's pages (none with KVM's geometries: the
    // pgd's pages hold all of the start level's entries) are followed too.
    for (std::uint64_t lo = std::uint64_t{n} * per_page; !stopped && lo < total; lo += per_page) {
      const std::uint64_t* w = pgt_.mem().find(pa + lo * 8);
      if (!w) break;
      const std::uint64_t m = std::min(per_page, total - lo);
      for (std::uint64_t i = next_nonzero(w, 0, m); i < m; i = next_nonzero(w, i + 1, m))
        if (arm64::s2::is_table(C, w[i], level))
          children.push_back({arm64::s2::oa_of(C, g_, w[i]), base + (lo + i) * g_.block_size(level)});
    }
    for (const Child& c : children) table(c.pa, level + 1, c.ipa, false);
  }

  const arm64::Stage2& pgt_;
  const arm64::Geometry& g_;
  TableScan& out_;
  std::unordered_map<std::uint64_t, std::uint32_t> index_;  // page -> index in out_.pages
};

bool perm_removed(std::uint64_t old_pte, std::uint64_t new_pte, std::string& which) {
  auto o = s2::attr_to_prot(C, old_pte);
  auto n = s2::attr_to_prot(C, new_pte);
  if (o.r && !n.r) which += 'r';
  if (o.w && !n.w) which += 'w';
  if (o.x && !n.x) which += 'x';
  return !which.empty();
}

// The input range of the entry a Write event changed: the walk may log the
// address it was at, inside the entry's range.
std::uint64_t entry_start(const arm64::Geometry& g, const Event& e) {
  return e.addr & ~(g.block_size(e.level) - 1);
}

bool covers(const arm64::Geometry& g, const Event& tlbi, std::uint64_t start, unsigned level) {
  if (tlbi.kind == EventKind::TlbiAll) return true;
  return tlbi.kind == EventKind::TlbiAddr && tlbi.addr >= start && tlbi.addr - start < g.block_size(level);
}

const char* kind_of(std::uint64_t pte, unsigned level) { return s2::is_table(C, pte, level) ? "table" : "leaf"; }

}  // namespace

namespace {
void compare_abstraction(const spec::Stage2Spec& spec, const std::vector<spec::Stage2Run>& actual, int model_ret,
                         int spec_ret, Violations& out) {
  if (model_ret != spec_ret)
    out.push_back({"abstraction", fmt::format("the model returned {}, the spec returns {}", errno_name(model_ret),
                                              errno_name(spec_ret))});
  std::string d = spec::diff(spec.run_list(), actual);
  if (!d.empty()) out.push_back({"abstraction", "tables read back differ from the spec: " + d});
}
}  // namespace

void check_abstraction(const arm64::Stage2& pgt, const spec::Stage2Spec& spec, int model_ret, int spec_ret,
                       Violations& out) {
  compare_abstraction(spec, spec::abstraction(pgt), model_ret, spec_ret, out);
}

void scan_leaves(const arm64::Stage2& pgt, const TableScan& scan, std::vector<arm64::Leaf>& into) {
  const arm64::Geometry& g = pgt.geo();
  into.clear();
  for (const TableScan::Reach& r : scan.reach) {
    const TableScan::Page& p = scan.pages[r.page];
    for (std::uint32_t i = p.leaf_begin; i < p.leaf_end; ++i) {
      const TableScan::Entry& e = scan.leaves[i];
      const std::uint64_t ipa = r.ipa + e.index * g.block_size(r.level);
      // A start-level page may hold more words than the level has entries
      // (e.g. 64 entries for a 36-bit IPA): the walk never reads the rest.
      if (r.level == g.start_level && ipa >= g.ia_limit()) continue;
      into.push_back({ipa, r.level, e.pte, p.pa + std::uint64_t{e.index} * 8});
    }
  }
}

void check_abstraction(const arm64::Stage2& pgt, const TableScan& scan, const spec::Stage2Spec& spec, int model_ret,
                       int spec_ret, Violations& out) {
  std::vector<arm64::Leaf> leaves;
  scan_leaves(pgt, scan, leaves);
  compare_abstraction(spec, spec::abstraction(pgt.config(), leaves), model_ret, spec_ret, out);
}

void check_walk(const arm64::Stage2& pgt, const spec::Stage2Spec& spec, const std::vector<std::uint64_t>& addrs,
                Violations& out) {
  if (pgt.destroyed() || spec.destroyed()) return;
  Reporter report{out, "abstraction"};
  using K = spec::PageState::Kind;
  // In the seed's layout the owner field 63:56 covers software bits 58:56,
  // so an invalid entry keeps only SW bit 55 of its own (an owner 1
  // annotation reads back as SW = 2): compare the bits outside the owner.
  const std::uint64_t sw_own =
      (s2::kSw.mask() & ~s2::owner_field(pgt.config().owner_layout).mask()) >> s2::kSw.lo;
  for (std::uint64_t a : addrs) {
    if (a >= pgt.geo().ia_limit()) continue;
    const arm64::Translation t = pgt.translate(a);
    const spec::PageState p = spec.lookup(a);
    std::string want, got;
    if (p.kind == K::Mapped) {
      auto fault = p.af ? arm64::FaultKind::None : arm64::FaultKind::AccessFlag;
      want = fmt::format("{} pa {:#x} {} at L{}", arm64::fault_kind_name(fault), p.pa, p.prot.str(), p.level);
      got = fmt::format("{} pa {:#x} {} at L{}", arm64::fault_kind_name(t.fault), t.pa, t.prot.str(), t.level);
    } else {
      // Unmapped is owner 0 without software bits: an all-zero entry.
      unsigned owner = p.kind == K::Owned ? p.owner : 0, sw = p.kind == K::Owned ? p.sw : 0;
      auto text = [&](unsigned o, unsigned w) {
        return fmt::format("translation fault, owner {} sw {:#x}", o, w & sw_own);
      };
      want = text(owner, sw);
      got = t.fault == arm64::FaultKind::Translation ? text(t.owner, t.sw)
                                                      : fmt::format("{} at L{}", arm64::fault_kind_name(t.fault), t.level);
    }
    if (want != got) report("the hardware walk of {:#x} gives {} ({}); the spec says {}", a, got, t.why, want);
  }
}

TableScan scan_tables(const arm64::Stage2& pgt) {
  TableScan s;
  scan_tables(pgt, s);
  return s;
}

void scan_tables(const arm64::Stage2& pgt, TableScan& into) { Scanner(pgt, into).run(); }

void check_refcount(const arm64::Stage2& pgt, const TableScan& scan, Violations& out) {
  (void)pgt;
  Reporter report{out, "refcount"};
  for (const TableScan::Page& p : scan.pages) {  // each page once: reached twice is structure's business
    if (!p.words) continue;
    if (p.count != 1 + std::uint64_t{p.counted})
      report("L{} table page {:#x} (ipa {:#x}) has count {}, but 1 + {} counted entries = {}", p.level, p.pa, p.ipa,
             p.count, p.counted, 1 + std::uint64_t{p.counted});
  }
}

void check_refcount(const arm64::Stage2& pgt, Violations& out) { check_refcount(pgt, scan_tables(pgt), out); }

void check_structure(const arm64::Stage2& pgt, const TableScan& scan, Violations& out) {
  Reporter report{out, "structure"};
  const arm64::Geometry& g = pgt.geo();
  const auto& cfg = pgt.config();
  std::vector<std::uint32_t> reached(scan.pages.size(), 0);
  for (const TableScan::Reach& r : scan.reach) {
    const TableScan::Page& p = scan.pages[r.page];
    if (++reached[r.page] == 2) report("L{} table page {:#x} is reachable more than once", r.level, r.pa);
    if (!r.first) continue;
    if (p.state != FrameState::InUse) {
      report("a table entry points to {:#x} (L{}), which is not a live table page", p.pa, p.level);
      continue;
    }
    if (!p.words) continue;
    for (std::uint32_t k = p.leaf_begin; k < p.leaf_end; ++k) {
      const std::uint64_t pte = scan.leaves[k].pte;
      const std::uint64_t ipa = p.ipa + scan.leaves[k].index * g.block_size(p.level);
      if (s2::is_valid(C, pte)) {
        if (!s2::is_leaf(C, g, pte, p.level))
          report("L{} entry {:#018x} (ipa {:#x}) is valid but not a leaf the hardware accepts at level {}", p.level,
                 pte, ipa, p.level);
        continue;
      }
      if (!g.level_supports_block(p.level))
        report("L{} entry {:#018x} (ipa {:#x}) is an owner annotation at a level without leaves", p.level, pte, ipa);
      auto owner = s2::owner_of(C, cfg.owner_layout, pte);
      if (owner > cfg.max_owner)
        report("L{} entry {:#018x} (ipa {:#x}) carries owner id {} above max_owner {}", p.level, pte, ipa, owner,
               cfg.max_owner);
    }
  }
}

void check_structure(const arm64::Stage2& pgt, Violations& out) { check_structure(pgt, scan_tables(pgt), out); }

void check_leak(const arm64::Stage2& pgt, const TableScan& scan, Violations& out) {
  Reporter report{out, "leak"};
  const PhysMem& mem = pgt.mem();
  const std::vector<std::uint64_t> live = mem.pages_in_use();
  for (std::uint64_t pa : live)
    if (!std::binary_search(scan.sorted_pas.begin(), scan.sorted_pas.end(), pa))
      report("page {:#x} is allocated (count {}) but no table entry reaches it{}", pa, mem.page_count(pa),
             pgt.destroyed() ? " (the table was freed)" : "");
  const std::uint64_t balance = mem.allocated_total() - mem.freed_total();
  if (balance != live.size())
    report("{} pages allocated - {} freed = {}, but {} pages are live", mem.allocated_total(), mem.freed_total(),
           balance, live.size());
}

void check_leak(const arm64::Stage2& pgt, Violations& out) { check_leak(pgt, scan_tables(pgt), out); }

void check_bbm(const arm64::Geometry& g, const std::vector<Event>& events, Violations& out) {
  Reporter report{out, "bbm"};
  struct Broken {
    std::uint64_t start;
    unsigned level;
    std::size_t at;
  };
  std::map<std::uint64_t, Broken> invalid;  // entry address -> made invalid, no covering TLBI yet
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (e.kind == EventKind::TlbiAll || e.kind == EventKind::TlbiAddr) {
      for (auto it = invalid.begin(); it != invalid.end();)
        it = covers(g, e, it->second.start, it->second.level) ? invalid.erase(it) : std::next(it);
      continue;
    }
    if (e.kind != EventKind::Write) continue;
    const bool old_valid = s2::is_valid(C, e.old_value), new_valid = s2::is_valid(C, e.new_value);
    const std::uint64_t start = entry_start(g, e);
    if (old_valid && new_valid) {
      if (s2::is_table(C, e.old_value, e.level) != s2::is_table(C, e.new_value, e.level))
        report("event {}: L{} entry @{:#x} (ipa {:#x}) changed {} -> {} in place: {:#018x} -> {:#018x}", i, e.level,
               e.pa, start, kind_of(e.old_value, e.level), kind_of(e.new_value, e.level), e.old_value, e.new_value);
      else if (s2::oa_of(C, g, e.old_value) != s2::oa_of(C, g, e.new_value))
        report("event {}: L{} entry @{:#x} (ipa {:#x}) changed output address in place: {:#x} -> {:#x}", i, e.level,
               e.pa, start, s2::oa_of(C, g, e.old_value), s2::oa_of(C, g, e.new_value));
    } else if (old_valid) {
      invalid[e.pa] = {start, e.level, i};
    } else if (new_valid) {
      auto it = invalid.find(e.pa);
      if (it != invalid.end()) {
        report("event {}: L{} entry @{:#x} (ipa {:#x}) made valid again ({:#018x}) after it was made invalid at "
               "event {}, with no TLBI covering it in between",
               i, e.level, e.pa, start, e.new_value, it->second.at);
        invalid.erase(it);
      }
    }
  }
}

void check_flush(const arm64::Geometry& g, const std::vector<Event>& events, Violations& out) {
  Reporter report{out, "flush"};
  struct Due {
    std::uint64_t ptep, start;
    unsigned level;
    std::size_t at;
    std::string what;
  };
  std::vector<Due> due;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    if (e.kind == EventKind::TlbiAll || e.kind == EventKind::TlbiAddr) {
      std::erase_if(due, [&](const Due& d) { return covers(g, e, d.start, d.level); });
      continue;
    }
    if (e.kind != EventKind::Write || !s2::is_valid(C, e.old_value)) continue;
    const std::uint64_t start = entry_start(g, e);
    if (!s2::is_valid(C, e.new_value)) {
      due.push_back({e.pa, start, e.level, i, "made invalid"});
      continue;
    }
    std::string which;
    if (!s2::is_table(C, e.old_value, e.level) && !s2::is_table(C, e.new_value, e.level) &&
        perm_removed(e.old_value, e.new_value, which))
      due.push_back({e.pa, start, e.level, i, "lost permission " + which});
  }
  for (const Due& d : due)
    report("L{} entry @{:#x} (ipa {:#x}) {} at event {}, but no TLBI covered it before the op returned", d.level,
           d.ptep, d.start, d.what, d.at);
}

Snapshot take_snapshot(const arm64::Stage2& pgt) {
  Snapshot s;
  take_snapshot(pgt, s);
  return s;
}

void take_snapshot(const arm64::Stage2& pgt, Snapshot& s) { take_mem_snapshot(pgt.mem(), pgt.destroyed(), s); }

void check_unchanged(const Snapshot& before, const arm64::Stage2& after, Violations& out) {
  check_mem_unchanged(before, after.mem(), after.destroyed(), out);
}

}  // namespace ptspec::props::s2check
