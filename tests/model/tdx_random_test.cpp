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

#include "model/x86/tdx_kvm.hpp"

namespace ptspec::x86::tdx {
namespace {

constexpr std::uint64_t kSharedBit = 1ull << 47;
const std::uint64_t kGpas[] = {0x1000'0000, 0x1000'1000, 0x1000'2000, 0x1020'0000,  // private
                               kSharedBit | 0x3000'0000, kSharedBit | 0x3000'1000,     // shared
                               kSharedBit | 0xfee0'0000};                              // MMIO

// Every invariant a checker of this model states; "" when all hold.
std::string violations(const TdxKvm& k) {
  const TdxModule& m = k.module();
  std::string out;
  auto bad = [&](const std::string& s) { out += s + "\n"; };
  if (k.bugged()) bad(fmt::format("KVM bug: {} ({})", k.bugs()[0].where, status_name(k.bugs()[0].status)));
  for (unsigned p = 0; p < 2; ++p)
    if (m.parity_count(p) != m.parity_count_from_vcpus(p)) bad(fmt::format("parity {} count", p));
  // TLB safety: a running vCPU translates only to what the SEPT maps there
  // (the page may be blocked, not removed or re-assigned); a stopped one
  // with a stale entry is in an old epoch, so VP.ENTER flushes it.
  for (unsigned v = 0; v < m.vcpus().size(); ++v) {
    const TdxVcpu& vc = m.vcpus()[v];
    for (const auto& [gpa, t] : vc.tlb) {
      const SeptEntry e = m.entry(0, gpa);
      const bool live = is_leaf(Concrete{}, e.state) && e.hpa == t.hpa && m.pamt_of(t.hpa).owner == PageOwner::TdPrivate;
      if (!live && vc.running()) bad(fmt::format("vcpu{} runs with a stale TLB entry {:#x} -> {:#x}", v, gpa, t.hpa));
      if (!live && !vc.running() && vc.epoch >= m.epoch())
        bad(fmt::format("vcpu{} would re-enter with a stale TLB entry {:#x}", v, gpa));
    }
  }
  // Mirror == Secure EPT (no op is half-done after it returns).
  std::size_t leaves = 0, tables = 0;
  for (const auto& [key, e] : m.sept()) {
    if (key.level == 0) {
      ++leaves;
      auto it = k.mirror_leaves().find(key.gpa);
      if (it == k.mirror_leaves().end() || it->second != e.hpa) bad(fmt::format("SEPT leaf {:#x} not in the mirror", key.gpa));
      if (m.pamt_of(e.hpa).owner != PageOwner::TdPrivate) bad(fmt::format("leaf page {:#x} not TD-private", e.hpa));
    } else {
      ++tables;
      auto it = k.mirror_spts().find(key);
      if (it == k.mirror_spts().end() || it->second != e.hpa) bad(fmt::format("SEPT table L{} {:#x} not in the mirror", key.level, key.gpa));
      if (m.pamt_of(e.hpa).owner != PageOwner::SeptPage) bad(fmt::format("SEPT page {:#x} not PT_EPT", e.hpa));
    }
  }
  if (leaves != k.mirror_leaves().size() || tables != k.mirror_spts().size()) bad("mirror has entries the SEPT lacks");
  // Pages: nothing left removed-but-not-written-back; the pool only moves host pages.
  for (const auto& [hpa, p] : m.pamt())
    if (p.owner == PageOwner::Removed) bad(fmt::format("page {:#x} removed without WBINVD", hpa));
  for (const KvmEvent& e : k.events())
    if ((e.kind == KvmEventKind::PageAlloc || e.kind == KvmEventKind::PageFree) && e.owner != PageOwner::Host)
      bad(fmt::format("{} of a {} page {:#x}", kvm_event_kind_name(e.kind), page_owner_name(e.owner), e.hpa));
  // One pin per mapped private page.
  for (const auto& [gpa, hpa] : k.mirror_leaves())
    if (!k.pins().count(hpa) || k.pins().at(hpa) != 1) bad(fmt::format("page {:#x} not pinned once", hpa));
  if (k.pins().size() != k.mirror_leaves().size()) bad("pinned pages that are not mapped");
  return out;
}

// One random step; returns its description.
std::string step(TdxKvm& k, std::mt19937_64& rng) {
  auto pick = [&](std::uint64_t n) { return static_cast<unsigned>(rng() % n); };
  const unsigned v = pick(k.config().vcpus);
  const std::uint64_t gpa = kGpas[pick(std::size(kGpas))];
  const bool running = k.module().vcpu(v).running();
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
      if (!running || (gpa & kSharedBit)) return "skip";
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

RunResult run(TdxVariant variant, std::uint64_t seed, unsigned steps) {
  TdConfig c;
  c.vcpus = 3;
  c.variant = variant;
  TdxKvm k(c);
  k.add_mmio(kGpas[6]);
  std::mt19937_64 rng(seed);
  RunResult r;
  for (unsigned i = 0; i < steps; ++i) {
    r.trace += step(k, rng) + "\n";
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

TEST(TdxRandom, CorrectModelKeepsEveryInvariant) {
  RunResult total;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const RunResult r = run(TdxVariant::None, seed, kSteps);
    ASSERT_EQ(r.failure, "") << "seed " << seed << "\n" << r.trace;
    total.removes += r.removes;
    total.tracks += r.tracks;
    total.kicks += r.kicks;
    total.retries += r.retries;
    total.agains += r.agains;
  }
  // The runs did exercise the protocol (else "no violation" would mean little).
  EXPECT_GT(total.removes, kSeeds);
  EXPECT_GT(total.tracks, kSeeds);
  EXPECT_GT(total.kicks, 0u);
  EXPECT_GT(total.retries, 0u);
  EXPECT_GT(total.agains, 0u);
  std::printf("removes %u tracks %u kicks %u retries %u eagain %u\n", total.removes, total.tracks, total.kicks,
              total.retries, total.agains);
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
    EXPECT_NE(violations(k).find("not in the mirror"), std::string::npos);
  }
  {
    TdxKvm k(c);  // a page removed and never written back
    ASSERT_EQ(k.fault_in(0x1000'0000), 0);
    const std::uint64_t hpa = k.mirror_leaves().at(0x1000'0000);
    ASSERT_EQ(k.module().range_block(0x1000'0000, 0), kSuccess);
    ASSERT_EQ(k.module().track(), kSuccess);
    ASSERT_EQ(k.module().page_remove(0x1000'0000, 0), kSuccess);
    const std::string v = violations(k);
    EXPECT_NE(v.find(fmt::format("page {:#x} removed without WBINVD", hpa)), std::string::npos);
    EXPECT_NE(v.find("mirror has entries the SEPT lacks"), std::string::npos);
  }
}

TEST(TdxRandom, EachVariantIsCaught) {
  for (const TdxVariantInfo& v : tdx_variants()) {
    unsigned caught = 0;
    for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) caught += !run(v.variant, seed, kSteps).failure.empty();
    EXPECT_GT(caught, 0u) << v.name;
  }
}

}  // namespace
}  // namespace ptspec::x86::tdx
