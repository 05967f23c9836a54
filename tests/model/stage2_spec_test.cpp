// Differential test: random operations on the model and the abstract spec
// must agree (return codes and abstraction), with refcounts = 1 + counted.
// The RapidCheck campaign (properties/) does this with shrinking and every
// invariant; this pins the model/spec agreement at the model layer.
#include "model/spec/stage2_spec.hpp"

#include <gtest/gtest.h>

#include <random>

#include "model/arm64/stage2_desc.hpp"

namespace ptspec::spec {
namespace {

using arm64::Prot;

void check_refcounts(const arm64::Stage2& s) {
  const auto& g = s.geo();
  s.for_each_table([&](const arm64::TablePage& t) {
    std::uint64_t pages = t.pa == s.pgd() ? g.pgd_pages : 1;
    std::uint64_t per_page = std::min<std::uint64_t>(g.entries(t.level), g.entries_per_page());
    for (std::uint64_t p = 0; p < pages; ++p) {
      std::uint64_t base = t.pa + p * g.granule();
      std::uint32_t counted = 0;
      for (std::uint64_t i = 0; i < per_page; ++i) counted += s.mem().load(base + i * 8) != 0;
      ASSERT_EQ(s.mem().page_count(base), counted + 1) << "table page " << std::hex << base;
    }
  });
}

struct Differential : ::testing::TestWithParam<unsigned> {};

TEST_P(Differential, ModelRefinesSpec) {
  const unsigned granules[] = {4096, 16384, 65536};
  const unsigned ias[] = {40, 40, 42};
  for (unsigned gi = 0; gi < 3; ++gi) {
    std::mt19937_64 rng(GetParam() * 7919 + gi);
    auto cfg = arm64::Stage2Config::make(granules[gi], ias[gi]);
    arm64::Stage2 model(cfg);
    Stage2Spec spec(cfg);
    const auto& g = cfg.geo;
    const std::uint64_t blk = g.block_size(2), pg = g.granule();
    const std::uint64_t base = 4 * blk;
    auto addr = [&] { return base + (rng() % 4) * blk + (rng() % 3 == 0 ? (rng() % 8) * pg : 0); };
    auto size = [&] { return rng() % 3 == 0 ? blk : (1 + rng() % 4) * pg; };
    auto phys = [&] { return (rng() % 2 ? 0x1000 * blk : 0x1000 * blk + pg); };
    for (int step = 0; step < 60; ++step) {
      int a = 0, b = 0;
      std::string what;
      switch (rng() % 7) {
        case 0: case 1: {
          std::uint64_t ad = addr(), sz = size(), ph = phys();
          Prot p{true, rng() % 2 == 0, false, false};
          a = model.map(ad, sz, ph, p);
          b = spec.map(ad, sz, ph, p);
          what = "map";
          break;
        }
        case 2: {
          std::uint64_t ad = addr(), sz = size();
          unsigned o = rng() % 3;
          a = model.set_owner(ad, sz, o);
          b = spec.set_owner(ad, sz, o);
          what = "set_owner";
          break;
        }
        case 3: {
          std::uint64_t ad = addr(), sz = size();
          a = model.unmap(ad, sz);
          b = spec.unmap(ad, sz);
          what = "unmap";
          break;
        }
        case 4: {
          std::uint64_t ad = addr(), sz = size();
          a = model.wrprotect(ad, sz);
          b = spec.wrprotect(ad, sz);
          what = "wrprotect";
          break;
        }
        case 5: {
          std::uint64_t ad = addr();
          Prot p{false, true, rng() % 2 == 0, false};
          a = model.relax_perms(ad, p);
          b = spec.relax_perms(ad, p);
          what = "relax";
          break;
        }
        case 6: {
          std::uint64_t ad = addr();
          a = rng() % 2 ? model.mkold(ad) : (b = 1, model.mkyoung(ad));
          b = b == 1 ? spec.mkyoung(ad) : spec.mkold(ad);
          what = "af";
          break;
        }
      }
      ASSERT_EQ(a, b) << what << " step " << step << " granule " << granules[gi];
      std::string d = diff(spec.run_list(), abstraction(model));
      ASSERT_EQ(d, "") << what << " step " << step << " granule " << granules[gi];
      check_refcounts(model);
    }
    ASSERT_EQ(model.free(), 0);
    EXPECT_TRUE(model.mem().pages_in_use().empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, Differential, ::testing::Range(1u, 9u));

}  // namespace
}  // namespace ptspec::spec
