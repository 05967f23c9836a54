// (a) The model's stage-2 walk (Stage2::translate) against a bare loop over
// the same PhysMem memory: read the entry, check valid, extract the output
// address, next level. The bare loop is the physical limit of this memory
// layout; the ratio says what the model's fault classification, attribute
// decoding and Translation record cost on top. bench/ratio.py prints the
// ratios from --benchmark_format=json output.
#include <benchmark/benchmark.h>

#include "bench/fixtures.hpp"
#include "bench/bare_vmsa.hpp"

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
