// (g) x86.tdx: the TDX module model's SEAMCALLs, KVM's fault-in and zap
// sequences (seed 004_913031b64eea2a8b.txt), a fixed random op mix through
// TdxKvm, and the property campaign when its driver is registered.
//
//  - BM_tdx_seamcall/<call>: one successful SEAMCALL. Each iteration takes a
//    fresh copy of a prepared module (timing paused) in which the call
//    succeeds on kBatch distinct GPAs/HPAs, then times kBatch calls;
//    items/s = SEAMCALLs/s; per_call the mean seconds per call.
//  - BM_tdx_fault_in/<shape>: TdxKvm::fault_in of kBatch private pages:
//    same_2m (PAGE.AUG only, the SEPT path exists), new_2m (SEPT.ADD of the
//    2M-level table + AUG), new_512g (three SEPT.ADDs + AUG).
//  - BM_tdx_zap: TdxKvm::zap of kBatch accepted pages: RANGE.BLOCK, the
//    flush (kick + TRACK), PAGE.REMOVE, PHYMEM.PAGE.WBINVD, unpin, page freed.
//  - BM_tdx_op_mix: a fixed pseudo-random mix (seed 1) of fault-in, zap,
//    enter, access, accept, exit/kick and BUSY injection on a 2-vCPU TD;
//    items/s = KVM-level ops/s on the bare model (no checkers);
//    seamcalls_per_op = module history records per op.
//  - BM_tdx_campaign: props::run_campaign on the "x86.tdx" driver, like
//    bench/campaign.cpp (skipped with a message while the driver is absent).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/x86/tdx_kvm.hpp"
#include "model/x86/tdx_module.hpp"
#include "properties/campaign.hpp"
#include "properties/driver.hpp"

