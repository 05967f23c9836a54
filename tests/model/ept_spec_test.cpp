// EptSpec: runs, merging, return codes, and agreement with abstraction(EptMmu).
#include <gtest/gtest.h>

#include "model/spec/ept_spec.hpp"

namespace ptspec::spec {
namespace {

constexpr std::uint64_t kA = 0x4000'0000, kH = 0x2'0000'0000;

TEST(EptSpec, MapMergesIntoRunsAndUnmapCuts) {
  EptSpec s(x86::make_ept_config(4, 46));
  ASSERT_EQ(s.map(kA, 0x1000, kH, {}), 0);
  ASSERT_EQ(s.map(kA + 0x1000, 0x1000, kH + 0x1000, {}), 0);
  ASSERT_EQ(s.runs().size(), 1u);
  EXPECT_EQ(s.runs()[0].size, 0x2000u);
  ASSERT_EQ(s.unmap(kA, 0x1000), 0);
  ASSERT_EQ(s.runs().size(), 1u);
  EXPECT_EQ(s.runs()[0].hpa, kH + 0x1000);
  EXPECT_FALSE(s.lookup(kA));
}

TEST(EptSpec, ProtectAndSppSplitRuns) {
  EptSpec s(x86::make_ept_config(4, 46));
  ASSERT_EQ(s.map(kA, 0x200000, kH, {}), 0);
  ASSERT_EQ(s.protect(kA + 0x1000, 0x1000, 1, false), 0);
  EXPECT_EQ(s.runs().size(), 3u);
  EXPECT_EQ(s.lookup(kA + 0x1000)->attrs.xwr, 1u);
  ASSERT_EQ(s.protect(kA + 0x1000, 0x1000, 7, false), 0);
  EXPECT_EQ(s.runs().size(), 1u);
  EXPECT_EQ(s.set_spp_bit(kA + 0x5000, true), 0);
  EXPECT_TRUE(s.lookup(kA + 0x5000)->attrs.spp);
  EXPECT_EQ(s.set_spp_bit(kA + 0x400000, true), kEnoent);
}

TEST(EptSpec, SplitCollapseNeedAUniformAlignedBlock) {
  EptSpec s(x86::make_ept_config(4, 46, false, true, false));
  ASSERT_EQ(s.map(kA, 0x200000, kH, {}), 0);
  EXPECT_EQ(s.collapse(kA, 2), 0);
  EXPECT_EQ(s.collapse(kA, 3), kEinval);  // no 1G pages
  ASSERT_EQ(s.map(kA + 0x200000, 0x200000, kH + 0x201000, {}), 0);
  EXPECT_EQ(s.split(kA + 0x200000, 2), kEnoent);  // HPA not 2M aligned
  EXPECT_EQ(s.split(kA, 4), kEinval);
}

TEST(EptSpec, ReturnCodesMatchTheModelsConventions) {
  const auto cfg = x86::make_ept_config(4, 39);
  EptSpec s(cfg);
  x86::EptMmu m(cfg);
  struct Case {
    std::uint64_t gpa, size, hpa;
  };
  const Case cases[] = {{kA + 1, 0x1000, kH}, {kA, 0x1000, kH + 8}, {1ull << 39, 0x1000, kH}, {kA, 0x1000, 1ull << 39},
                        {kA, 0, kH}, {kA, 0x3000, kH}};
  for (const auto& c : cases) EXPECT_EQ(s.map(c.gpa, c.size, c.hpa, {}), m.map(c.gpa, c.size, c.hpa, {}));
  EXPECT_EQ(diff(s.runs(), abstraction(m)), "");
}

TEST(EptSpec, DiffNamesTheFirstDifference) {
  EptRun a{kA, 0x1000, kH, {}}, b{kA, 0x1000, kH + 0x1000, {}};
  EXPECT_EQ(diff({a}, {a}), "");
  EXPECT_NE(diff({a}, {b}), "");
  EXPECT_NE(diff({a}, {}), "");
}

}  // namespace
}  // namespace ptspec::spec
