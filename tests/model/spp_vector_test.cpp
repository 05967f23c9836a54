// x86.sppt model: the SPP vector formatters (reference loop, portable spread,
// BMI2 pdep), the inverse, the SPPT entries and walk, and the combined check.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>

#include "model/core/physmem.hpp"
#include "model/x86/spp_check.hpp"
#include "model/x86/spp_vector.hpp"
#include "model/x86/sppt_entry.hpp"

namespace ptspec::x86 {
namespace {

using spp::format_spp_vector_portable;
using spp::format_spp_vector_reference;

TEST(SppVector, PinnedValues) {
  EXPECT_EQ(format_spp_vector_reference(0), 0u);
  EXPECT_EQ(format_spp_vector_reference(1), 1u);
  EXPECT_EQ(format_spp_vector_reference(2), 4u);
  EXPECT_EQ(format_spp_vector_reference(3), 5u);
  EXPECT_EQ(format_spp_vector_reference(0x8000'0000u), std::uint64_t{1} << 62);
  EXPECT_EQ(format_spp_vector_reference(0xFFFF'FFFFu), 0x5555'5555'5555'5555u);
  EXPECT_EQ(format_spp_vector_reference(0xFFFF'0000u), 0x5555'5555'0000'0000u);
  EXPECT_EQ(format_spp_vector_reference(0x0000'FFFFu), 0x0000'0000'5555'5555u);
  EXPECT_EQ(format_spp_vector_reference(0xA5A5'A5A5u), 0x4411'4411'4411'4411u);
  for (std::uint32_t b : {0u, 1u, 2u, 3u, 0x8000'0000u, 0xFFFF'FFFFu, 0xA5A5'A5A5u, 0x1234'5678u}) {
    EXPECT_EQ(format_spp_vector_portable(b), format_spp_vector_reference(b)) << std::hex << b;
    EXPECT_EQ(spp::format_spp_vector(b), format_spp_vector_reference(b)) << std::hex << b;
  }
}

TEST(SppVector, ReferenceIgnoresBitsAbove31) {
  EXPECT_EQ(spp::format_vector_reference(Concrete{}, std::uint64_t{0xFFFF'FFFF'0000'0001}), 1u);
  EXPECT_EQ(spp::format_vector_spread(Concrete{}, std::uint64_t{0xFFFF'FFFF'0000'0001}), 1u);
}

TEST(SppVector, EverySingleBit) {
  for (unsigned i = 0; i < 32; ++i) {
    const std::uint32_t b = std::uint32_t{1} << i;
    const std::uint64_t want = std::uint64_t{1} << (2 * i);
    EXPECT_EQ(format_spp_vector_reference(b), want) << i;
    EXPECT_EQ(format_spp_vector_portable(b), want) << i;
    EXPECT_EQ(spp::format_spp_vector(b), want) << i;
    EXPECT_EQ(spp::spp_vector_bitmap(want), b) << i;
#if PTSPEC_SPP_HAVE_PDEP
    if (spp::cpu_has_bmi2()) {
      EXPECT_EQ(spp::format_spp_vector_pdep(b), want) << i;
    }
#endif
  }
}

TEST(SppVector, PortableEqualsReferenceOnSamples) {
  std::mt19937 rng(20261121);
  for (int n = 0; n < 2'000'000; ++n) {
    const std::uint32_t b = rng();
    const std::uint64_t v = format_spp_vector_portable(b);
    ASSERT_EQ(v, format_spp_vector_reference(b)) << std::hex << b;
    ASSERT_EQ(spp::spp_vector_bitmap(v), b) << std::hex << b;
    ASSERT_EQ(v & spp::kOddBits, 0u);
  }
}

TEST(SppVector, PdepEqualsPortableOnSamples) {
#if PTSPEC_SPP_HAVE_PDEP
  if (!spp::cpu_has_bmi2()) GTEST_SKIP() << "this CPU has no BMI2: the pdep path is not exercised";
  std::mt19937 rng(7);
  for (int n = 0; n < 4'000'000; ++n) {
    const std::uint32_t b = rng();
    ASSERT_EQ(spp::format_spp_vector_pdep(b), format_spp_vector_portable(b)) << std::hex << b;
  }
#else
  GTEST_SKIP() << "not an x86 build: no pdep path";
#endif
}

TEST(SppVector, InverseDropsOddBitsAndSubpageLookup) {
  EXPECT_EQ(spp::spp_vector_bitmap(0xFFFF'FFFF'FFFF'FFFFu), 0xFFFF'FFFFu);
  EXPECT_EQ(spp::spp_vector_bitmap(0xAAAA'AAAA'AAAA'AAAAu), 0u);
  EXPECT_TRUE(spp::has_odd_bit(Concrete{}, std::uint64_t{2}));
  EXPECT_FALSE(spp::has_odd_bit(Concrete{}, std::uint64_t{0x5555'5555'5555'5555}));
  const Concrete d;
  const std::uint64_t v = format_spp_vector_reference(0x8000'0001u);
  EXPECT_TRUE(spp::subpage_writable(d, v, spp::subpage_index(d, std::uint64_t{0x1000})));
  EXPECT_FALSE(spp::subpage_writable(d, v, spp::subpage_index(d, std::uint64_t{0x1080})));
  EXPECT_TRUE(spp::subpage_writable(d, v, spp::subpage_index(d, std::uint64_t{0x1F80})));
  EXPECT_EQ(spp::subpage_index(d, std::uint64_t{0x1F80}), 31u);
}

TEST(SpptEntry, NonLeafLayout) {
  const Concrete d;
  EXPECT_EQ(sppt::make_nonleaf(d, 46, std::uint64_t{0x1234'5000}), 0x1234'5001u);
  EXPECT_EQ(sppt::make_nonleaf(d, 36, std::uint64_t{0xF'FFFF'F000}), 0xF'FFFF'F001u);
  EXPECT_EQ(sppt::make_nonleaf(d, 36, std::uint64_t{0x10'0000'0000}), 1u);  // above MAXPHYADDR dropped
  EXPECT_TRUE(sppt::nonleaf_reserved(d, 46, std::uint64_t{0x1001 | (std::uint64_t{1} << 46)}));
  EXPECT_TRUE(sppt::nonleaf_reserved(d, 52, std::uint64_t{0x1003}));
  EXPECT_FALSE(sppt::nonleaf_reserved(d, 52, std::uint64_t{0x000F'FFFF'FFFF'F001}));
  EXPECT_EQ(sppt::invalidate(d, std::uint64_t{0x5001}), 0x5000u);
  EXPECT_EQ(sppt::index_field(4).hi, 47u);
  EXPECT_EQ(sppt::index_field(4).lo, 39u);
  EXPECT_EQ(sppt::index_field(1).hi, 20u);
  EXPECT_EQ(sppt::index_field(1).lo, 12u);
}

TEST(SpptEntry, WalkOutcomes) {
  PhysMem mem(12);
  const unsigned n = 46;
  const std::uint64_t l4 = mem.alloc_contiguous(1, Zone::Low), l3 = mem.alloc_contiguous(1, Zone::Low),
                      l2 = mem.alloc_contiguous(1, Zone::Low), l1 = mem.alloc_contiguous(1, Zone::Low);
  const std::uint64_t gpa = (std::uint64_t{3} << 39) | (std::uint64_t{5} << 30) | (std::uint64_t{7} << 21) |
                            (std::uint64_t{9} << 12) | 0x180;
  const Concrete d;
  mem.store(l4 + 3 * 8, sppt::make_nonleaf(d, n, l3));
  mem.store(l3 + 5 * 8, sppt::make_nonleaf(d, n, l2));
  mem.store(l2 + 7 * 8, sppt::make_nonleaf(d, n, l1));
  mem.store(l1 + 9 * 8, spp::format_spp_vector(0x0000'0008u));
  WalkMem wm(mem);
  sppt::WalkResult r = sppt::walk(wm, n, l4, gpa);
  ASSERT_EQ(r.outcome, sppt::Step::Next);
  EXPECT_EQ(r.vector, 0x40u);
  EXPECT_TRUE(spp::subpage_writable(d, r.vector, spp::subpage_index(d, gpa)));  // sub-page 3

  // The lazy mode: an invalidated L2E misses at level 2.
  mem.store(l2 + 7 * 8, sppt::invalidate(d, sppt::make_nonleaf(d, n, l1)));
  r = sppt::walk(wm, n, l4, gpa);
  EXPECT_EQ(r.outcome, sppt::Step::Miss);
  EXPECT_EQ(r.level, 2u);
  // A reserved bit in the L3E: misconfiguration at level 3.
  mem.store(l2 + 7 * 8, sppt::make_nonleaf(d, n, l1));
  mem.store(l3 + 5 * 8, sppt::make_nonleaf(d, n, l2) | 0x2);
  r = sppt::walk(wm, n, l4, gpa);
  EXPECT_EQ(r.outcome, sppt::Step::Misconfig);
  EXPECT_EQ(r.level, 3u);
  // An odd bit in the leaf vector: misconfiguration at level 1.
  mem.store(l3 + 5 * 8, sppt::make_nonleaf(d, n, l2));
  mem.store(l1 + 9 * 8, 0x2u);
  r = sppt::walk(wm, n, l4, gpa);
  EXPECT_EQ(r.outcome, sppt::Step::Misconfig);
  EXPECT_EQ(r.level, 1u);
  EXPECT_FALSE(wm.unbacked());
}

TEST(SppCheck, Verdicts) {
  using spp::Access;
  using spp::Verdict;
  const std::uint64_t v = spp::format_spp_vector(0x0000'0001u);  // only sub-page 0 writable
  const spp::EptLeaf<Concrete> spp4k{true, true, false, true, true};
  EXPECT_EQ(spp::check_access(spp4k, Access::Write, v, 0x1000), Verdict::Allowed);
  EXPECT_EQ(spp::check_access(spp4k, Access::Write, v, 0x1080), Verdict::SppViolation);
  EXPECT_EQ(spp::check_access(spp4k, Access::Read, 0, 0x1080), Verdict::Allowed);
  EXPECT_EQ(spp::check_access(spp4k, Access::Execute, 0, 0x1080), Verdict::Allowed);
  const spp::EptLeaf<Concrete> large{false, true, false, true, true};  // SPP on a 2M leaf is ignored
  EXPECT_EQ(spp::check_access(large, Access::Write, v, 0x1000), Verdict::EptViolation);
  const spp::EptLeaf<Concrete> writable{true, true, true, true, true};  // W = 1 ignores SPP
  EXPECT_EQ(spp::check_access(writable, Access::Write, 0, 0x1080), Verdict::Allowed);
  const spp::EptLeaf<Concrete> no_spp{true, true, false, false, false};
  EXPECT_EQ(spp::check_access(no_spp, Access::Write, v, 0x1000), Verdict::EptViolation);
  EXPECT_EQ(spp::check_access(no_spp, Access::Execute, v, 0x1000), Verdict::EptViolation);
}

}  // namespace
}  // namespace ptspec::x86
