// x86.tdx: random interleavings of vCPUs (enter, access, accept, exit) and
// KVM operations (fault-in, zap, injected BUSY) on the whole model, with the
// model-level invariants checked after every step. The correct model never
// violates them; each protocol variant is caught (as a KVM_BUG_ON: the
// module refuses the unsafe SEAMCALL) within the same budget. (The full
// property with shrinking and corpus output is properties/x86/tdx_*.)
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include <fmt/format.h>

#include "model/x86/tdx_invariants.hpp"
#include "model/x86/tdx_kvm.hpp"

namespace ptspec::x86::tdx {
namespace {

// The GPAs a run touches: private pages (three in one 2M table, one in
// another), two shared pages and one MMIO page, under the config's shared bit.
std::vector<std::uint64_t> gpas_for(const TdConfig& c) {
  const std::uint64_t shared = 1ull << c.shared_bit();
  const std::uint64_t hi = c.gpaw == 52 ? 1ull << 49 : 0;  // above bit 47 where GPAW 52 allows it
  return {hi | 0x1000'0000, hi | 0x1000'1000, hi | 0x1000'2000, 0x1020'0000,
          shared | 0x3000'0000, shared | 0x3000'1000, shared | 0xfee0'0000};
}

// Every model-level invariant (model/x86/tdx_invariants.hpp).
std::string violations(const TdxKvm& k) { return check_all(k); }

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

void count(const TdxKvm& k, RunResult& r) {
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
  std::mt19937_64 rng(seed);
  RunResult r;
  for (unsigned i = 0; i < steps; ++i) {
    r.trace += step(k, gpas, rng) + "\n";
    r.failure = violations(k);
    if (!r.failure.empty()) {
      r.trace += k.dump();
      break;
    }
  }
  count(k, r);
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

// The checks above can fail: states that break them, made by hand.
TEST(TdxRandom, InvariantsCanFail) {
  TdConfig c;
  {
    TdxKvm k(c);  // a running vCPU with a TLB entry for a page the SEPT does not map
    ASSERT_EQ(k.vcpu_enter(0), 0);
    k.module().vcpu_mut(0).tlb[0x1000'0000] = TlbEntry{kPoolBase + 0x5000, 0, true};
    EXPECT_NE(violations(k).find("stale TLB entry"), std::string::npos);
    ASSERT_TRUE(k.vcpu_exit(0));  // stopped, but would re-enter in the same epoch
    EXPECT_NE(violations(k).find("would re-enter"), std::string::npos);
    ASSERT_EQ(k.module().track(), kSuccess);
    EXPECT_EQ(violations(k), "");
  }
  {
    TdxKvm k(c);  // the module maps what KVM's mirror does not
    ASSERT_EQ(k.fault_in(0x1000'0000), 0);
    ASSERT_EQ(k.module().page_aug(0x1000'1000, 0, kPoolBase + 0x100000), kSuccess);
    EXPECT_NE(violations(k).find("is not in KVM's mirror"), std::string::npos);
  }
  {
    TdxKvm k(c);  // a page removed and never written back
    ASSERT_EQ(k.fault_in(0x1000'0000), 0);
    const std::uint64_t hpa = k.mirror_leaves().at(0x1000'0000);
    ASSERT_EQ(k.module().range_block(0x1000'0000, 0), kSuccess);
    ASSERT_EQ(k.module().track(), kSuccess);
    ASSERT_EQ(k.module().page_remove(0x1000'0000, 0), kSuccess);
    const std::string v = violations(k);
    EXPECT_NE(v.find(fmt::format("page {:#x} removed from the TD but not written back", hpa)), std::string::npos);
    EXPECT_NE(v.find("mirror leaf 0x10000000"), std::string::npos);
  }
}

// check_remove_history on hand-made histories: each clause breakable.
TEST(TdxRandom, RemoveHistoryClauses) {
  auto rec = [](Seamcall c, std::uint64_t epoch, int vcpu = -1, std::uint64_t status = kSuccess) {
    SeamcallRecord r;
    r.call = c;
    r.gpa = 0x1000'0000;
    r.epoch = epoch;
    r.vcpu = vcpu;
    r.status = status;
    return r;
  };
  using enum Seamcall;
  // The protocol: enter, AUG, BLOCK (epoch 0), exit, TRACK (-> 1), REMOVE.
  std::vector<SeamcallRecord> h = {rec(VpEnter, 0, 0), rec(PageAug, 0), rec(RangeBlock, 0), rec(TdExit, 0, 0),
                                   rec(Track, 1), rec(PageRemove, 1)};
  EXPECT_EQ(check_remove_history(h, true), "");
  // No TRACK.
  std::vector<SeamcallRecord> no_track = h;
  no_track.erase(no_track.begin() + 4);
  no_track.back().epoch = 0;
  EXPECT_NE(check_remove_history(no_track, true).find("no TRACK past block epoch 0"), std::string::npos);
  // vCPU 0 never left the block epoch.
  std::vector<SeamcallRecord> no_exit = h;
  no_exit.erase(no_exit.begin() + 3);
  EXPECT_NE(check_remove_history(no_exit, true).find("vcpu0 still runs in epoch 0"), std::string::npos);
  // No BLOCK (or a BLOCK before the page was mapped again).
  std::vector<SeamcallRecord> no_block = h;
  std::swap(no_block[1], no_block[2]);
  EXPECT_NE(check_remove_history(no_block, true).find("without a RANGE.BLOCK"), std::string::npos);
  // A failed TRACK does not count; before finalize nothing is required.
  std::vector<SeamcallRecord> busy_track = h;
  busy_track[4].status = kOperandBusy | kOperandIdTdEpoch;
  busy_track[4].epoch = 0;
  busy_track[5].epoch = 0;
  EXPECT_NE(check_remove_history(busy_track, true), "");
  EXPECT_EQ(check_remove_history(busy_track, false), "");
  // SEPT.REMOVE of a table: the BLOCK must be of that entry (level 1), not its leaf.
  std::vector<SeamcallRecord> sept = h;
  sept.back().call = SeptRemove;
  sept.back().level = 1;
  EXPECT_NE(check_remove_history(sept, true).find("SEPT.REMOVE L1 0x10000000 without a RANGE.BLOCK"),
            std::string::npos);
  sept[2].level = 1;
  EXPECT_EQ(check_remove_history(sept, true), "");
  // The module's own SEPT.REMOVE sequence passes.
  TdxKvm k(TdConfig{});
  ASSERT_EQ(k.fault_in(0x1000'0000), 0);
  ASSERT_EQ(k.zap(0x1000'0000), 0);
  ASSERT_EQ(k.module().range_block(0x1000'0000, 1), kSuccess);
  ASSERT_EQ(k.module().track(), kSuccess);
  ASSERT_EQ(k.module().sept_remove(0x1000'0000, 1), kSuccess);
  EXPECT_EQ(check_remove_history(k.module().history(), true), "");
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
}  // namespace ptspec::x86::tdx
