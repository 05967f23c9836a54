// (a) The model's stage-2 walk (Stage2::translate) against a bare loop over
// the same PhysMem memory: read the entry, check valid, extract the output
// address, next level. The bare loop is the physical limit of this memory
// layout; the ratio says what the model's fault classification, attribute
// decoding and Translation record cost on top. bench/ratio.py prints the
// ratios from --benchmark_format=json output.
#include <benchmark/benchmark.h>

#include "bench/fixtures.hpp"
#include "model/arm64/stage2_desc.hpp"

namespace ptspec::bench {
namespace {

void BM_translate(benchmark::State& state, BenchConfig c) {
  Populated p = populate(c);
  const arm64::Stage2& s2 = *p.s2;
  const std::size_t n = p.ipas.size();
  std::size_t i = 0;
  for (auto _ : state) {
    arm64::Translation t = s2.translate(p.ipas[i]);
    benchmark::DoNotOptimize(t.pa);
    benchmark::DoNotOptimize(t.fault);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(label(s2.geo()));
}

// Everything the walk needs, precomputed once: per-level shift and index
// mask, and the output-address mask.
struct BareGeometry {
  unsigned start_level;
  unsigned shift[4];
  std::uint64_t index_mask[4];
  std::uint64_t oa_mask;
};

BareGeometry bare_geometry(const arm64::Geometry& g) {
  BareGeometry b{};
  b.start_level = g.start_level;
  for (unsigned l = g.start_level; l <= arm64::kMaxLevel; ++l) {
    b.shift[l] = g.level_shift(l);
    b.index_mask[l] = g.index_mask(l);
  }
  b.oa_mask = arm64::s2::oa_field(g.granule_shift).mask();
  return b;
}

// Returns the output address, or ~0 on any invalid entry.
inline std::uint64_t bare_walk(const PhysMem& mem, const BareGeometry& b, std::uint64_t pgd, std::uint64_t ipa) {
  std::uint64_t table = pgd;
  for (unsigned level = b.start_level;; ++level) {
    const std::uint64_t* p = mem.find(table + (((ipa >> b.shift[level]) & b.index_mask[level]) << 3));
    const std::uint64_t pte = *p;
    if (!(pte & 1)) return ~std::uint64_t{0};
    const std::uint64_t oa = pte & b.oa_mask;
    if (level < arm64::kMaxLevel && (pte & 2)) {
      table = oa;
      continue;
    }
    const std::uint64_t size_mask = (std::uint64_t{1} << b.shift[level]) - 1;
    return (oa & ~size_mask) | (ipa & size_mask);
  }
}

void BM_bare(benchmark::State& state, BenchConfig c) {
  Populated p = populate(c);
  const arm64::Stage2& s2 = *p.s2;
  const BareGeometry b = bare_geometry(s2.geo());
  // Same answers as the model, checked once outside the timed loop.
  for (std::uint64_t ipa : p.ipas)
    if (bare_walk(s2.mem(), b, s2.pgd(), ipa) != s2.translate(ipa).pa) {
      state.SkipWithError("bare walk disagrees with Stage2::translate");
      return;
    }
  const std::size_t n = p.ipas.size();
  std::size_t i = 0;
  for (auto _ : state) {
    std::uint64_t pa = bare_walk(s2.mem(), b, s2.pgd(), p.ipas[i]);
    benchmark::DoNotOptimize(pa);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetLabel(label(s2.geo()));
}

// Capture names are "<granule>_<ia_bits>" so ratio.py can pair model and bare.
BENCHMARK_CAPTURE(BM_translate, 4k_40, BenchConfig{4096, 40});
BENCHMARK_CAPTURE(BM_bare, 4k_40, BenchConfig{4096, 40});
BENCHMARK_CAPTURE(BM_translate, 4k_48, k4k);
BENCHMARK_CAPTURE(BM_bare, 4k_48, k4k);
BENCHMARK_CAPTURE(BM_translate, 16k_48, k16k);
BENCHMARK_CAPTURE(BM_bare, 16k_48, k16k);
BENCHMARK_CAPTURE(BM_translate, 64k_48, k64k);
BENCHMARK_CAPTURE(BM_bare, 64k_48, k64k);

}  // namespace
}  // namespace ptspec::bench
