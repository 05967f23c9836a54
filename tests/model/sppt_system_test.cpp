// x86.sppt: the SPP system (EPT + SPPT + KVM's bitmaps): protection,
// deferred setup, lazy mode miss and rebuild, remove, the combined check.
#include <gtest/gtest.h>

#include "model/core/errors.hpp"
#include "model/x86/spp_system.hpp"

namespace ptspec::x86 {
namespace {

constexpr std::uint64_t kGpa = 0x4000'0000, kGfn = kGpa >> 12, kHpa = 0x8000'0000;

EptConfig cfg() { return make_ept_config(4, 46); }

EptLeafAttrs rw() {
  EptLeafAttrs a;
  a.xwr = 3;
  return a;
}

SppOutcome write(SppSystem& s, std::uint64_t gpa) { return s.access(gpa, spp::Access::Write).outcome; }

TEST(SppSystem, ProtectedSubpageFaultsNeighbourSucceeds) {
  SppSystem s(cfg());
  ASSERT_EQ(s.map(kGpa, 0x200000, kHpa, rw()), 0);
  ASSERT_EQ(s.set_subpages(kGfn, 0xFFFF'FFFEu, false), 0);  // sub-page 0 protected
  std::uint64_t pte = 0;
  ASSERT_EQ(s.ept_leaf(kGpa, &pte), 1u);  // the 2M leaf was split
  EXPECT_TRUE(pte & ept::kSpp.mask());
  EXPECT_FALSE(pte & ept::kW.mask());
  const SppAccessResult r = s.access(kGpa + 0x10, spp::Access::Write);
  EXPECT_EQ(r.outcome, SppOutcome::SppViolation);
  EXPECT_FALSE(r.retired);
  EXPECT_EQ(write(s, kGpa + 0x80), SppOutcome::Allowed);
  EXPECT_EQ(s.access(kGpa + 0x10, spp::Access::Read).outcome, SppOutcome::Allowed);
  EXPECT_EQ(write(s, kGpa + 0x1000), SppOutcome::Allowed);  // the next 4K page: EPT W
  std::uint32_t b = 0;
  ASSERT_EQ(s.get_subpages(kGfn, b), 0);
  EXPECT_EQ(b, 0xFFFF'FFFEu);
  EXPECT_EQ(s.get_subpages(kGfn + 1, b), kEnoent);
}

TEST(SppSystem, LazyMissRebuildsTheRegion) {
  SppSystem s(cfg());
  ASSERT_EQ(s.map(kGpa, 0x200000, kHpa, rw(), 1), 0);
  ASSERT_EQ(s.set_subpages(kGfn, 0x1, false), 0);
  ASSERT_EQ(s.set_subpages(kGfn + 3, 0x2, true), 0);  // lazy: L2E invalidated, vector not written
  EXPECT_EQ(*s.sppt().get(kGfn + 3), 0u);
  EXPECT_EQ(s.sppt().walk((kGfn + 3) << 12).r.outcome, sppt::Step::Miss);
  const SppAccessResult probe = s.probe_write(((kGfn + 3) << 12) + 0x80);
  EXPECT_EQ(probe.outcome, SppOutcome::Allowed);
  EXPECT_EQ(s.sppt().walk((kGfn + 3) << 12).r.outcome, sppt::Step::Miss);  // the probe changed nothing
  const SppAccessResult r = s.access(((kGfn + 3) << 12) + 0x80, spp::Access::Write);
  EXPECT_EQ(r.outcome, SppOutcome::Allowed);
  EXPECT_EQ(r.misses, 1u);
  EXPECT_EQ(s.miss_handler_runs(), 1u);
  EXPECT_EQ(*s.sppt().get(kGfn + 3), 0x2u);
  EXPECT_EQ(*s.sppt().get(kGfn), 0x1u);
  // Without the handler, the hardware's view: an SPPT miss.
  ASSERT_EQ(s.invalidate(kGfn), 0);
  EXPECT_EQ(s.access(kGpa, spp::Access::Write, false).outcome, SppOutcome::SpptMiss);
}

TEST(SppSystem, DeferredUntilFaultIn) {
  SppSystem s(cfg());
  ASSERT_EQ(s.set_subpages(kGfn + 5, 0x0, false), 0);
  EXPECT_FALSE(s.sppt().get(kGfn + 5));
  ASSERT_EQ(s.map(kGpa, 0x200000, kHpa, rw()), 0);  // forced to 4K leaves
  std::uint64_t pte = 0;
  ASSERT_EQ(s.ept_leaf((kGfn + 5) << 12, &pte), 1u);
  EXPECT_TRUE(pte & ept::kSpp.mask());
  EXPECT_EQ(write(s, (kGfn + 5) << 12), SppOutcome::SppViolation);
  EXPECT_EQ(write(s, (kGfn + 6) << 12), SppOutcome::Allowed);
}

TEST(SppSystem, RemoveRestoresWAndFreesTheRegion) {
  SppSystem s(cfg());
  ASSERT_EQ(s.map(kGpa, 0x1000, kHpa, rw()), 0);
  ASSERT_EQ(s.set_subpages(kGfn, 0x0, false), 0);
  EXPECT_EQ(write(s, kGpa), SppOutcome::SppViolation);
  ASSERT_EQ(s.remove_subpages(kGfn), 0);
  std::uint64_t pte = 0;
  ASSERT_EQ(s.ept_leaf(kGpa, &pte), 1u);
  EXPECT_FALSE(pte & ept::kSpp.mask());
  EXPECT_TRUE(pte & ept::kW.mask());
  EXPECT_EQ(write(s, kGpa), SppOutcome::Allowed);
  EXPECT_EQ(s.sppt().mem().pages_in_use().size(), 1u);  // only the root
  EXPECT_EQ(s.remove_subpages(kGfn), kEnoent);
  // A read-only page stays read-only after remove.
  EptLeafAttrs r;
  r.xwr = 1;
  ASSERT_EQ(s.map(kGpa + 0x1000, 0x1000, kHpa + 0x1000, r), 0);
  ASSERT_EQ(s.set_subpages(kGfn + 1, 0xFFFF'FFFFu, false), 0);
  EXPECT_EQ(write(s, kGpa + 0x1000), SppOutcome::Allowed);  // SPP grants it
  ASSERT_EQ(s.remove_subpages(kGfn + 1), 0);
  EXPECT_EQ(write(s, kGpa + 0x1000), SppOutcome::EptViolation);
}

TEST(SppSystem, BadInputAndMisconfig) {
  SppSystem s(cfg());
  EXPECT_EQ(s.set_subpages(std::uint64_t{1} << 36, 1, false), kEinval);
  ASSERT_EQ(s.map(kGpa, 0x1000, kHpa, rw()), 0);
  ASSERT_EQ(s.set_subpages(kGfn, 0x1, false), 0);
  s.sppt().write_raw(kGpa, 1, 0x3);
  EXPECT_EQ(write(s, kGpa), SppOutcome::SpptMisconfig);
  EXPECT_EQ(write(s, kGpa + 0x2000), SppOutcome::EptViolation);  // nothing maps it
}

}  // namespace
}  // namespace ptspec::x86
