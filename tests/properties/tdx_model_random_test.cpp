// x86.tdx model under random interleavings of vCPUs (enter, access, accept,
// exit) and KVM operations (fault-in, zap, injected BUSY, including WBINVD's
// PAMT BUSY the property's generator does not inject), for three TD
// configurations, with every x86.tdx checker (properties/x86/tdx_checks.hpp)
// run after every step: the correct model keeps them all, the runs are shown
// to exercise the protocol (coverage counts), and each variant is caught in
// most runs. A plain-seeded companion of the RapidCheck property
// tdx-private-pages-safe (no shrinking; more steps; fixed seeds).
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/x86/tdx_kvm.hpp"
#include "properties/x86/tdx_checks.hpp"

namespace ptspec::props {
namespace {

using namespace x86::tdx;

// The GPAs a run touches: private pages (three in one 2M table, one in
// another), two shared pages and one MMIO page, under the config's shared bit.
std::vector<std::uint64_t> gpas_for(const TdConfig& c) {
  const std::uint64_t shared = 1ull << c.shared_bit();
  const std::uint64_t hi = c.gpaw == 52 ? 1ull << 49 : 0;  // above bit 47 where GPAW 52 allows it
  return {hi | 0x1000'0000, hi | 0x1000'1000, hi | 0x1000'2000, 0x1020'0000,
          shared | 0x3000'0000, shared | 0x3000'1000, shared | 0xfee0'0000};
}

// Every x86.tdx checker, as the session runs them after a step (the
// auditor fed the new history records, the KVM events of this step only).
struct Checker {
  tdxcheck::RemoveAuditor auditor;
  std::size_t seen_bugs = 0;
  std::string operator()(TdxKvm& k) {
    tdxcheck::Violations v;
    const TdxModule& m = k.module();
    for (std::size_t i = auditor.fed(); i < m.history().size(); ++i) auditor.feed(m.history()[i], v);
    tdxcheck::check_kvm_bugs(k.bugs(), seen_bugs, v);
    seen_bugs = k.bugs().size();
    tdxcheck::check_stale_tlb(m.vcpus(), m.epoch(), m.sept(), m.pamt(), v);
    tdxcheck::check_wbinvd(k.events(), k.pool_free(), m.pamt(), v);
    tdxcheck::check_mirror(k.mirror_leaves(), k.mirror_spts(), k.pending(), m.sept(), k.pins(), v);
    tdxcheck::check_busy(k.pending(), k.mirror_leaves(), m.sept(), v);
    tdxcheck::check_structure(m, v);
    k.clear_events();
    std::string out;
    for (const Violation& x : v) out += x.invariant + ": " + x.detail + "\n";
    return out;
  }
};

// One random step; returns its description.
std::string step(TdxKvm& k, const std::vector<std::uint64_t>& gpas, std::mt19937_64& rng) {
  auto pick = [&](std::uint64_t n) { return static_cast<unsigned>(rng() % n); };
  const unsigned v = pick(k.config().vcpus);
  const std::uint64_t gpa = gpas[pick(gpas.size())];
  const bool shared = route_of(k.config().gpaw, gpa) == GpaRoute::Shared;
  const bool running = k.module().vcpu(v).running();
  if (!k.module().finalized() && pick(20) == 0) return fmt::format("finalize: {}", k.finalize());
  switch (pick(9)) {
    case 0:
      if (running) return fmt::format("exit {}: {}", v, k.vcpu_exit(v));
      return fmt::format("enter {}: {}", v, k.vcpu_enter(v));
    case 1:
    case 2:
      if (!running) return fmt::format("enter {}: {}", v, k.vcpu_enter(v));
      return fmt::format("access {} {:#x}: {}", v, gpa,
                         access_outcome_name(k.vcpu_access(v, gpa, static_cast<AccessKind>(pick(3))).outcome));
    case 3:
      if (!running || shared) return "skip";
      return fmt::format("accept {} {:#x}: {}", v, gpa, status_name(k.vcpu_accept(v, gpa)));
    case 4:
    case 5: return fmt::format("fault {:#x}: {}", gpa, k.fault_in(gpa));
    case 6: return fmt::format("zap {:#x}: {}", gpa, k.zap(gpa));
    case 7: {
      // Contention KVM can meet: the epoch lock (VP.ENTER vs TRACK), the
      // SEPT tree and entry locks (vs VP.ENTER / the guest's ACCEPT).
      const TdxLock l = static_cast<TdxLock>(pick(3));
      const unsigned n = 1 + pick(3);
      k.module().inject_busy(l, n);
      return fmt::format("busy {} x{}", tdx_lock_name(l), n);
    }
    default: {
      // The PAMT lock of a removed page (WBINVD's BUSY|RCX), then the zap.
      k.module().inject_busy(TdxLock::Pamt, 1 + pick(2));
      const int r = k.zap(gpa);
      k.module().clear_busy();
      return fmt::format("zap(wbinvd busy) {:#x}: {}", gpa, r);
    }
  }
}

struct RunResult {
  std::string failure;  // "" when every step kept every invariant
  std::string trace;
  // Coverage: what the run exercised (successful PAGE.REMOVEs, TRACKs that
  // advanced the epoch, kicks, retry-loop iterations, -EAGAINs).
  unsigned removes = 0, tracks = 0, kicks = 0, retries = 0, agains = 0;
};

// Adds this step's events; the history counts are recomputed (it is kept).
void count(const TdxKvm& k, RunResult& r) {
  r.removes = r.tracks = 0;
  for (const SeamcallRecord& h : k.module().history()) {
    r.removes += h.call == Seamcall::PageRemove && h.status == kSuccess;
    r.tracks += h.call == Seamcall::Track && h.status == kSuccess;
  }
  for (const KvmEvent& e : k.events()) {
    r.kicks += e.kind == KvmEventKind::KickVcpu;
    r.agains += e.kind == KvmEventKind::Again;
  }
  r.retries = static_cast<unsigned>(k.retries());
}

RunResult run(TdConfig c, std::uint64_t seed, unsigned steps) {
  const std::vector<std::uint64_t> gpas = gpas_for(c);
  TdxKvm k(c);
  k.add_mmio(gpas.back());
  Checker check;
  std::mt19937_64 rng(seed);
  RunResult r;
  for (unsigned i = 0; i < steps; ++i) {
    r.trace += step(k, gpas, rng) + "\n";
    count(k, r);  // before the checker clears this step's KVM events
    r.failure = check(k);
    if (!r.failure.empty()) {
      r.trace += k.dump();
      break;
    }
  }
  return r;
}

constexpr unsigned kSeeds = 40, kSteps = 150;

// Three configurations: 4-level GPAW 48 finalized at start; 5-level GPAW 52;
// not finalized at start (PAGE.ADD until a random finalize).
std::vector<TdConfig> configs(TdxVariant v) {
  TdConfig a;
  a.vcpus = 3;
  a.variant = v;
  TdConfig b = a;
  b.gpaw = 52;
  b.ept_levels = 5;
  b.vcpus = 2;
  TdConfig c = a;
  c.finalized = false;
  return {a, b, c};
}

TEST(TdxRandom, CorrectModelKeepsEveryInvariant) {
  for (const TdConfig& c : configs(TdxVariant::None)) {
    RunResult total;
    for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
      const RunResult r = run(c, seed, kSteps);
      ASSERT_EQ(r.failure, "") << c.describe() << " seed " << seed << "\n" << r.trace;
      total.removes += r.removes;
      total.tracks += r.tracks;
      total.kicks += r.kicks;
      total.retries += r.retries;
      total.agains += r.agains;
    }
    // The runs did exercise the protocol (else "no violation" would mean little).
    EXPECT_GT(total.removes, kSeeds) << c.describe();
    EXPECT_GT(total.tracks, kSeeds) << c.describe();
    EXPECT_GT(total.kicks, 0u) << c.describe();
    EXPECT_GT(total.retries, 0u) << c.describe();
    EXPECT_GT(total.agains, 0u) << c.describe();
    std::printf("%s: removes %u tracks %u kicks %u retries %u eagain %u\n", c.describe().c_str(), total.removes,
                total.tracks, total.kicks, total.retries, total.agains);
  }
}

TEST(TdxRandom, EachVariantIsCaught) {
  for (const TdxVariantInfo& v : tdx_variants()) {
    const TdConfig c = configs(v.variant)[0];
    unsigned caught = 0;
    for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) caught += !run(c, seed, kSteps).failure.empty();
    EXPECT_GT(caught, kSeeds / 2) << v.name;
    std::printf("%s: caught in %u of %u runs\n", std::string(v.name).c_str(), caught, kSeeds);
  }
}

}  // namespace
}  // namespace ptspec::props
