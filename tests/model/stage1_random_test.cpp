// arm64.stage1: random library-call sequences on two CPUs, with accesses
// interleaved between the micro-steps of each call. Whenever no call is in
// flight the fixed library leaves (1) no store and no TLBI incomplete and
// (2) no TLB entry of a CPU with its MMU on that disagrees with a walk of
// its current tables; and (3) a successful clear_user leaves the address
// EL0-inaccessible. The same sequences break these for the variants whose
// damage outlives the call (no-write-once is only visible mid-call; its unit
// test covers it).
#include <gtest/gtest.h>

#include <random>

#include "model/arm64/stage1_mmu.hpp"

namespace ptspec::arm64::s1 {
namespace {

constexpr std::uint64_t kVas[] = {0x4000'0000, 0x4000'1000, 0x4000'2000, 0x4020'0000, 0x4020'3000, 0x4040'0000};

// The first broken rule after a completed call, or "" if none.
std::string check_idle(const Stage1Mmu& m) {
  if (!m.pending_stores().empty()) return "store not completed by a DSB";
  if (!m.pending_tlbis().empty()) return "TLBI not completed by a DSB";
  for (unsigned c = 0; c < m.cpus(); ++c) {
    const CpuState& s = m.cpu(c);
    if (!s.mmu_on) continue;
    for (const TlbEntry& e : s.tlb.entries()) {
      const Translation t = m.translate(s.ttbr, e.va_base, El::El1, Access::Read, false, View::Latest);
      const bool leaf = t.fault == Fault::None || t.fault == Fault::Permission;
      if (!leaf || t.pte != e.pte || t.level != e.level || t.table_attrs != e.table_attrs)
        return "cpu" + std::to_string(c) + " stale TLB entry " + e.describe();
    }
  }
  return "";
}

// One random sequence; returns the first broken rule, or "".
std::string run_sequence(Stage1Variant v, std::uint32_t seed, int ops) {
  std::mt19937 rng(seed);
  Stage1Config cfg = Stage1Config::make(4096, 48, 48, 2);
  cfg.variant = v;
  Stage1Mmu m{cfg};
  const std::uint64_t roots[] = {m.root(), m.new_table()};
  auto pick = [&](auto n) { return static_cast<unsigned>(rng() % n); };
  for (int i = 0; i < ops; ++i) {
    const unsigned cpu = pick(2);
    OpRequest r;
    r.cpu = cpu;
    r.root = roots[pick(2)];
    const std::uint64_t va = kVas[pick(std::size(kVas))];
    switch (pick(8)) {
      case 0:
      case 1:
        r.kind = OpKind::InstallPage;
        r.va = va;
        r.pa = 0x8000'0000 + pick(4) * 0x1000;
        r.prot.user = pick(4) != 0;
        r.prot.rdonly = pick(3) == 0;
        break;
      case 2:
        r.kind = OpKind::InstallBlock;
        r.va = va & ~std::uint64_t{0x1f'ffff};
        r.pa = 0x8000'0000 + pick(2) * 0x20'0000;
        r.level = 2;
        break;
      case 3:
      case 4:
        r.kind = OpKind::ClearUser;
        r.va = va;
        r.root = m.cpu(cpu).ttbr ? m.cpu(cpu).ttbr : roots[0];
        break;
      case 5: r.kind = OpKind::MmuEnable; break;
      case 6: r.kind = pick(3) ? OpKind::FlushTlbPage : OpKind::MmuDisable; r.va = va; break;
      default: r.kind = OpKind::FlushTlbAll; break;
    }
    const int ret = m.start(r);
    // Interleave the other CPU's accesses with the call's steps (the CPU
    // running the call executes it in order; see Stage1Mmu::mmu_enable on
    // walks of its own in the middle).
    while (m.busy(cpu)) {
      if (pick(3) == 0) {
        m.access(1 - cpu, kVas[pick(std::size(kVas))] + 8, pick(2) ? El::El0 : El::El1,
                 static_cast<Access>(pick(3)));
      } else {
        m.step(cpu);
      }
    }
    for (int a = 0; a < 3; ++a)
      m.access(pick(2), kVas[pick(std::size(kVas))], pick(2) ? El::El0 : El::El1, static_cast<Access>(pick(3)));
    if (std::string err = check_idle(m); !err.empty()) return r.describe() + ": " + err;
    if (r.kind == OpKind::ClearUser && ret == kOk &&
        m.translate(r.root, r.va, El::El0, Access::Read, false, View::Latest).ok())
      return r.describe() + ": address still EL0-readable after clear_user";
  }
  return "";
}

constexpr int kSequences = 150;
constexpr int kOps = 40;

TEST(Stage1Random, FixedLibraryKeepsEveryRule) {
  for (int s = 0; s < kSequences; ++s) {
    const std::string err = run_sequence(Stage1Variant::None, static_cast<std::uint32_t>(s), kOps);
    ASSERT_EQ(err, "") << "seed " << s;
  }
}

TEST(Stage1Random, VariantsBreakARule) {
  for (auto v : {Stage1Variant::ClearUserPageOnly, Stage1Variant::NoDsbBeforeTlbi, Stage1Variant::NoDsbAfterTlbi,
                 Stage1Variant::NoTlbiAfterClear, Stage1Variant::NoTlbFlushBeforeMmuEnable}) {
    int broken = 0;
    std::string first;
    for (int s = 0; s < kSequences; ++s) {
      std::string err = run_sequence(v, static_cast<std::uint32_t>(s), kOps);
      if (!err.empty()) {
        if (first.empty()) first = err;
        ++broken;
      }
    }
    EXPECT_GT(broken, 0) << stage1_variant_name(v);
    RecordProperty(std::string(stage1_variant_name(v)), broken);
    std::printf("%s: %d/%d sequences broken; first: %s\n", std::string(stage1_variant_name(v)).c_str(), broken,
                kSequences, first.c_str());
  }
}

}  // namespace
}  // namespace ptspec::arm64::s1