namespace ptspec::bench {
namespace {

using namespace x86::tdx;

constexpr unsigned kBatch = 256;
constexpr std::uint64_t kPage = 0x1000, k2M = 0x20'0000;
constexpr std::uint64_t kBase = 0x4000'0000;              // 1 GiB: GPAs of the leaves
constexpr std::uint64_t kRoot = kPoolBase;                  // root SEPT page
constexpr std::uint64_t kPathSept = kPoolBase + 0x10'0000;   // SEPT pages of kBase's path
constexpr std::uint64_t kExtraSept = kPoolBase + 0x80'0000;  // SEPT pages the batches link
constexpr std::uint64_t kPages = kPoolBase + 0x100'0000;     // guest pages

std::uint64_t gpa_of(unsigned i) { return kBase + i * kPage; }
std::uint64_t hpa_of(unsigned i) { return kPages + i * kPage; }

void expect(std::uint64_t status, const char* what) {
  if (status != kSuccess) throw std::runtime_error(std::string(what) + ": " + status_name(status));
}

// The Secure EPT path to the 2M region at kBase: levels 3, 2, 1.
void link_path(TdxModule& m) {
  for (unsigned l = m.top_level(); l >= 1; --l) {
    const std::uint64_t size = std::uint64_t{1} << (12 + 9 * l);
    expect(m.sept_add(kBase & ~(size - 1), l, kPathSept + l * kPage), "sept_add");
  }
}

TdxModule module_with(bool finalized) {
  TdxModule m(make_td_config(48, 4, 2, finalized), kRoot);
  link_path(m);
  return m;
}

// kBatch pages AUGed (and accepted when `accept`).
TdxModule with_pages(bool accept) {
  TdxModule m = module_with(true);
  for (unsigned i = 0; i < kBatch; ++i) expect(m.page_aug(gpa_of(i), 0, hpa_of(i)), "page_aug");
  if (accept) {
    expect(m.vp_enter(0), "vp_enter");
    for (unsigned i = 0; i < kBatch; ++i) expect(m.page_accept(0, gpa_of(i), 0), "page_accept");
    m.td_exit(0, ExitReason::Voluntary);
  }
  return m;
}

// Accepted pages, blocked, and tracked (TRACK with no vCPU running).
TdxModule blocked_tracked() {
  TdxModule m = with_pages(true);
  for (unsigned i = 0; i < kBatch; ++i) expect(m.range_block(gpa_of(i), 0), "range_block");
  expect(m.track(), "track");
  return m;
}

struct SeamcallCase {
  std::function<TdxModule()> prepare;
  std::function<std::uint64_t(TdxModule&, unsigned)> call;
};

void BM_tdx_seamcall(benchmark::State& state, SeamcallCase c) {
  const TdxModule prepared = c.prepare();
  for (auto _ : state) {
    state.PauseTiming();
    TdxModule m = prepared;
    state.ResumeTiming();
    for (unsigned i = 0; i < kBatch; ++i) {
      const std::uint64_t s = c.call(m, i);
      if (s != kSuccess) {
        state.SkipWithError(("SEAMCALL failed: " + status_name(s)).c_str());
        return;
      }
    }
    benchmark::DoNotOptimize(m.epoch());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kBatch);
  state.counters["per_call"] = benchmark::Counter(static_cast<double>(state.iterations()) * kBatch,
                                                     benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// kBatch level-1 entries (2M tables) after kBase's, inside the linked 1G region.
std::uint64_t table_gpa(unsigned i) { return kBase + (i + 1) * k2M; }
std::uint64_t table_hpa(unsigned i) { return kExtraSept + i * kPage; }
const SeamcallCase kSeptAdd{[] { return module_with(true); },
                            [](TdxModule& m, unsigned i) { return m.sept_add(table_gpa(i), 1, table_hpa(i)); }};
const SeamcallCase kPageAdd{[] { return module_with(false); },
                            [](TdxModule& m, unsigned i) { return m.page_add(gpa_of(i), 0, hpa_of(i)); }};
const SeamcallCase kPageAug{[] { return module_with(true); },
                            [](TdxModule& m, unsigned i) { return m.page_aug(gpa_of(i), 0, hpa_of(i)); }};
const SeamcallCase kPageAccept{[] {
                                 TdxModule m = with_pages(false);
                                 expect(m.vp_enter(0), "vp_enter");
                                 return m;
                               },
                               [](TdxModule& m, unsigned i) { return m.page_accept(0, gpa_of(i), 0); }};
const SeamcallCase kRangeBlock{[] { return with_pages(true); },
                               [](TdxModule& m, unsigned i) { return m.range_block(gpa_of(i), 0); }};
const SeamcallCase kRangeUnblock{&blocked_tracked,
                                 [](TdxModule& m, unsigned i) { return m.range_unblock(gpa_of(i), 0); }};
const SeamcallCase kPageRemove{&blocked_tracked,
                               [](TdxModule& m, unsigned i) { return m.page_remove(gpa_of(i), 0); }};
const SeamcallCase kWbinvd{[] {
                             TdxModule m = blocked_tracked();
                             for (unsigned i = 0; i < kBatch; ++i) expect(m.page_remove(gpa_of(i), 0), "page_remove");
                             return m;
                           },
                           [](TdxModule& m, unsigned i) { return m.phymem_page_wbinvd(hpa_of(i)); }};
const SeamcallCase kSeptRemove{[] {
                                 // kBatch empty 2M tables, blocked and tracked.
                                 TdxModule m = module_with(true);
                                 for (unsigned i = 0; i < kBatch; ++i)
                                   expect(m.sept_add(table_gpa(i), 1, table_hpa(i)), "sept_add");
                                 for (unsigned i = 0; i < kBatch; ++i) expect(m.range_block(table_gpa(i), 1), "range_block");
                                 expect(m.track(), "track");
                                 return m;
                               },
                               [](TdxModule& m, unsigned i) { return m.sept_remove(table_gpa(i), 1); }};
// TRACK with no vCPU running always succeeds (the other parity's count is 0).
const SeamcallCase kTrack{[] { return module_with(true); }, [](TdxModule& m, unsigned) { return m.track(); }};
// VP.ENTER of vCPU 0 and its TD exit (the exit is not a SEAMCALL but undoes the entry).
const SeamcallCase kVpEnterExit{[] { return module_with(true); }, [](TdxModule& m, unsigned) {
                                  const std::uint64_t s = m.vp_enter(0);
                                  m.td_exit(0, ExitReason::Voluntary);
                                  return s;
                                }};

BENCHMARK_CAPTURE(BM_tdx_seamcall, sept_add, kSeptAdd);
BENCHMARK_CAPTURE(BM_tdx_seamcall, page_add, kPageAdd);
BENCHMARK_CAPTURE(BM_tdx_seamcall, page_aug, kPageAug);
BENCHMARK_CAPTURE(BM_tdx_seamcall, page_accept, kPageAccept);
BENCHMARK_CAPTURE(BM_tdx_seamcall, range_block, kRangeBlock);
BENCHMARK_CAPTURE(BM_tdx_seamcall, range_unblock, kRangeUnblock);
BENCHMARK_CAPTURE(BM_tdx_seamcall, track, kTrack);
BENCHMARK_CAPTURE(BM_tdx_seamcall, page_remove, kPageRemove);
BENCHMARK_CAPTURE(BM_tdx_seamcall, sept_remove, kSeptRemove);
BENCHMARK_CAPTURE(BM_tdx_seamcall, phymem_page_wbinvd, kWbinvd);
BENCHMARK_CAPTURE(BM_tdx_seamcall, vp_enter_exit, kVpEnterExit);

// ---- KVM sequences ----

void BM_tdx_fault_in(benchmark::State& state, std::uint64_t stride) {
  const TdxKvm fresh(make_td_config(48, 4, 2, true));
  // Warm: the SEPT path of the first GPA exists for same_2m.
  TdxKvm prepared = fresh;
  if (stride == kPage && prepared.fault_in(kBase + kBatch * kPage) != 0) throw std::runtime_error("warm fault_in");
  for (auto _ : state) {
    state.PauseTiming();
    TdxKvm td = prepared;
    state.ResumeTiming();
    for (unsigned i = 0; i < kBatch; ++i)
      if (int r = td.fault_in(kBase * (stride == kPage) + i * stride)) {
        state.SkipWithError(("fault_in: " + std::to_string(r)).c_str());
        return;
      }
    benchmark::DoNotOptimize(td.mirror_leaves().size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kBatch);
  state.counters["per_fault"] = benchmark::Counter(static_cast<double>(state.iterations()) * kBatch,
                                                      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK_CAPTURE(BM_tdx_fault_in, same_2m, kPage);
BENCHMARK_CAPTURE(BM_tdx_fault_in, new_2m, k2M);
BENCHMARK_CAPTURE(BM_tdx_fault_in, new_512g, std::uint64_t{1} << 39);

void BM_tdx_zap(benchmark::State& state) {
  TdxKvm prepared(make_td_config(48, 4, 2, true));
  for (unsigned i = 0; i < kBatch; ++i)
    if (prepared.fault_in(gpa_of(i)) != 0) throw std::runtime_error("fault_in");
  if (prepared.vcpu_enter(0) != 0 || prepared.vcpu_enter(1) != 0) throw std::runtime_error("enter");
  for (unsigned i = 0; i < kBatch; ++i) expect(prepared.vcpu_accept(0, gpa_of(i)), "accept");
  for (auto _ : state) {
    state.PauseTiming();
    TdxKvm td = prepared;
    state.ResumeTiming();
    for (unsigned i = 0; i < kBatch; ++i)
      if (int r = td.zap(gpa_of(i))) {
        state.SkipWithError(("zap: " + std::to_string(r)).c_str());
        return;
      }
    benchmark::DoNotOptimize(td.pool_free().size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kBatch);
  state.counters["per_zap"] = benchmark::Counter(static_cast<double>(state.iterations()) * kBatch,
                                                    benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_tdx_zap);

// ---- a fixed op mix on the bare model ----

struct MixOp {
  enum Kind : std::uint8_t { FaultIn, Zap, Enter, Access, Accept, Exit, Kick, Busy } kind;
  unsigned vcpu;
  std::uint64_t gpa;
};

std::vector<MixOp> op_mix(std::size_t n) {
  std::mt19937_64 rng(1);
  // Weights: fault-in 4, zap 3, enter 3, access 4, accept 3, exit 1, kick 1, busy 1.
  const std::vector<MixOp::Kind> table = {
      MixOp::FaultIn, MixOp::FaultIn, MixOp::FaultIn, MixOp::FaultIn, MixOp::Zap,    MixOp::Zap,
      MixOp::Zap,     MixOp::Enter,   MixOp::Enter,   MixOp::Enter,   MixOp::Access, MixOp::Access,
      MixOp::Access,  MixOp::Access,  MixOp::Accept,  MixOp::Accept,  MixOp::Accept, MixOp::Exit,
      MixOp::Kick,    MixOp::Busy};
  std::vector<MixOp> ops;
  for (std::size_t i = 0; i < n; ++i)
    ops.push_back(MixOp{table[rng() % table.size()], static_cast<unsigned>(rng() % 2), gpa_of(static_cast<unsigned>(rng() % 64))});
  return ops;
}

void BM_tdx_op_mix(benchmark::State& state) {
  const std::vector<MixOp> ops = op_mix(static_cast<std::size_t>(state.range(0)));
  const TdxKvm fresh(make_td_config(48, 4, 2, true));
  std::uint64_t run = 0, seamcalls = 0;
  for (auto _ : state) {
    TdxKvm td = fresh;  // timed: a TD's creation is part of a case
    for (const MixOp& op : ops) {
      const bool running = td.module().vcpu(op.vcpu).running();
      switch (op.kind) {
        case MixOp::FaultIn: benchmark::DoNotOptimize(td.fault_in(op.gpa)); break;
        case MixOp::Zap: benchmark::DoNotOptimize(td.zap(op.gpa)); break;
        case MixOp::Enter:
          if (!running) benchmark::DoNotOptimize(td.vcpu_enter(op.vcpu));
          break;
        case MixOp::Access:
          if (running) benchmark::DoNotOptimize(td.vcpu_access(op.vcpu, op.gpa, AccessKind::Write).outcome);
          break;
        case MixOp::Accept:
          if (running) benchmark::DoNotOptimize(td.vcpu_accept(op.vcpu, op.gpa));
          break;
        case MixOp::Exit: benchmark::DoNotOptimize(td.vcpu_exit(op.vcpu)); break;
        case MixOp::Kick: benchmark::DoNotOptimize(td.kick(op.vcpu)); break;
        case MixOp::Busy:
          if (td.module().busy_pending(TdxLock::SeptTree) < kMaxInjectedBusy) td.module().inject_busy(TdxLock::SeptTree, 1);
          break;
      }
    }
    if (td.bugged()) {
      state.SkipWithError(("KVM_BUG_ON in the op mix: " + td.bugs().front().where).c_str());
      return;
    }
    run += ops.size();
    seamcalls += td.module().history().size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(run));
  // How much module work the mix does: SEAMCALLs, guest ACCEPTs and TD exits per op.
  state.counters["seamcalls_per_op"] = run ? static_cast<double>(seamcalls) / static_cast<double>(run) : 0.0;
}
BENCHMARK(BM_tdx_op_mix)->Arg(1000)->Unit(benchmark::kMicrosecond);

// ---- the property campaign ----

void BM_tdx_campaign(benchmark::State& state) {
  const props::Driver* d = props::find_driver("x86.tdx");
  if (!d || d->properties.empty()) {
    state.SkipWithError("x86.tdx driver not registered in this build");
    return;
  }
  props::CampaignOptions opt;
  opt.seed = 1;
  opt.cases = static_cast<std::uint64_t>(state.range(0));
  opt.found_dir = (std::filesystem::temp_directory_path() / "ptspec-bench-found").string();
  std::uint64_t ops = 0, cases = 0;
  for (auto _ : state) {
    props::CampaignResult r = props::run_campaign(*d, d->properties.at(0), opt);
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
BENCHMARK(BM_tdx_campaign)->Arg(50)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ptspec::bench
