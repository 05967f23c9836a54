// The arm64.stage2 invariant checkers. Sources: seed 003 (counted entries,
// refcount = 1 + counted entries), reference/arm64-stage2.md (break-before-
// make, leaves per level), Arm ARM D8 (valid encodings per level).
//
// Memory is read through PhysMem::find so a broken table (an entry pointing
// at no memory) is reported rather than thrown.
#include "properties/arm64/stage2_checks.hpp"

#include <fmt/format.h>

#include <set>

#include "model/arm64/stage2_desc.hpp"

namespace ptspec::props::s2check {

namespace {

constexpr Concrete C{};
namespace s2 = arm64::s2;

// A checker reports at most this many problems of one kind; one is enough
// to fail, a few help to see the pattern.
constexpr std::size_t kMaxReports = 8;

struct Reporter {
  Violations& out;
  const char* invariant;
  std::size_t n = 0;
  template <class... A> void operator()(fmt::format_string<A...> f, A&&... a) {
    if (n++ < kMaxReports) out.push_back({invariant, fmt::format(f, std::forward<A>(a)...)});
  }
  ~Reporter() {
    if (n > kMaxReports) out.push_back({invariant, fmt::format("... and {} more", n - kMaxReports)});
  }
};

// One page of a table: each concatenated pgd page is its own page (each has
// its own reference count).
struct Page {
  std::uint64_t pa;
  unsigned level;
  std::uint64_t ipa;  // first IPA it covers
};

std::vector<Page> reachable_pages(const arm64::Stage2& pgt) {
  const arm64::Geometry& g = pgt.geo();
  std::vector<Page> out;
  pgt.for_each_table([&](const arm64::TablePage& t) {
    bool is_pgd = t.parent_ptep == 0;
    unsigned n = is_pgd ? g.pgd_pages : 1;
    for (unsigned i = 0; i < n; ++i)
      out.push_back({t.pa + i * g.granule(), t.level, t.addr + i * g.entries_per_page() * g.block_size(t.level)});
  });
  return out;
}

// The words of a page, or nullptr if no memory backs it.
const std::uint64_t* page_words(const arm64::Stage2& pgt, std::uint64_t pa) { return pgt.mem().find(pa); }

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

void check_abstraction(const arm64::Stage2& pgt, const spec::Stage2Spec& spec, int model_ret, int spec_ret,
                       Violations& out) {
  if (model_ret != spec_ret)
    out.push_back({"abstraction", fmt::format("the model returned {}, the spec returns {}", errno_name(model_ret),
                                              errno_name(spec_ret))});
  std::string d = spec::diff(spec.run_list(), spec::abstraction(pgt));
  if (!d.empty()) out.push_back({"abstraction", "tables read back differ from the spec: " + d});
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

void check_refcount(const arm64::Stage2& pgt, Violations& out) {
  Reporter report{out, "refcount"};
  const arm64::Geometry& g = pgt.geo();
  std::set<std::uint64_t> seen;
  for (const Page& p : reachable_pages(pgt)) {
    if (!seen.insert(p.pa).second) continue;  // reached twice: structure's business
    const std::uint64_t* w = page_words(pgt, p.pa);
    if (!w) continue;
    std::uint64_t counted = 0;
    for (std::uint64_t i = 0; i < g.entries_per_page(); ++i) counted += s2::is_counted(C, w[i]) ? 1 : 0;
    std::uint32_t count = pgt.mem().page_count(p.pa);
    if (count != 1 + counted)
      report("L{} table page {:#x} (ipa {:#x}) has count {}, but 1 + {} counted entries = {}", p.level, p.pa, p.ipa,
             count, counted, 1 + counted);
  }
}

void check_structure(const arm64::Stage2& pgt, Violations& out) {
  Reporter report{out, "structure"};
  const arm64::Geometry& g = pgt.geo();
  const auto& cfg = pgt.config();
  std::map<std::uint64_t, unsigned> reached;
  for (const Page& p : reachable_pages(pgt)) {
    if (++reached[p.pa] == 2) report("L{} table page {:#x} is reachable more than once", p.level, p.pa);
    if (reached[p.pa] > 1) continue;
    if (pgt.mem().state_of(p.pa) != FrameState::InUse) {
      report("a table entry points to {:#x} (L{}), which is not a live table page", p.pa, p.level);
      continue;
    }
    const std::uint64_t* w = page_words(pgt, p.pa);
    if (!w) continue;
    for (std::uint64_t i = 0; i < g.entries_per_page(); ++i) {
      const std::uint64_t pte = w[i];
      if (pte == 0 || s2::is_table(C, pte, p.level)) continue;
      const std::uint64_t ipa = p.ipa + i * g.block_size(p.level);
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

void check_leak(const arm64::Stage2& pgt, Violations& out) {
  Reporter report{out, "leak"};
  const PhysMem& mem = pgt.mem();
  std::set<std::uint64_t> reachable;
  for (const Page& p : reachable_pages(pgt)) reachable.insert(p.pa);
  const std::vector<std::uint64_t> live = mem.pages_in_use();
  for (std::uint64_t pa : live)
    if (!reachable.count(pa))
      report("page {:#x} is allocated (count {}) but no table entry reaches it{}", pa, mem.page_count(pa),
             pgt.destroyed() ? " (the table was freed)" : "");
  const std::uint64_t balance = mem.allocated_total() - mem.freed_total();
  if (balance != live.size())
    report("{} pages allocated - {} freed = {}, but {} pages are live", mem.allocated_total(), mem.freed_total(),
           balance, live.size());
}

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
  const PhysMem& mem = pgt.mem();
  const std::size_t n = mem.page_size() / 8;
  for (std::uint64_t pa : mem.pages_in_use()) {
    const std::uint64_t* w = mem.find(pa);
    s.words[pa] = std::vector<std::uint64_t>(w, w + n);
    s.counts[pa] = mem.page_count(pa);
  }
  s.cache_size = mem.cache_size();
  s.cache_auto = mem.cache_auto();
  s.destroyed = pgt.destroyed();
  return s;
}

void check_unchanged(const Snapshot& before, const arm64::Stage2& after, Violations& out) {
  Reporter report{out, "unchanged"};
  const Snapshot now = take_snapshot(after);
  if (now.destroyed != before.destroyed) report("the table was {}", now.destroyed ? "freed" : "revived");
  for (const auto& [pa, words] : before.words) {
    auto it = now.words.find(pa);
    if (it == now.words.end()) {
      report("table page {:#x} was freed", pa);
      continue;
    }
    for (std::size_t i = 0; i < words.size(); ++i)
      if (words[i] != it->second[i])
        report("entry @{:#x} changed {:#018x} -> {:#018x}", pa + 8 * i, words[i], it->second[i]);
    if (before.counts.at(pa) != now.counts.at(pa))
      report("table page {:#x} count changed {} -> {}", pa, before.counts.at(pa), now.counts.at(pa));
  }
  for (const auto& [pa, words] : now.words)
    if (!before.words.count(pa)) report("table page {:#x} was allocated", pa);
  // In auto mode the cache refills on demand (KVM tops it up before every
  // fault), so its size is not state; a fixed cache must be left as it was.
  if (!before.cache_auto && (now.cache_auto || now.cache_size != before.cache_size))
    report("the page cache held {} pages, now {}", before.cache_size, now.cache_size);
}

}  // namespace ptspec::props::s2check
