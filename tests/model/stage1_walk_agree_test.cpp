// The two stage-1 walks agree: s1::walk_leaf (the Domain template that
// mmu_clear_user's store is computed from, and that the solver's
// stage1-clear-user-* lemmas are proved about) finds the same descriptor --
// address, value, level -- as Stage1Mmu::translate (the hardware walk the
// TLB and the properties use), on tables built by the library ops with pages
// and blocks mixed. So "the descriptor that maps the address" in the lemmas
// is the one the hardware walk uses. Also checks, concretely, what the
// lemma proves symbolically: after clear_user(va) that descriptor differs
// only in AP[1], and EL0 loses access.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "model/arm64/stage1_mmu.hpp"
#include "model/arm64/stage1_walk.hpp"
#include "model/core/memory.hpp"

namespace ptspec::arm64::s1 {
namespace {

constexpr Concrete C{};

bool reached_leaf(const Translation& t) {
  return t.fault == Fault::None || t.fault == Fault::Permission || t.fault == Fault::AccessFlag;
}

// What the comparisons met (so the test cannot pass on empty tables).
struct Seen {
  unsigned pages = 0, blocks = 0, unmapped = 0;
};

// translate and walk_leaf on one VA.
void expect_same_leaf(const Stage1Mmu& m, std::uint64_t va, Seen& seen) {
  const Translation t = m.translate(m.root(), va, El::El1, Access::Read, false, View::Latest);
  const WalkMem wm(m.mem());
  const LeafWalk<Concrete> w = walk_leaf(C, wm, m.geo(), m.root(), va);
  ASSERT_FALSE(wm.unbacked()) << std::hex << va;
  ASSERT_EQ(w.mapped, reached_leaf(t)) << std::hex << "va " << va << ": " << t.describe();
  if (!w.mapped) {
    ++seen.unmapped;
    return;
  }
  ++(w.level == kMaxLevel ? seen.pages : seen.blocks);
  EXPECT_EQ(w.leaf_addr, t.ptep) << std::hex << va;
  EXPECT_EQ(w.leaf, t.pte) << std::hex << va;
  EXPECT_EQ(w.level, t.level) << std::hex << va;
}

struct Cfg {
  unsigned granule, va_bits;
};

class Stage1WalkAgree : public ::testing::TestWithParam<Cfg> {};

TEST_P(Stage1WalkAgree, WalkLeafFindsTheDescriptorTranslateUses) {
  const Cfg cfg = GetParam();
  Stage1Mmu m(Stage1Config::make(cfg.granule, cfg.va_bits));
  const Geometry& g = m.geo();
  std::mt19937_64 rng(cfg.granule ^ cfg.va_bits);
  // A window of VAs small enough that ops meet, large enough for 1 GiB blocks.
  const std::uint64_t window = std::min<std::uint64_t>(g.ia_limit(), std::uint64_t{1} << 33);
  std::vector<unsigned> block_levels;
  for (unsigned l = 1; l < kMaxLevel; ++l)
    if (g.level_supports_block(l) && g.block_size(l) < window) block_levels.push_back(l);
  ASSERT_EQ(m.mmu_enable(0), 0);  // clear_user does nothing with the MMU off
  std::vector<std::uint64_t> vas;
  unsigned cleared = 0;
  for (int i = 0; i < 60; ++i) {
    const unsigned kind = static_cast<unsigned>(rng() % 4);
    const std::uint64_t pa_raw = rng() % (std::uint64_t{1} << 36);
    std::uint64_t va = rng() % window;
    Prot p;
    p.user = rng() % 2;
    p.rdonly = rng() % 2;
    if (kind == 0 && !block_levels.empty()) {
      const unsigned level = block_levels[rng() % block_levels.size()];
      const std::uint64_t size = g.block_size(level);
      va &= ~(size - 1);
      m.install_block(0, va, pa_raw & ~(size - 1), level, p);
    } else if (kind == 3 && !vas.empty()) {
      va = vas[rng() % vas.size()] + (rng() % g.granule());
      cleared += m.clear_user(0, va) == 0;
    } else {
      va &= ~(g.granule() - 1);
      m.install_page(0, va, pa_raw & ~(g.granule() - 1), p);
    }
    vas.push_back(va);
  }
  Seen seen;
  for (std::uint64_t va : vas) {
    expect_same_leaf(m, va, seen);
    expect_same_leaf(m, (va + g.granule()) % window, seen);
  }
  for (int i = 0; i < 200; ++i) expect_same_leaf(m, rng() % window, seen);
  EXPECT_GT(seen.pages, 10u);
  EXPECT_GT(seen.blocks, 10u);
  EXPECT_GT(seen.unmapped, 10u);
  EXPECT_GT(cleared, 3u);
}

// Concretely what stage1-clear-user-hits-mapping-descriptor proves: on a
// page and on a block, clear_user changes the mapping descriptor in AP[1]
// only, the translation stays, and EL0 now faults on permissions.
TEST_P(Stage1WalkAgree, ClearUserChangesOnlyApOfThePageOrBlock) {
  const Cfg cfg = GetParam();
  Stage1Mmu m(Stage1Config::make(cfg.granule, cfg.va_bits));
  const Geometry& g = m.geo();
  const std::uint64_t block = g.block_size(2);
  const std::uint64_t va_block = 4 * block;  // block-aligned, inside every VA size here
  const std::uint64_t va_page = 6 * block + 3 * g.granule();
  ASSERT_EQ(m.install_block(0, va_block, 16 * block, 2), 0);
  ASSERT_EQ(m.install_page(0, va_page, 0x4000'0000), 0);
  ASSERT_EQ(m.mmu_enable(0), 0);
  for (std::uint64_t va : {va_block + 5 * g.granule() + 8, va_page + 16}) {
    const Translation before = m.translate(m.root(), va, El::El0, Access::Read, false, View::Latest);
    ASSERT_TRUE(before.ok()) << before.describe();
    ASSERT_EQ(m.clear_user(0, va), 0);
    const Translation after = m.translate(m.root(), va, El::El0, Access::Read, false, View::Latest);
    EXPECT_EQ(after.fault, Fault::Permission) << after.describe();
    EXPECT_EQ(after.ptep, before.ptep);
    EXPECT_EQ(after.level, before.level);
    EXPECT_EQ(after.pte, before.pte & ~kApUser.mask());
    EXPECT_EQ(after.pa, before.pa);
    EXPECT_TRUE(m.translate(m.root(), va, El::El1, Access::Read, false, View::Latest).ok());
  }
}

INSTANTIATE_TEST_SUITE_P(Granules, Stage1WalkAgree,
                         ::testing::Values(Cfg{4096, 48}, Cfg{4096, 39}, Cfg{16384, 47}, Cfg{65536, 42}),
                         [](const ::testing::TestParamInfo<Cfg>& i) {
                           return std::to_string(i.param.granule / 1024) + "k_" + std::to_string(i.param.va_bits);
                         });

}  // namespace
}  // namespace ptspec::arm64::s1
