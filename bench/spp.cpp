// (d) The SPP write-permission vector formatter (DESIGN.md "Performance"):
// the seed's 32-step loop (the reference the solver proves the fast paths
// against), the portable bit spread the model runs, BMI2 pdep, and the
// dispatcher format_spp_vector; plus the combined EPT+SPP write check per
// access. Each iteration formats a fixed batch of random bitmaps built
// outside the timed loop; items = bitmaps (or accesses).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "model/x86/spp_check.hpp"
#include "model/x86/spp_vector.hpp"

namespace ptspec::bench {
namespace {

constexpr std::size_t kBatch = 1024;

const std::vector<std::uint32_t>& bitmaps() {
  static const std::vector<std::uint32_t> v = [] {
    std::mt19937 rng(1);
    std::vector<std::uint32_t> out(kBatch);
    for (std::uint32_t& b : out) b = rng();
    return out;
  }();
  return v;
}

template <class F> void run(benchmark::State& state, F format) {
  const std::vector<std::uint32_t>& in = bitmaps();
  for (auto _ : state) {
    for (std::uint32_t b : in) {
      std::uint64_t v = format(b);
      benchmark::DoNotOptimize(v);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}

void BM_spp_vector(benchmark::State& state, int variant) {
  switch (variant) {
    case 0:
      run(state, [](std::uint32_t b) { return x86::spp::format_spp_vector_reference(b); });
      break;
    case 1:
      run(state, [](std::uint32_t b) { return x86::spp::format_spp_vector_portable(b); });
      break;
    case 2:
#if PTSPEC_SPP_HAVE_PDEP
      if (!x86::spp::cpu_has_bmi2()) {
        state.SkipWithError("this CPU has no BMI2");
        return;
      }
      run(state, [](std::uint32_t b) { return x86::spp::format_spp_vector_pdep(b); });
#else
      state.SkipWithError("not an x86 build");
#endif
      break;
    default:
      run(state, [](std::uint32_t b) { return x86::spp::format_spp_vector(b); });
      break;
  }
}

// The combined check for one write access through a 4K leaf with bit 61 set
// and W = 0 (SPP applies), at a random sub-page.
void BM_spp_write_check(benchmark::State& state) {
  const std::vector<std::uint32_t>& in = bitmaps();
  std::vector<std::uint64_t> vectors(kBatch), gpas(kBatch);
  std::mt19937_64 rng(2);
  for (std::size_t i = 0; i < kBatch; ++i) {
    vectors[i] = x86::spp::format_spp_vector(in[i]);
    gpas[i] = rng() & 0xF'FFFF'FFFF;
  }
  const x86::spp::EptLeaf<Concrete> leaf{true, true, false, true, true};
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      x86::spp::Verdict v = x86::spp::check_access(leaf, x86::spp::Access::Write, vectors[i], gpas[i]);
      benchmark::DoNotOptimize(v);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}

BENCHMARK_CAPTURE(BM_spp_vector, reference_loop, 0);
BENCHMARK_CAPTURE(BM_spp_vector, portable_spread, 1);
BENCHMARK_CAPTURE(BM_spp_vector, pdep, 2);
BENCHMARK_CAPTURE(BM_spp_vector, dispatch, 3);
BENCHMARK(BM_spp_write_check);

}  // namespace
}  // namespace ptspec::bench
