// Each x86.sppt checker passes on a state KVM's operations produced and
// fails on a state or event sequence broken on purpose.
#include <gtest/gtest.h>

#include "model/x86/spp_system.hpp"
#include "properties/x86/sppt_checks.hpp"

namespace ptspec::props {
namespace {

using namespace spptcheck;
constexpr std::uint64_t kGpa = 0x4000'0000, kGfn = kGpa >> 12;

bool has(const Violations& v, const std::string& inv) {
  for (const auto& x : v)
    if (x.invariant == inv) return true;
  return false;
}

struct Fixture {
  x86::SppSystem sys{x86::make_ept_config(4, 46)};
  Bitmaps spec;
  Fixture() {
    x86::EptLeafAttrs a;
    a.xwr = 3;
    EXPECT_EQ(sys.map(kGpa, 0x200000, 0x8000'0000, a, 1), 0);
    EXPECT_EQ(sys.set_subpages(kGfn, 0x0000'FFFF, false), 0);
    spec[kGfn] = 0x0000'FFFF;
  }
};

TEST(SpptChecks, AllPassAfterKvmOps) {
  Fixture f;
  Violations v;
  check_effective(f.sys, f.spec, {kGfn + 1}, v);
  check_reserved(f.sys.sppt(), v);
  check_leak(f.sys, f.spec, v);
  check_flush_sppt(f.sys.sppt().log().events(), v);
  check_flush_ept(f.sys.ept().config(), f.sys.ept().log().events(), v);
  EXPECT_TRUE(v.empty()) << v.front().detail;
}

TEST(SpptChecks, EffectiveFailsOnWrongVectorAndOnStaleSpec) {
  Fixture f;
  Violations v;
  f.sys.sppt().write_raw(kGpa, 1, x86::spp::format_spp_vector(0xFFFF'0000u));
  check_effective(f.sys, f.spec, {}, v);
  EXPECT_TRUE(has(v, "abstraction"));
  Fixture g;
  Violations w;
  Bitmaps other = g.spec;
  other[kGfn] = 0x1;
  check_effective(g.sys, other, {}, w);
  EXPECT_TRUE(has(w, "abstraction"));
}

TEST(SpptChecks, EffectiveFailsWhenAPlainGfnIsSppMarked) {
  Fixture f;
  ASSERT_EQ(f.sys.ept().set_spp_bit(kGpa + 0x2000, true), 0);
  ASSERT_EQ(f.sys.ept().protect(kGpa + 0x2000, 0x1000, 1, false), 0);
  Violations v;
  check_effective(f.sys, f.spec, {kGfn + 2}, v);
  EXPECT_TRUE(has(v, "abstraction"));  // a miss (no bitmap) instead of a plain EPT violation
}

TEST(SpptChecks, ReservedFailsOnOddBitAndNonLeafReserved) {
  Fixture f;
  f.sys.sppt().write_raw(kGpa, 1, 0x2);
  Violations v;
  check_reserved(f.sys.sppt(), v);
  EXPECT_TRUE(has(v, "structure"));
  Fixture g;
  const std::uint64_t l3e = g.sys.sppt().walk(kGpa).entries[1];
  g.sys.sppt().write_raw(kGpa, 3, l3e | 0x800);
  Violations w;
  check_reserved(g.sys.sppt(), w);
  EXPECT_TRUE(has(w, "structure"));
}

TEST(SpptChecks, LeakFailsOnUnreachablePageAndUnneededRegion) {
  Fixture f;
  std::uint64_t pa = 0;
  const std::uint64_t l2e = f.sys.sppt().l2e(kGfn, &pa);
  ASSERT_NE(l2e, 0u);
  f.sys.sppt().write_raw(kGpa, 2, 0);  // the L1 table is now unreachable
  Violations v;
  check_leak(f.sys, f.spec, v);
  EXPECT_TRUE(has(v, "leak"));
  Fixture g;
  Violations w;
  check_leak(g.sys, Bitmaps{}, w);  // a leaf table no bitmap needs
  EXPECT_TRUE(has(w, "leak"));
}

TEST(SpptChecks, FlushFailsWithoutTlbiAfterReduction) {
  std::vector<Event> ev = {{EventKind::Write, 1, 0x1000, 0, 0x5, 0x4}};
  Violations v;
  check_flush_sppt(ev, v);
  EXPECT_TRUE(has(v, "flush"));
  ev.push_back({EventKind::TlbiAll});
  Violations ok;
  check_flush_sppt(ev, ok);
  EXPECT_TRUE(ok.empty());
  const x86::EptConfig cfg = x86::make_ept_config(4, 46);
  std::vector<Event> ept = {{EventKind::Write, 1, 0x1000, 0, 0x8000'0033, 0x8000'0033 | (std::uint64_t{1} << 61)}};
  Violations w;
  check_flush_ept(cfg, ept, w);
  EXPECT_TRUE(has(w, "flush"));  // bit 61 set on a leaf, no flush
  std::vector<Event> inval = {{EventKind::Write, 2, 0x2000, 0, 0x1'0000'1001, 0x1'0000'1000}};
  Violations x;
  check_flush_sppt(inval, x);
  EXPECT_TRUE(has(x, "flush"));  // L2E invalidated, no flush
}

TEST(SpptChecks, UnchangedFailsWhenAFailedOpWrote) {
  Fixture f;
  Snapshot before;
  take_snapshot(f.sys, before);
  Violations ok;
  check_unchanged(before, f.sys, ok);
  EXPECT_TRUE(ok.empty());
  f.sys.sppt().write_raw(kGpa, 1, 0);
  Violations v;
  check_unchanged(before, f.sys, v);
  EXPECT_TRUE(has(v, "unchanged"));
}

}  // namespace
}  // namespace ptspec::props
