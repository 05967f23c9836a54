// Concrete checks of the descriptor templates and the geometry (the solver
// proves the same templates for all inputs; these pin concrete encodings).
#include "model/arm64/stage2_desc.hpp"

#include <gtest/gtest.h>

#include "model/core/errors.hpp"

namespace ptspec::arm64 {
namespace {

constexpr Concrete C{};

TEST(Stage2Geometry, KvmStartLevelsAndConcatenation) {
  // 4K, 40 bits: 3 levels (start 1); level 1 resolves bits 39:30 -> 2 concatenated pages.
  Geometry g = make_geometry(4096, 40, -1, 48);
  EXPECT_EQ(g.start_level, 1u);
  EXPECT_EQ(g.pgd_pages, 2u);
  // 4K, 48 bits: start at level 0, one page.
  g = make_geometry(4096, 48, -1, 48);
  EXPECT_EQ(g.start_level, 0u);
  EXPECT_EQ(g.pgd_pages, 1u);
  // 16K, 40 bits: start level 2, 16 concatenated pages.
  g = make_geometry(16384, 40, -1, 48);
  EXPECT_EQ(g.start_level, 2u);
  EXPECT_EQ(g.pgd_pages, 16u);
  // 64K, 42 bits: start level 2, one page of 8192 entries.
  g = make_geometry(65536, 42, -1, 48);
  EXPECT_EQ(g.start_level, 2u);
  EXPECT_EQ(g.pgd_pages, 1u);
  EXPECT_EQ(g.entries(2), 8192u);
}

TEST(Stage2Geometry, RejectsWhatVtcrCannotExpress) {
  EXPECT_THROW(make_geometry(8192, 40, -1, 48), InputError);
  EXPECT_THROW(make_geometry(4096, 31, -1, 48), InputError);
  EXPECT_THROW(make_geometry(4096, 49, -1, 48), InputError);
  EXPECT_THROW(make_geometry(4096, 48, 2, 48), InputError);  // 2^27 entries at level 2: > 16 tables
  EXPECT_THROW(make_geometry(4096, 32, 0, 48), InputError);  // level 0 resolves no bit of a 32-bit IPA
  EXPECT_THROW(make_geometry(4096, 40, 3, 48), InputError);  // SL0 cannot start a 4K table at level 3
  EXPECT_NO_THROW(make_geometry(4096, 40, 0, 48));
}

TEST(Stage2Desc, OwnerAnnotationsAreInvalidAndCounted) {
  for (auto layout : {s2::OwnerLayout::Upstream, s2::OwnerLayout::Seed}) {
    std::uint64_t pte = s2::make_owner(C, layout, std::uint64_t{1});
    EXPECT_FALSE(s2::is_valid(C, pte));
    EXPECT_TRUE(s2::is_counted(C, pte));
    EXPECT_EQ(s2::owner_of(C, layout, pte), 1u);
  }
  EXPECT_EQ(s2::make_owner(C, s2::OwnerLayout::Seed, std::uint64_t{1}), bit(56));
  EXPECT_EQ(s2::make_owner(C, s2::OwnerLayout::Upstream, std::uint64_t{1}), bit(2));
  EXPECT_FALSE(s2::is_counted(C, s2::make_owner(C, s2::OwnerLayout::Upstream, std::uint64_t{0})));
}

TEST(Stage2Desc, LeafEncodingMatchesKvm) {
  Geometry g = make_geometry(4096, 40, -1, 48);
  s2::Prot<Concrete> rw{true, true, false, false};
  auto pa = s2::prot_to_attr(C, rw);
  ASSERT_TRUE(pa.ok);
  std::uint64_t page = s2::make_leaf(C, g, std::uint64_t{0x8000'1000}, pa.attr, 3);
  // valid|page, MemAttr 0xf, S2AP rw, SH inner, AF, XN.
  EXPECT_EQ(page, 0x8000'1000ull | 0x3 | (0xfull << 2) | (3ull << 6) | (3ull << 8) | bit(10) | bit(54));
  EXPECT_TRUE(s2::is_leaf(C, g, page, 3));
  std::uint64_t block = s2::make_leaf(C, g, std::uint64_t{0x8020'0000}, pa.attr, 2);
  EXPECT_TRUE(s2::is_leaf(C, g, block, 2));
  EXPECT_FALSE(s2::is_table(C, block, 2));
  EXPECT_FALSE(s2::is_leaf(C, g, block, 3));  // bit 1 clear at level 3: reserved
  s2::Prot<Concrete> devx{true, false, true, true};
  EXPECT_FALSE(s2::prot_to_attr(C, devx).ok);
}

TEST(Stage2Desc, NeedsUpdateIgnoresOnlyPermissions) {
  Geometry g = make_geometry(4096, 40, -1, 48);
  auto ro = s2::prot_to_attr(C, s2::Prot<Concrete>{true, false, false, false}).attr;
  auto rwx = s2::prot_to_attr(C, s2::Prot<Concrete>{true, true, true, false}).attr;
  std::uint64_t a = s2::make_leaf(C, g, std::uint64_t{0x1000}, ro, 3);
  std::uint64_t b = s2::make_leaf(C, g, std::uint64_t{0x1000}, rwx, 3);
  std::uint64_t c = s2::make_leaf(C, g, std::uint64_t{0x2000}, ro, 3);
  EXPECT_FALSE(s2::needs_update(C, a, b));
  EXPECT_TRUE(s2::needs_update(C, a, c));
  EXPECT_TRUE(s2::needs_update(C, std::uint64_t{0}, a));
}

TEST(Stage2Desc, BlockMappingSupported) {
  Geometry g = make_geometry(4096, 40, -1, 48);
  const std::uint64_t M2 = 0x20'0000;
  EXPECT_TRUE(s2::block_mapping_supported(C, g, 2, M2, 2 * M2, std::uint64_t{4 * M2}));
  EXPECT_FALSE(s2::block_mapping_supported(C, g, 2, M2, 2 * M2, std::uint64_t{4 * M2 + 0x1000}));
  // With an invalid PA (set_owner) only the IPA alignment counts (seed 003).
  EXPECT_TRUE(s2::block_mapping_supported(C, g, 2, M2, 2 * M2, s2::kPhysInvalid));
  EXPECT_FALSE(s2::block_mapping_supported(C, g, 2, M2 + 0x1000, 3 * M2, s2::kPhysInvalid));
  EXPECT_FALSE(s2::block_mapping_supported(C, g, 2, M2, 2 * M2 - 0x1000, s2::kPhysInvalid));
  EXPECT_FALSE(s2::block_mapping_supported(C, g, 0, 0, std::uint64_t{1} << 40, std::uint64_t{0}));
}

}  // namespace
}  // namespace ptspec::arm64
