// (e) The model's EPT hardware walk (model/x86/ept_walk.hpp ept_walk) against
// a bare loop over the same PhysMem (DESIGN.md "Performance": the walker
// against the physical limit of its memory layout), for 4- and 5-level walks
// ending in 4 KiB and 2 MiB leaves. The tables are written directly with
// ept::make_table / ept::make_leaf (no KVM operations), 4096 mappings spread
// over many tables and walked in a shuffled order. The bare loop reads the
// entry, tests present (bits 2:0, SDM Vol. 3C §29.3.2), tests bit 7 at levels
// 2/3 and extracts the address; the model adds the EPTP and GPA checks,
// misconfiguration rules, the permission AND, memory type and the result
// record. BM_ept_walk_ad additionally runs with EPTP A/D enabled on write
// accesses and applies the A/D writes (SDM §29.3.5), then restores the
// entries so every iteration writes again. bench/ratio.py pairs
// BM_ept_walk/<cfg> and BM_ept_walk_ad/<cfg> with BM_ept_bare/<cfg>.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "model/core/physmem.hpp"
#include "model/x86/ept_entry.hpp"
#include "model/x86/ept_walk.hpp"

namespace ptspec::bench {
namespace {

constexpr Concrete C{};
namespace ept = x86::ept;
using x86::EptConfig;

struct EptBenchConfig {
  unsigned levels;      // 4 or 5
  unsigned leaf_level;  // 1 (4 KiB) or 2 (2 MiB)
  bool ad = false;      // EPTP bit 6
};

// Hand-built tables: every missing level allocated and linked RWX, as KVM
// links its tables (reference/x86-ept-spp.md).
struct EptTables {
  EptConfig cfg;
  std::unique_ptr<PhysMem> mem = std::make_unique<PhysMem>(12);
  std::uint64_t root = 0;
  std::uint64_t eptp = 0;
  std::vector<std::uint64_t> gpas;  // mapped addresses (+ an offset), shuffled
  std::vector<std::uint64_t> hpas;  // the translation of each, same order

