// The Symbolic domain computes what Concrete computes: the same model
// templates, run on literals in both domains, agree bit for bit.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "model/arm64/stage2_desc.hpp"
#include "model/arm64/stage2_geometry.hpp"
#include "model/core/physmem.hpp"
#include "solver/arm64/stage2_lemmas.hpp"
#include "solver/symbolic.hpp"
#include "solver/symmem.hpp"

namespace ptspec {
namespace {

namespace s2 = arm64::s2;
using arm64::Geometry;

static_assert(Domain<Symbolic>);
static_assert(MemoryFor<SymMem, Symbolic>);
static_assert(MemoryFor<PhysMem, Concrete>);

std::uint64_t value_of(const z3::expr& e) {
  z3::expr v = e.simplify();
  std::uint64_t out = 0;
  EXPECT_TRUE(v.is_numeral_u64(out)) << v;
  return out;
}
bool truth_of(const z3::expr& e) {
  z3::expr v = e.simplify();
  EXPECT_TRUE(v.is_true() || v.is_false()) << v;
  return v.is_true();
}

// Values that hit the interesting bits: random words, with fields forced on
// and off, plus the extremes.
std::vector<std::uint64_t> sample_words(std::size_t n) {
  std::mt19937_64 rng(0x5eed);
  std::vector<std::uint64_t> out = {0, 1, 3, ~std::uint64_t{0}, std::uint64_t{1} << 63, 0xff00000000000000,
                                    0x00000000000003fc, 0x0780000000000000};
  while (out.size() < n) {
    std::uint64_t w = rng();
    switch (rng() % 4) {
      case 0: w &= 0xffff; break;
      case 1: w |= 1; break;
      case 2: w &= ~std::uint64_t{1}; break;
      default: break;
    }
    out.push_back(w);
  }
  return out;
}

TEST(Symbolic, LiteralsKeepAll64Bits) {
  z3::context c;
  Symbolic d(c);
  EXPECT_EQ(value_of(d.lit(0xffff'0000'0000'0001)), 0xffff'0000'0000'0001u);
  EXPECT_EQ(value_of(~d.lit(0)), ~std::uint64_t{0});
  EXPECT_TRUE(truth_of(d.blit(true)));
  EXPECT_FALSE(truth_of(d.blit(false)));
}

TEST(Symbolic, ShiftsMatchConcreteIncludingOversizedAmounts) {
  z3::context c;
  Symbolic d(c);
  Concrete k;
  for (std::uint64_t w : sample_words(32)) {
    for (unsigned n : {0u, 1u, 3u, 12u, 47u, 63u, 64u, 65u, 200u}) {
      EXPECT_EQ(value_of(d.shl(d.lit(w), n)), k.shl(w, n)) << w << " << " << n;
      EXPECT_EQ(value_of(d.lshr(d.lit(w), n)), k.lshr(w, n)) << w << " >> " << n;
      EXPECT_EQ(value_of(d.shl_var(d.lit(w), d.lit(n))), k.shl_var(w, n));
      EXPECT_EQ(value_of(d.lshr_var(d.lit(w), d.lit(n))), k.lshr_var(w, n));
    }
  }
}

TEST(Symbolic, ComparisonsAreUnsigned) {
  z3::context c;
  Symbolic d(c);
  const std::uint64_t big = std::uint64_t{1} << 63;
  EXPECT_TRUE(truth_of(d.ult(d.lit(1), d.lit(big))));  // signed would say 1 > INT64_MIN
  EXPECT_TRUE(truth_of(d.ule(d.lit(big), d.lit(big))));
  EXPECT_FALSE(truth_of(d.ult(d.lit(~std::uint64_t{0}), d.lit(0))));
  EXPECT_EQ(value_of(d.ite(d.blit(true), d.lit(5), d.lit(7))), 5u);
  EXPECT_TRUE(truth_of(d.bite(d.blit(false), d.blit(false), d.blit(true))));
}

TEST(Symbolic, FreshVariablesAreDistinct) {
  z3::context c;
  Symbolic d(c);
  z3::expr a = d.fresh("x");
  z3::expr b = d.fresh("x");
  EXPECT_FALSE(z3::eq(a, b));
  EXPECT_TRUE(z3::eq(d.var("y"), d.var("y")));
  z3::solver s(c);
  s.add(a != b);
  EXPECT_EQ(s.check(), z3::sat);
}

// The stage-2 entry templates give the same answers in both domains.
TEST(Symbolic, Stage2TemplatesAgreeWithConcrete) {
  z3::context c;
  Symbolic d(c);
  Concrete k;
  const std::vector<std::uint64_t> words = sample_words(48);
  for (unsigned granule : {4096u, 16384u, 65536u}) {
    const Geometry g = arm64::make_geometry(granule, 40, -1, 44);
    for (std::size_t i = 0; i < words.size(); ++i) {
      const std::uint64_t w = words[i];
      const std::uint64_t u = words[(i * 7 + 3) % words.size()];
      const z3::expr W = d.lit(w);
      const z3::expr U = d.lit(u);
      EXPECT_EQ(truth_of(s2::is_valid(d, W)), s2::is_valid(k, w));
      EXPECT_EQ(truth_of(s2::is_counted(d, W)), s2::is_counted(k, w));
      EXPECT_EQ(truth_of(s2::needs_update(d, W, U)), s2::needs_update(k, w, u));
      EXPECT_EQ(value_of(s2::oa_of(d, g, W)), s2::oa_of(k, g, w));
      EXPECT_EQ(value_of(s2::make_table(d, g, W)), s2::make_table(k, g, w));
      EXPECT_EQ(value_of(s2::with_sw(d, W, U)), s2::with_sw(k, w, u));
      EXPECT_EQ(value_of(s2::sw_of(d, W)), s2::sw_of(k, w));
      EXPECT_EQ(truth_of(s2::phys_is_valid(d, g, W)), s2::phys_is_valid(k, g, w));
      for (s2::OwnerLayout l : {s2::OwnerLayout::Upstream, s2::OwnerLayout::Seed}) {
        EXPECT_EQ(value_of(s2::make_owner(d, l, W)), s2::make_owner(k, l, w));
        EXPECT_EQ(value_of(s2::owner_of(d, l, W)), s2::owner_of(k, l, w));
      }
      for (unsigned level = 0; level <= 3; ++level) {
        EXPECT_EQ(truth_of(s2::is_table(d, W, level)), s2::is_table(k, w, level));
        EXPECT_EQ(truth_of(s2::is_leaf(d, g, W, level)), s2::is_leaf(k, g, w, level));
        EXPECT_EQ(value_of(s2::make_leaf(d, g, W, U, level)), s2::make_leaf(k, g, w, u, level));
        if (level >= g.start_level) {
          EXPECT_EQ(value_of(s2::table_index(d, g, W, level)), s2::table_index(k, g, w, level));
          EXPECT_EQ(value_of(s2::entry_address(d, g, U, W, level)), s2::entry_address(k, g, u, w, level));
        }
        const std::uint64_t end = w + (u & 0x7fff'ffff);
        EXPECT_EQ(truth_of(s2::block_mapping_supported(d, g, level, W, d.lit(end), U)),
                  s2::block_mapping_supported(k, g, level, w, end, u));
        EXPECT_EQ(truth_of(s2::block_mapping_supported(d, g, level, W, d.lit(end), d.lit(s2::kPhysInvalid))),
                  s2::block_mapping_supported(k, g, level, w, end, s2::kPhysInvalid));
      }
      const s2::Prot<Concrete> pk = s2::attr_to_prot(k, w);
      const s2::Prot<Symbolic> ps = s2::attr_to_prot(d, W);
      EXPECT_EQ(truth_of(ps.r), pk.r);
      EXPECT_EQ(truth_of(ps.w), pk.w);
      EXPECT_EQ(truth_of(ps.x), pk.x);
      EXPECT_EQ(truth_of(ps.device), pk.device);
    }
  }
  for (unsigned bits = 0; bits < 16; ++bits) {
    s2::Prot<Concrete> pk{(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0};
    s2::Prot<Symbolic> ps{d.blit(pk.r), d.blit(pk.w), d.blit(pk.x), d.blit(pk.device)};
    EXPECT_EQ(value_of(s2::prot_to_attr(d, ps).attr), s2::prot_to_attr(k, pk).attr);
    EXPECT_EQ(truth_of(s2::prot_to_attr(d, ps).ok), s2::prot_to_attr(k, pk).ok);
  }
}

TEST(SymMem, LoadReturnsTheLastStoreAtThatAddress) {
  z3::context c;
  Symbolic d(c);
  SymMem m(c, "m");
  z3::expr a = d.var("a"), b = d.var("b"), v = d.var("v");
  SymMem m2 = m.store(a, v);
  z3::solver s(c);
  s.add(!(m2.load(d, a) == v && z3::implies(a != b, m2.load(d, b) == m.load(d, b))));
  EXPECT_EQ(s.check(), z3::unsat);
  // mem_load takes either memory through one call.
  EXPECT_TRUE(z3::eq(mem_load(d, m, a), m.load(a)));
}

// The walk step template reads the same word from PhysMem (Concrete) as from
// a SymMem holding the same contents (Symbolic).
TEST(SymMem, WalkStepReadsTheSameEntryInBothDomains) {
  for (unsigned granule : {4096u, 16384u, 65536u}) {
    const Geometry g = arm64::make_geometry(granule, 40, -1, 48);
    PhysMem pm(g.granule_shift);
    const std::uint64_t table = pm.alloc_contiguous(g.pgd_pages, Zone::High);
    z3::context c;
    Symbolic d(c);
    SymMem sm(c, "m");
    const std::uint64_t entries = g.entries(g.start_level);
    for (std::uint64_t i = 0; i < entries; i += entries / 8 + 1) {
      pm.store(table + i * 8, 0x1000 * i + 3);
      sm = sm.store(d.lit(table + i * 8), d.lit(0x1000 * i + 3));
    }
    for (std::uint64_t i = 0; i < entries; i += entries / 8 + 1) {
      const std::uint64_t ipa = i << g.level_shift(g.start_level) | 0x123;
      const std::uint64_t want = 0x1000 * i + 3;
      EXPECT_EQ(solver::stage2::walk_step_read(Concrete{}, pm, g, table, ipa, g.start_level), want);
      EXPECT_EQ(value_of(solver::stage2::walk_step_read(d, sm, g, d.lit(table), d.lit(ipa), g.start_level)), want);
    }
  }
}

}  // namespace
}  // namespace ptspec
