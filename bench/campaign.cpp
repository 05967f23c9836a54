// (c) Checked operations per second: every op runs on the model and the
// abstract spec, and every invariant checker (abstraction, refcount,
// structure, leak, bbm, flush, unchanged) runs after it.
//  - BM_session: a Session stepping a fixed list of ops (no generation
//    cost): the checkers' throughput.
//  - BM_campaign: props::run_campaign with a fixed seed and a small case
//    count: what `ptspec check` sustains, generation and RapidCheck included.
// items/s = checked ops/s in both.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "properties/campaign.hpp"
#include "properties/driver.hpp"

namespace ptspec::bench {
namespace {

using props::Json;

const props::Driver& stage2_driver() {
  const props::Driver* d = props::find_driver("arm64.stage2");
  if (!d) throw std::runtime_error("arm64.stage2 driver not registered");
  return *d;
}

// A fixed workload touching every operation: blocks, pages inside blocks,
// owner annotations over blocks (seed 003), permission changes, AF, unmaps.
std::vector<props::Op> fixed_ops() {
  std::vector<Json> ops;
  const std::uint64_t block = 0x20'0000, page = 0x1000;
  for (std::uint64_t r = 0; r < 8; ++r) {
    const std::uint64_t a = 0x4000'0000 + r * block;
    const std::uint64_t pa = 0x8000'0000 + r * block;
    ops.push_back({{"op", "map"}, {"addr", a}, {"size", block}, {"phys", pa}, {"prot", "r"}});
    ops.push_back({{"op", "relax_perms"}, {"addr", a + page}, {"prot", "rw"}});
    ops.push_back({{"op", "set_owner"}, {"addr", a + 4 * page}, {"size", page}, {"owner", 1}});
    ops.push_back({{"op", "map"}, {"addr", a + 8 * page}, {"size", 4 * page}, {"phys", pa + 8 * page}, {"prot", "rw"}});
    ops.push_back({{"op", "wrprotect"}, {"addr", a}, {"size", block}});
    ops.push_back({{"op", "mkold"}, {"addr", a + 8 * page}});
    ops.push_back({{"op", "mkyoung"}, {"addr", a + 8 * page}});
    ops.push_back({{"op", "unmap"}, {"addr", a + 8 * page}, {"size", page}});
  }
  for (std::uint64_t r = 0; r < 8; ++r)
    ops.push_back({{"op", "unmap"}, {"addr", 0x4000'0000 + r * block}, {"size", block}});
  std::vector<props::Op> out;
  for (std::size_t i = 0; i < ops.size(); ++i) out.push_back(props::parse_op("arm64.stage2", ops[i], i, "bench"));
  return out;
}

void BM_session(benchmark::State& state, Json config) {
  const props::Driver& d = stage2_driver();
  const std::vector<props::Op> ops = fixed_ops();
  std::uint64_t checked = 0;
  for (auto _ : state) {
    auto session = d.make_session(config, "");
    for (const auto& op : ops) {
      props::StepReport r = session->step(op);
      if (!r.violations.empty()) {
        state.SkipWithError(("violation: " + r.violations[0].invariant + ": " + r.violations[0].detail).c_str());
        return;
      }
      benchmark::DoNotOptimize(r.ret);
    }
    checked += ops.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(checked));
  state.counters["ops_per_iter"] = static_cast<double>(ops.size());
}

void BM_campaign(benchmark::State& state) {
  const props::Driver& d = stage2_driver();
  props::CampaignOptions opt;
  opt.seed = 1;
  opt.cases = static_cast<std::uint64_t>(state.range(0));
  // A counterexample (there should be none) goes to a temp dir, never into
  // the source tree's corpus.
  opt.found_dir = (std::filesystem::temp_directory_path() / "ptspec-bench-found").string();
  std::uint64_t ops = 0, cases = 0;
  for (auto _ : state) {
    props::CampaignResult r = props::run_campaign(d, d.properties.at(0), opt);
    if (!r.passed) {
      state.SkipWithError(("campaign failed: " + r.message).c_str());
      return;
    }
    ops += r.ops_run;
    cases += r.cases_run;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(ops));
  state.counters["ops_per_case"] = cases ? static_cast<double>(ops) / static_cast<double>(cases) : 0.0;
}

BENCHMARK_CAPTURE(BM_session, 4k_40, Json{{"granule", 4096}, {"ia_bits", 40}})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_session, 16k_40, Json{{"granule", 16384}, {"ia_bits", 40}})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_session, 64k_42, Json{{"granule", 65536}, {"ia_bits", 42}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_campaign)->Arg(50)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ptspec::bench