  std::uint64_t slot(std::uint64_t gpa, unsigned level) {
    std::uint64_t table = root;
    for (unsigned l = cfg.levels; l > level; --l) {
      const std::uint64_t at = ept::entry_address(C, table, gpa, l);
      std::uint64_t e = mem->load(at);
      if (!ept::is_present(C, cfg, e)) {
        e = ept::make_table(C, cfg, mem->alloc_contiguous(1, Zone::High), std::uint64_t{7}, std::uint64_t{0});
        mem->store(at, e);
      }
      table = ept::table_addr(C, cfg, e);
    }
    return ept::entry_address(C, table, gpa, level);
  }
};

EptTables populate(const EptBenchConfig& b, std::size_t n = 4096) {
  EptTables t;
  // 5-level: MAXPHYADDR 52 and GPAs above bit 48 so the PML5 index is not 0.
  t.cfg = x86::make_ept_config(b.levels, b.levels == 5 ? 52 : 46, b.ad);
  t.root = t.mem->alloc_contiguous(1, Zone::High);
  t.eptp = ept::make_eptp(C, t.cfg, t.root, ept::kMtWb);
  const std::uint64_t size = EptConfig::entry_size(b.leaf_level);
  const std::uint64_t l2 = EptConfig::entry_size(2);
  const std::uint64_t base = b.levels == 5 ? std::uint64_t{1} << 49 : std::uint64_t{1} << 40;
  const ept::LeafAttrs<Concrete> rwx{7, 0, ept::kMtWb, 0, 0, 0};
  for (std::size_t i = 0; i < n; ++i) {
    // 4K leaves: 3 pages apart, a 3-block jump every 64 pages (many PTE
    // tables); 2M leaves: 3 blocks apart (many PDE tables).
    const std::uint64_t gpa = b.leaf_level == 1 ? base + (i / 64) * l2 * 3 + (i % 64) * 3 * size : base + i * 3 * size;
    const std::uint64_t hpa = 0x10'0000'0000 + i * size;
    t.mem->store(t.slot(gpa, b.leaf_level), ept::make_leaf(C, t.cfg, b.leaf_level, hpa, rwx));
    t.gpas.push_back(gpa + 0x18);  // an offset inside the page, as a real access
  }
  std::mt19937_64 rng(42);
  std::shuffle(t.gpas.begin(), t.gpas.end(), rng);
  for (std::uint64_t g : t.gpas) {
    const x86::EptWalkResult r = x86::ept_walk(t.cfg, *t.mem, t.eptp, g, x86::EptAccess{});
    t.hpas.push_back(r.outcome == x86::EptOutcome::Translation ? r.hpa : ~std::uint64_t{0});
  }
  return t;
}

std::string label(const EptBenchConfig& b) {
  return std::to_string(b.levels) + "-level, " + (b.leaf_level == 1 ? "4K" : "2M") + " leaves" +
         (b.ad ? ", A/D" : "");
}

// Everything the bare loop needs, precomputed.
struct Bare {
  unsigned levels;
  std::uint64_t addr_mask;  // bits MAXPHYADDR-1:12
  std::uint64_t root;
};

// Returns the HPA, or ~0 at a non-present entry.
inline std::uint64_t bare_walk(const PhysMem& mem, const Bare& b, std::uint64_t gpa) {
  std::uint64_t table = b.root;
  for (unsigned level = b.levels;; --level) {
    const unsigned shift = 12 + 9 * (level - 1);
    const std::uint64_t pte = *mem.find(table + (((gpa >> shift) & 511) << 3));
    if (!(pte & 7)) return ~std::uint64_t{0};
    if (level == 1 || (level <= 3 && (pte & 0x80))) {
      const std::uint64_t off = (std::uint64_t{1} << shift) - 1;
      return (pte & b.addr_mask & ~off) | (gpa & off);
    }
    table = pte & b.addr_mask;
  }
}

void BM_ept_walk(benchmark::State& state, EptBenchConfig c) {
  const EptTables t = populate(c);
  if (std::count(t.hpas.begin(), t.hpas.end(), ~std::uint64_t{0}) != 0) {
    state.SkipWithError("a populated GPA does not translate");
    return;
  }
  const std::size_t n = t.gpas.size();
  std::size_t i = 0;
  for (auto _ : state) {
    x86::EptWalkResult r = x86::ept_walk(t.cfg, *t.mem, t.eptp, t.gpas[i], x86::EptAccess{});
    benchmark::DoNotOptimize(r.hpa);
    benchmark::DoNotOptimize(r.outcome);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(label(c));
}

void BM_ept_bare(benchmark::State& state, EptBenchConfig c) {
  const EptTables t = populate(c);
  const Bare b{t.cfg.levels, ept::addr_field(t.cfg).mask(), t.root};
  // Same answers as the model, checked once outside the timed loop.
  for (std::size_t k = 0; k < t.gpas.size(); ++k)
    if (bare_walk(*t.mem, b, t.gpas[k]) != t.hpas[k]) {
      state.SkipWithError("bare walk disagrees with ept_walk");
      return;
    }
  const std::size_t n = t.gpas.size();
  std::size_t i = 0;
  for (auto _ : state) {
    std::uint64_t hpa = bare_walk(*t.mem, b, t.gpas[i]);
    benchmark::DoNotOptimize(hpa);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(label(c));
}

// A/D enabled, write accesses: the walk, its A/D writes applied (A on every
// entry used, D on the leaf), then the old entries put back so the next
// visit of this GPA writes again. The restore costs one store per write, so
// this is an upper bound on "walk + A/D".
void BM_ept_walk_ad(benchmark::State& state, EptBenchConfig c) {
  c.ad = true;
  EptTables t = populate(c);
  const x86::EptAccess write{ept::Access::Write, true, true};
  {
    const x86::EptWalkResult r = x86::ept_walk(t.cfg, *t.mem, t.eptp, t.gpas[0], write);
    if (r.outcome != x86::EptOutcome::Translation || r.ad_writes.size() != t.cfg.levels - c.leaf_level + 1) {
      state.SkipWithError("A/D walk did not produce one write per entry used");
      return;
    }
  }
  const std::size_t n = t.gpas.size();
  std::size_t i = 0;
  for (auto _ : state) {
    x86::EptWalkResult r = x86::ept_walk(t.cfg, *t.mem, t.eptp, t.gpas[i], write);
    x86::apply_ad_writes(*t.mem, r, t.gpas[i]);
    for (const x86::EptAdWrite& w : r.ad_writes) t.mem->store(w.pa, w.old_value);
    benchmark::DoNotOptimize(r.hpa);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(label(c));
}

// Capture names are "<levels>l_<leaf>" so ratio.py can pair model and bare.
BENCHMARK_CAPTURE(BM_ept_walk, 4l_4k, EptBenchConfig{4, 1});
BENCHMARK_CAPTURE(BM_ept_bare, 4l_4k, EptBenchConfig{4, 1});
BENCHMARK_CAPTURE(BM_ept_walk_ad, 4l_4k, EptBenchConfig{4, 1});
BENCHMARK_CAPTURE(BM_ept_walk, 4l_2m, EptBenchConfig{4, 2});
BENCHMARK_CAPTURE(BM_ept_bare, 4l_2m, EptBenchConfig{4, 2});
BENCHMARK_CAPTURE(BM_ept_walk_ad, 4l_2m, EptBenchConfig{4, 2});
BENCHMARK_CAPTURE(BM_ept_walk, 5l_4k, EptBenchConfig{5, 1});
BENCHMARK_CAPTURE(BM_ept_bare, 5l_4k, EptBenchConfig{5, 1});
BENCHMARK_CAPTURE(BM_ept_walk_ad, 5l_4k, EptBenchConfig{5, 1});
BENCHMARK_CAPTURE(BM_ept_walk, 5l_2m, EptBenchConfig{5, 2});
BENCHMARK_CAPTURE(BM_ept_bare, 5l_2m, EptBenchConfig{5, 2});
BENCHMARK_CAPTURE(BM_ept_walk_ad, 5l_2m, EptBenchConfig{5, 2});

}  // namespace
}  // namespace ptspec::bench
