// (b) KVM's map and unmap, per operation: 4K pages and 2M blocks (4K
// granule), and pages of the 16K/64K granules. Each iteration maps a batch of
// leaves into a table kept alive by an anchor mapping, then unmaps them; the
// two phases are timed separately with manual timing (a clock read per batch,
// not per op), so BM_map reports map alone and BM_unmap unmap alone. The
// event log is on, as in every real use, and cleared between batches.
#include <benchmark/benchmark.h>

#include <chrono>

#include "bench/fixtures.hpp"

namespace ptspec::bench {
namespace {

struct OpsCase {
  BenchConfig config;
  unsigned level;  // leaf level: 3 = pages, 2 = blocks
};

constexpr std::size_t kBatch = 64;

enum class Phase { Map, Unmap };

void run(benchmark::State& state, OpsCase oc, Phase phase) {
  arm64::Stage2 s2(make_config(oc.config));
  const std::uint64_t size = s2.geo().block_size(oc.level);
  const std::uint64_t base = std::uint64_t{1} << 32;
  const arm64::Prot rw{true, true, false, false};
  // The anchor keeps the tables of the batch alive, so the benchmark measures
  // the steady state (no table allocation per op).
  if (s2.map(base, size, base, rw) != 0) {
    state.SkipWithError("anchor map failed");
    return;
  }
  using Clock = std::chrono::steady_clock;
  for (auto _ : state) {
    int bad = 0;
    auto t0 = Clock::now();
    for (std::size_t k = 1; k <= kBatch; ++k) bad |= s2.map(base + k * size, size, base + k * size, rw);
    auto t1 = Clock::now();
    for (std::size_t k = 1; k <= kBatch; ++k) bad |= s2.unmap(base + k * size, size);
    auto t2 = Clock::now();
    if (bad) {
      state.SkipWithError("map/unmap returned an error");
      return;
    }
    s2.log().clear();
    auto t = phase == Phase::Map ? t1 - t0 : t2 - t1;
    state.SetIterationTime(std::chrono::duration<double>(t).count());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.counters["per_op"] = benchmark::Counter(static_cast<double>(state.iterations() * kBatch),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel(label(s2.geo()));
}

void BM_map(benchmark::State& state, OpsCase oc) { run(state, oc, Phase::Map); }
void BM_unmap(benchmark::State& state, OpsCase oc) { run(state, oc, Phase::Unmap); }

BENCHMARK_CAPTURE(BM_map, page_4k, OpsCase{{4096, 40}, 3})->UseManualTime();
BENCHMARK_CAPTURE(BM_unmap, page_4k, OpsCase{{4096, 40}, 3})->UseManualTime();
BENCHMARK_CAPTURE(BM_map, block_2m, OpsCase{{4096, 40}, 2})->UseManualTime();
BENCHMARK_CAPTURE(BM_unmap, block_2m, OpsCase{{4096, 40}, 2})->UseManualTime();
BENCHMARK_CAPTURE(BM_map, page_16k, OpsCase{{16384, 48}, 3})->UseManualTime();
BENCHMARK_CAPTURE(BM_unmap, page_16k, OpsCase{{16384, 48}, 3})->UseManualTime();
BENCHMARK_CAPTURE(BM_map, page_64k, OpsCase{{65536, 48}, 3})->UseManualTime();
BENCHMARK_CAPTURE(BM_unmap, page_64k, OpsCase{{65536, 48}, 3})->UseManualTime();

}  // namespace
}  // namespace ptspec::bench
