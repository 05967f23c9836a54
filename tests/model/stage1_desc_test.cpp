// Concrete checks of the shared VMSAv8-64 descriptor machinery (vmsa_desc.hpp)
// and the stage-1 fields (stage1_desc.hpp): bit positions from the Arm ARM
// (D8.3.1, D8.3.2), classification per level and granule, encode/decode
// round trips, and mmu_clear_user's entry update. The solver proves the same
// templates for all inputs (solver/arm64/stage1_lemmas*).
#include "model/arm64/stage1_desc.hpp"

#include <gtest/gtest.h>

#include <random>

namespace ptspec::arm64 {
namespace {

constexpr Concrete C{};

Geometry geo(unsigned granule) { return make_geometry(granule, 48, -1, 48); }

TEST(VmsaDesc, ClassificationPerLevelAndGranule) {
  const Geometry g4 = geo(4096), g16 = geo(16384), g64 = geo(65536);
  // bits 1:0 = 11: table at levels 0-2, page at level 3.
  for (unsigned l = 0; l < 3; ++l) EXPECT_EQ(vmsa::classify(g4, 0x3, l), vmsa::DescKind::Table) << l;
  EXPECT_EQ(vmsa::classify(g4, 0x3, 3), vmsa::DescKind::Page);
  // bits 1:0 = 01: block at 4K levels 1 and 2, reserved at 0 and 3.
  EXPECT_EQ(vmsa::classify(g4, 0x1, 0), vmsa::DescKind::Reserved);
  EXPECT_EQ(vmsa::classify(g4, 0x1, 1), vmsa::DescKind::Block);
  EXPECT_EQ(vmsa::classify(g4, 0x1, 2), vmsa::DescKind::Block);
  EXPECT_EQ(vmsa::classify(g4, 0x1, 3), vmsa::DescKind::Reserved);
  // 16K / 64K: blocks only at level 2 (no level-1 blocks without FEAT_LPA2).
  for (const Geometry* g : {&g16, &g64}) {
    EXPECT_EQ(vmsa::classify(*g, 0x1, 1), vmsa::DescKind::Reserved);
    EXPECT_EQ(vmsa::classify(*g, 0x1, 2), vmsa::DescKind::Block);
  }
  // bit 0 clear: invalid whatever else is set.
  EXPECT_EQ(vmsa::classify(g4, ~std::uint64_t{1}, 2), vmsa::DescKind::Invalid);
  // The Domain predicates agree with the classification.
  EXPECT_TRUE(vmsa::is_leaf(C, g4, 0x1, 1));
  EXPECT_FALSE(vmsa::is_leaf(C, g16, 0x1, 1));
  EXPECT_TRUE(vmsa::is_leaf(C, g4, 0x3, 3));
  EXPECT_FALSE(vmsa::is_leaf(C, g4, 0x3, 2));
}

TEST(VmsaDesc, OutputAddressFieldPerGranule) {
  EXPECT_EQ(vmsa::oa_field(12).mask(), genmask(47, 12));
  EXPECT_EQ(vmsa::oa_field(14).mask(), genmask(47, 14));
  EXPECT_EQ(vmsa::oa_field(16).mask(), genmask(47, 16));
  const Geometry g4 = geo(4096);
  // 2 MiB block at level 2: the low 21 bits of the output come from the VA.
  const std::uint64_t blk = vmsa::make_leaf(C, g4, std::uint64_t{0x4020'0000}, std::uint64_t{0}, 0, 2);
  EXPECT_EQ(blk, 0x4020'0001u);
  EXPECT_EQ(vmsa::leaf_output(C, g4, blk, std::uint64_t{0x1234'5678}, 2), 0x4034'5678u);
  const std::uint64_t tbl = vmsa::make_table(C, g4, std::uint64_t{0x8000'1fff}, std::uint64_t{0}, 0);
  EXPECT_EQ(tbl, 0x8000'1003u);
  EXPECT_EQ(vmsa::oa_of(C, g4, tbl), 0x8000'1000u);
}

TEST(VmsaDesc, WalkStepReadsTheIndexedEntry) {
  const Geometry g4 = geo(4096);
  // Level 0 indexes VA bits 47:39, level 3 bits 20:12.
  EXPECT_EQ(vmsa::entry_address(C, g4, std::uint64_t{0x10000}, std::uint64_t{0x0000'8080'0000'0000}, 0),
            0x10000u + 0x101 * 8);
  EXPECT_EQ(vmsa::entry_address(C, g4, std::uint64_t{0x10000}, std::uint64_t{0x3000}, 3), 0x10000u + 3 * 8);
}

TEST(Stage1Desc, FieldPositionsFromTheArmArm) {
  EXPECT_EQ(s1::kAttrIndx.mask(), genmask(4, 2));
  EXPECT_EQ(s1::kNs.mask(), bit(5));
  EXPECT_EQ(s1::kAp.mask(), genmask(7, 6));
  EXPECT_EQ(s1::kApUser.mask(), bit(6));
  EXPECT_EQ(s1::kApRdonly.mask(), bit(7));
  EXPECT_EQ(s1::kSh.mask(), genmask(9, 8));
  EXPECT_EQ(s1::kAf.mask(), bit(10));
  EXPECT_EQ(s1::kNg.mask(), bit(11));
  EXPECT_EQ(s1::kContiguous.mask(), bit(52));
  EXPECT_EQ(s1::kPxn.mask(), bit(53));
  EXPECT_EQ(s1::kUxn.mask(), bit(54));
  EXPECT_EQ(s1::kPxnTable.mask(), bit(59));
  EXPECT_EQ(s1::kUxnTable.mask(), bit(60));
  EXPECT_EQ(s1::kApTable.mask(), genmask(62, 61));
  EXPECT_EQ(s1::kNsTable.mask(), bit(63));
  // Leaf and table attributes never overlap the OA field or bits 1:0.
  EXPECT_EQ(s1::kLeafAttrMask & (genmask(47, 12) | 3), 0u);
  EXPECT_EQ(s1::kTableAttrMask & (genmask(47, 12) | 3), 0u);
}

TEST(Stage1Desc, LeafEncodeDecodeRoundTrip) {
  std::mt19937_64 rng(1);
  const Geometry g4 = geo(4096);
  for (int i = 0; i < 2000; ++i) {
    const std::uint64_t pte = rng();
    // decode -> encode keeps exactly the attribute bits.
    EXPECT_EQ(s1::encode_leaf_fields(C, s1::decode_leaf_fields(C, pte)), pte & s1::kLeafAttrMask);
    EXPECT_EQ(s1::encode_table_fields(C, s1::decode_table_fields(C, pte)), pte & s1::kTableAttrMask);
    // make_leaf -> decode gives back the fields and the OA.
    const auto f = s1::decode_leaf_fields(C, pte);
    const std::uint64_t pa = rng() & genmask(47, 12);
    const std::uint64_t page = s1::make_leaf(C, g4, pa, f, 3);
    EXPECT_EQ(s1::classify(g4, page, 3), vmsa::DescKind::Page);
    EXPECT_EQ(s1::oa_of(C, g4, page), pa);
    EXPECT_EQ(s1::encode_leaf_fields(C, s1::decode_leaf_fields(C, page)), pte & s1::kLeafAttrMask);
  }
}

TEST(Stage1Desc, KvmUnitTestsProtBits) {
  const Geometry g4 = geo(4096);
  auto f = s1::no_leaf_fields();
  f.attr_indx = s1::kMtNormal;
  f.ap = 1;  // AP[2:1] = 01: EL0 and EL1 read/write (PTE_USER)
  f.sh = s1::kShInner;
  f.af = true;
  const std::uint64_t pte = s1::make_leaf(C, g4, std::uint64_t{0x4000'0000}, f, 3);
  EXPECT_EQ(pte, 0x4000'0000u | 0x3 | (4u << 2) | bit(6) | (3u << 8) | bit(10));
  EXPECT_TRUE(s1::is_user(C, pte));
  const std::uint64_t cleared = s1::clear_user(C, pte);
  EXPECT_FALSE(s1::is_user(C, cleared));
  EXPECT_EQ(cleared ^ pte, bit(6));  // only AP[1] changed
  // Table attributes: APTable = 01 (no EL0), UXNTable.
  s1::TableFields<Concrete> t{1, false, true, false};
  EXPECT_EQ(s1::make_table(C, g4, std::uint64_t{0x5000}, t), 0x5003u | bit(61) | bit(60));
}

}  // namespace
}  // namespace ptspec::arm64
