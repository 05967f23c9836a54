#include "properties/mem_snapshot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace ptspec::props {

namespace {
// One problem is enough to fail; a few help to see the pattern.
constexpr std::size_t kMaxReports = 8;
}  // namespace

void take_mem_snapshot(const PhysMem& mem, bool destroyed, MemSnapshot& s) {
  s.words_per_page = mem.page_size() / 8;
  s.pages = mem.pages_in_use();
  std::sort(s.pages.begin(), s.pages.end());  // (already ascending) check_mem_unchanged searches it
  s.counts.resize(s.pages.size());
  s.words.resize(s.pages.size() * s.words_per_page);
  for (std::size_t i = 0; i < s.pages.size(); ++i) {
    std::memcpy(&s.words[i * s.words_per_page], mem.find(s.pages[i]), s.words_per_page * 8);
    s.counts[i] = mem.page_count(s.pages[i]);
  }
  s.cache_size = mem.cache_size();
  s.cache_auto = mem.cache_auto();
  s.destroyed = destroyed;
}

void check_mem_unchanged(const MemSnapshot& before, const PhysMem& mem, bool destroyed, std::vector<Violation>& out) {
  std::size_t n_reports = 0;
  auto report = [&](std::string s) {
    if (n_reports++ < kMaxReports) out.push_back({"unchanged", std::move(s)});
  };
  const std::size_t n = before.words_per_page;
  auto live = [&](std::uint64_t pa) {
    const FrameState st = mem.state_of(pa);
    return st == FrameState::InUse || st == FrameState::PendingFree;  // as pages_in_use counts them
  };
  if (destroyed != before.destroyed) report(fmt::format("the table was {}", destroyed ? "freed" : "revived"));
  for (std::size_t k = 0; k < before.pages.size(); ++k) {
    const std::uint64_t pa = before.pages[k];
    if (!live(pa)) {
      report(fmt::format("table page {:#x} was freed", pa));
      continue;
    }
    const std::uint64_t* was = &before.words[k * n];
    const std::uint64_t* now = mem.find(pa);
    if (std::memcmp(was, now, n * 8) != 0)
      for (std::size_t i = 0; i < n; ++i)
        if (was[i] != now[i])
          report(fmt::format("entry @{:#x} changed {:#018x} -> {:#018x}", pa + 8 * i, was[i], now[i]));
    if (before.counts[k] != mem.page_count(pa))
      report(fmt::format("table page {:#x} count changed {} -> {}", pa, before.counts[k], mem.page_count(pa)));
  }
  for (std::uint64_t pa : mem.pages_in_use())
    if (!std::binary_search(before.pages.begin(), before.pages.end(), pa))
      report(fmt::format("table page {:#x} was allocated", pa));
  // In auto mode the cache refills on demand (KVM tops it up before every
  // fault), so its size is not state; a fixed cache must be left as it was.
  if (!before.cache_auto && (mem.cache_auto() || mem.cache_size() != before.cache_size))
    report(fmt::format("the page cache held {} pages, now {}", before.cache_size, mem.cache_size()));
  if (n_reports > kMaxReports) out.push_back({"unchanged", fmt::format("... and {} more", n_reports - kMaxReports)});
}

}  // namespace ptspec::props
