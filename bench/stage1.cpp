// (h) arm64.stage1: the model's stage-1 walk (Stage1Mmu::translate, the
// walk alone: no TLB) against a bare hand-written loop over the same
// PhysMem -- read the entry, check valid, table or leaf, extract the output
// address -- for 4K/16K/64K granules with 48-bit VAs, ending at a page
// (level 3) or at a level-2 block; and the hardware access path when the
// CPU's TLB already holds the translation (Stage1Mmu::access: TLB lookup,
// output address and permission decision from the cached leaf), with a
// small TLB (64 entries, the size of a real L1 TLB) and a large one (every
// mapped page). bench/ratio.py pairs BM_s1_walk / BM_s1_tlb_hit with
// BM_s1_bare per configuration.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/bare_vmsa.hpp"
#include "model/arm64/stage1_mmu.hpp"

namespace ptspec::bench {
namespace {

namespace s1 = arm64::s1;

struct S1Bench {
  unsigned granule;
  bool blocks;  // level-2 block leaves instead of level-3 pages
};

// Tables with `n` leaves spread over several tables (pages 3 apart, a jump
// of three level-2 entries every 64 pages; blocks 3 level-2 entries apart),
// the VAs to access (an offset inside each leaf) in a shuffled order, and
// both CPUs' MMUs on.
struct S1Populated {
  std::unique_ptr<s1::Stage1Mmu> m;
  std::vector<std::uint64_t> vas;
};

S1Populated populate_s1(const S1Bench& c, std::size_t n) {
  S1Populated p{std::make_unique<s1::Stage1Mmu>(s1::Stage1Config::make(c.granule, 48, 48, 2)), {}};
  s1::Stage1Mmu& m = *p.m;
  const std::uint64_t page = m.geo().granule();
  const std::uint64_t l2 = m.geo().block_size(2);
  const std::uint64_t base = std::uint64_t{1} << 40;
  for (std::size_t i = 0; i < n; ++i) {
    int ret = 0;
    std::uint64_t va = 0;
    if (c.blocks) {
      va = base + i * 3 * l2;
      ret = m.install_block(0, va, (std::uint64_t{1} << 32) + i * l2, 2);
    } else {
      va = base + (i / 64) * l2 * 3 + (i % 64) * 3 * page;
      ret = m.install_page(0, va, (std::uint64_t{1} << 32) + i * page);
    }
    if (ret != 0) throw std::runtime_error("bench populate_s1: install failed");
    p.vas.push_back(va + 0x18);
  }
  if (m.mmu_enable(0) != 0 || m.mmu_enable(1) != 0) throw std::runtime_error("bench populate_s1: mmu_enable failed");
  std::mt19937_64 rng(42);
  std::shuffle(p.vas.begin(), p.vas.end(), rng);
  m.log().clear();
  return p;
}

std::string s1_label(const S1Bench& c, const arm64::Geometry& g, std::size_t n) {
  return std::to_string(g.granule() / 1024) + "K va48 L" + std::to_string(g.start_level) + "-" +
         (c.blocks ? "2 blocks" : "3 pages") + " x" + std::to_string(n);
}

constexpr std::size_t kPages = 4096;
constexpr std::size_t kBlocks = 256;

std::size_t leaves_for(const S1Bench& c) { return c.blocks ? kBlocks : kPages; }

void BM_s1_walk(benchmark::State& state, S1Bench c) {
  S1Populated p = populate_s1(c, leaves_for(c));
  const s1::Stage1Mmu& m = *p.m;
  const std::size_t n = p.vas.size();
  std::size_t i = 0;
  for (auto _ : state) {
    s1::Translation t = m.translate(m.root(), p.vas[i], s1::El::El0, s1::Access::Read);
    benchmark::DoNotOptimize(t.pa);
    benchmark::DoNotOptimize(t.fault);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(s1_label(c, m.geo(), n));
}

void BM_s1_bare(benchmark::State& state, S1Bench c) {
  S1Populated p = populate_s1(c, leaves_for(c));
  const s1::Stage1Mmu& m = *p.m;
  const BareGeometry b = bare_geometry(m.geo());
  // Same answers as the model, checked once outside the timed loop.
  for (std::uint64_t va : p.vas) {
    const s1::Translation t = m.translate(m.root(), va, s1::El::El0, s1::Access::Read);
    if (!t.ok() || bare_walk(m.mem(), b, m.root(), va) != t.pa) {
      state.SkipWithError("bare walk disagrees with Stage1Mmu::translate");
      return;
    }
  }
  const std::size_t n = p.vas.size();
  std::size_t i = 0;
  for (auto _ : state) {
    std::uint64_t pa = bare_walk(m.mem(), b, m.root(), p.vas[i]);
    benchmark::DoNotOptimize(pa);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(s1_label(c, m.geo(), n));
}

// Stage1Mmu::access on CPU 1 with every accessed VA already in its TLB
// (`entries` of them; the lookup scans the entries).
void tlb_hit(benchmark::State& state, S1Bench c, std::size_t entries) {
  S1Populated p = populate_s1(c, leaves_for(c));
  s1::Stage1Mmu& m = *p.m;
  p.vas.resize(std::min(entries, p.vas.size()));
  for (std::uint64_t va : p.vas)
    if (!m.access(1, va, s1::El::El0, s1::Access::Read).ok()) {
      state.SkipWithError("warm-up access faulted");
      return;
    }
  for (std::uint64_t va : p.vas)
    if (!m.access(1, va, s1::El::El0, s1::Access::Read).tlb_hit) {
      state.SkipWithError("TLB does not hold the warmed-up translation");
      return;
    }
  const std::size_t n = p.vas.size();
  std::size_t i = 0;
  for (auto _ : state) {
    s1::Translation t = m.access(1, p.vas[i], s1::El::El0, s1::Access::Read);
    benchmark::DoNotOptimize(t.pa);
    benchmark::DoNotOptimize(t.fault);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(s1_label(c, m.geo(), leaves_for(c)) + ", TLB " + std::to_string(n) + " entries");
}

void BM_s1_tlb_hit(benchmark::State& state, S1Bench c) { tlb_hit(state, c, 64); }
void BM_s1_tlb_hit_full(benchmark::State& state, S1Bench c) { tlb_hit(state, c, leaves_for(c)); }

// Capture names are "<granule>_<leaf>" so ratio.py can pair them.
#define S1_BENCH(name, granule, blocks)                          \
  BENCHMARK_CAPTURE(BM_s1_walk, name, S1Bench{granule, blocks}); \
  BENCHMARK_CAPTURE(BM_s1_bare, name, S1Bench{granule, blocks}); \
  BENCHMARK_CAPTURE(BM_s1_tlb_hit, name, S1Bench{granule, blocks}); \
  BENCHMARK_CAPTURE(BM_s1_tlb_hit_full, name, S1Bench{granule, blocks})

S1_BENCH(4k_page, 4096, false);
S1_BENCH(4k_block, 4096, true);
S1_BENCH(16k_page, 16384, false);
S1_BENCH(16k_block, 16384, true);
S1_BENCH(64k_page, 65536, false);
S1_BENCH(64k_block, 65536, true);

}  // namespace
}  // namespace ptspec::bench
