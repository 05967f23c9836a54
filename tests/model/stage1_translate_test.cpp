// arm64.stage1: configuration (start level from T0SZ, clear errors) and the
// hardware walk -- every fault kind at its level, table attributes, MMU off.
#include <gtest/gtest.h>

#include "model/arm64/stage1_decode.hpp"
#include "model/arm64/stage1_mmu.hpp"

namespace ptspec::arm64::s1 {
namespace {

constexpr std::uint64_t kVa = 0x4000'0000;
constexpr std::uint64_t kPa = 0x8000'0000;

TEST(Stage1Config, StartLevelFromT0sz) {
  EXPECT_EQ(Stage1Config::make(4096, 48).geo.start_level, 0u);
  EXPECT_EQ(Stage1Config::make(4096, 39).geo.start_level, 1u);
  EXPECT_EQ(Stage1Config::make(4096, 40).geo.start_level, 0u);
  EXPECT_EQ(Stage1Config::make(4096, 30).geo.start_level, 2u);
  EXPECT_EQ(Stage1Config::make(16384, 48).geo.start_level, 0u);  // level 0 resolves one bit
  EXPECT_EQ(Stage1Config::make(16384, 47).geo.start_level, 1u);
  EXPECT_EQ(Stage1Config::make(16384, 25).geo.start_level, 3u);
  EXPECT_EQ(Stage1Config::make(65536, 48).geo.start_level, 1u);
  EXPECT_EQ(Stage1Config::make(65536, 42).geo.start_level, 2u);
  EXPECT_EQ(Stage1Config::make(65536, 25).geo.start_level, 3u);
  const Geometry g = Stage1Config::make(16384, 48).geo;
  EXPECT_EQ(g.entries(0), 2u);
  EXPECT_EQ(g.pgd_pages, 1u);
}

TEST(Stage1Config, ErrorsNameTheField) {
  auto msg = [](auto fn) {
    try {
      fn();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg([] { Stage1Config::make(8192, 48); }).find("config.granule"), std::string::npos);
  EXPECT_NE(msg([] { Stage1Config::make(4096, 24); }).find("config.va_bits"), std::string::npos);
  EXPECT_NE(msg([] { Stage1Config::make(4096, 49); }).find("config.va_bits"), std::string::npos);
  EXPECT_NE(msg([] { Stage1Config::make(4096, 48, 38); }).find("config.pa_bits"), std::string::npos);
  EXPECT_NE(msg([] { Stage1Config::make(4096, 48, 48, 0); }).find("config.cpus"), std::string::npos);
  EXPECT_NE(msg([] { Stage1Config::make(4096, 48, 48, 9); }).find("config.cpus"), std::string::npos);
  EXPECT_EQ(stage1_variant_from_name("nope"), std::nullopt);
  for (const auto& v : stage1_variants()) {
    EXPECT_EQ(stage1_variant_from_name(v.name), v.variant);
    EXPECT_FALSE(v.source.empty());
  }
}

struct Walk : ::testing::Test {
  Stage1Mmu m{Stage1Config::make(4096, 48, 40)};
  Translation tr(std::uint64_t va, El el = El::El1, Access a = Access::Read) {
    return m.translate(m.root(), va, el, a, false, View::Latest);
  }
  // The entry address of va's leaf at `level` (tables must exist).
  std::uint64_t ptep(std::uint64_t va, unsigned level) {
    std::uint64_t table = m.root();
    for (unsigned l = m.geo().start_level; l < level; ++l) table = oa_of(Concrete{}, m.geo(), tr_entry(table, va, l));
    return entry_address(Concrete{}, m.geo(), table, va, level);
  }
  std::uint64_t tr_entry(std::uint64_t table, std::uint64_t va, unsigned l) {
    return m.read_entry(entry_address(Concrete{}, m.geo(), table, va, l), View::Latest);
  }
};

TEST_F(Walk, UnmappedIsATranslationFaultAtTheStartLevel) {
  Translation t = tr(kVa);
  EXPECT_EQ(t.fault, Fault::Translation);
  EXPECT_EQ(t.level, 0u);
  // Beyond T0SZ: translation fault at level 0 without a read.
  t = tr(std::uint64_t{1} << 48);
  EXPECT_EQ(t.fault, Fault::Translation);
  EXPECT_EQ(t.depth, 0u);
}

TEST_F(Walk, PageTranslatesWithItsPermissions) {
  ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
  Translation t = tr(kVa + 0x123, El::El0, Access::Write);
  ASSERT_TRUE(t.ok()) << t.describe();
  EXPECT_EQ(t.level, 3u);
  EXPECT_EQ(t.pa, kPa + 0x123);
  EXPECT_EQ(t.depth, 4u);
  // EL0-writable memory is never EL1-executable (stage1_perms).
  EXPECT_EQ(tr(kVa, El::El1, Access::Fetch).fault, Fault::Permission);
  // A kernel page: EL0 read is a permission fault at level 3.
  ASSERT_EQ(m.install_page(0, kVa + 0x1000, kPa, Prot{false}), 0);
  t = tr(kVa + 0x1000, El::El0, Access::Read);
  EXPECT_EQ(t.fault, Fault::Permission);
  EXPECT_EQ(t.level, 3u);
  EXPECT_TRUE(tr(kVa + 0x1000, El::El1, Access::Write).ok());
}

TEST_F(Walk, BlockPermissionFaultAtItsLevel) {
  ASSERT_EQ(m.install_block(0, kVa, kPa, 2, Prot{true, true}), 0);
  Translation t = tr(kVa + 0x1f'f000, El::El0, Access::Write);
  EXPECT_EQ(t.fault, Fault::Permission);
  EXPECT_EQ(t.level, 2u);
  EXPECT_EQ(t.pa, kPa + 0x1f'f000);
  EXPECT_TRUE(tr(kVa + 0x1f'f000, El::El0, Access::Read).ok());
  // 1 GiB block at level 1 with a 4K granule.
  ASSERT_EQ(m.install_block(0, 0x80'0000'0000, 0x40'0000'0000 - 0x4000'0000, 1), 0);
  t = tr(0x80'0000'0000 + 0x1234);
  ASSERT_TRUE(t.ok()) << t.describe();
  EXPECT_EQ(t.level, 1u);
}

TEST_F(Walk, AccessFlagFaultAtLevel3) {
  ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
  const std::uint64_t p = ptep(kVa, 3);
  m.write_raw(0, p, m.read_entry(p, View::Latest) & ~kAf.mask());
  Translation t = tr(kVa);
  EXPECT_EQ(t.fault, Fault::AccessFlag);
  EXPECT_EQ(t.level, 3u);
}

TEST_F(Walk, ReservedEncodingsAreTranslationFaults) {
  ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
  const std::uint64_t p3 = ptep(kVa, 3);
  m.write_raw(0, p3, m.read_entry(p3, View::Latest) & ~kType.mask());  // L3 with bit 1 clear
  Translation t = tr(kVa);
  EXPECT_EQ(t.fault, Fault::Translation);
  EXPECT_EQ(t.level, 3u);
  // A block descriptor at level 0 (no level-0 blocks).
  const std::uint64_t p0 = ptep(kVa, 0);
  m.write_raw(0, p0, 0x1 | kAf.mask());
  t = tr(kVa);
  EXPECT_EQ(t.fault, Fault::Translation);
  EXPECT_EQ(t.level, 0u);
}

TEST_F(Walk, AddressSizeFaults) {
  ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
  // pa_bits = 40: an output address at 2^40 is beyond TCR_EL1.IPS.
  const std::uint64_t p3 = ptep(kVa, 3);
  m.write_raw(0, p3, (m.read_entry(p3, View::Latest) & ~genmask(47, 12)) | (std::uint64_t{1} << 40));
  Translation t = tr(kVa);
  EXPECT_EQ(t.fault, Fault::AddressSize);
  EXPECT_EQ(t.level, 3u);
  // A table address beyond it: fault at the level of the table descriptor.
  const std::uint64_t p1 = ptep(kVa, 1);
  m.write_raw(0, p1, (std::uint64_t{1} << 41) | 3);
  t = tr(kVa);
  EXPECT_EQ(t.fault, Fault::AddressSize);
  EXPECT_EQ(t.level, 1u);
}

TEST_F(Walk, TableAttributesRestrictTheSubtree) {
  ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
  const std::uint64_t p2 = ptep(kVa, 2);
  const std::uint64_t tbl = m.read_entry(p2, View::Latest);
  m.write_raw(0, p2, tbl | bit(61));  // APTable[0]: no EL0 access
  EXPECT_EQ(tr(kVa, El::El0, Access::Read).fault, Fault::Permission);
  EXPECT_TRUE(tr(kVa, El::El1, Access::Write).ok());
  m.write_raw(0, p2, tbl | bit(62));  // APTable[1]: no write
  EXPECT_EQ(tr(kVa, El::El1, Access::Write).fault, Fault::Permission);
  EXPECT_TRUE(tr(kVa, El::El0, Access::Read).ok());
  m.write_raw(0, p2, tbl | kUxnTable.mask());
  EXPECT_EQ(tr(kVa, El::El0, Access::Fetch).fault, Fault::Permission);
}

TEST_F(Walk, PendingStoresAreInvisibleToWalks) {
  ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
  const std::uint64_t p3 = ptep(kVa, 3);
  const std::uint64_t old = m.read_entry(p3, View::Latest);
  m.write_raw(1, p3, 0);  // no DSB yet
  ASSERT_EQ(m.pending_stores().size(), 1u);
  EXPECT_EQ(m.read_entry(p3, View::Walker), old);
  EXPECT_TRUE(m.translate(m.root(), kVa, El::El1, Access::Read, false, View::Walker).ok());
  EXPECT_EQ(m.translate(m.root(), kVa, El::El1, Access::Read, false, View::Latest).fault, Fault::Translation);
  // A DSB by another CPU does not complete CPU1's store; CPU1's does.
  m.flush_tlb_all(0);
  EXPECT_EQ(m.pending_stores().size(), 1u);
  m.flush_tlb_all(1);
  EXPECT_TRUE(m.pending_stores().empty());
  EXPECT_EQ(m.read_entry(p3, View::Walker), 0u);
}

TEST_F(Walk, MmuOffIsFlatAndUncached) {
  Translation t = m.access(0, 0x1234'5678, El::El0, Access::Fetch);
  EXPECT_TRUE(t.mmu_off);
  EXPECT_TRUE(t.ok());
  EXPECT_EQ(t.pa, 0x1234'5678u);
  EXPECT_TRUE(m.cpu(0).tlb.empty());
}

TEST(Stage1Walk, OtherGranules) {
  for (unsigned granule : {16384u, 65536u}) {
    Stage1Mmu m{Stage1Config::make(granule, 48, 48)};
    const Geometry& g = m.geo();
    ASSERT_EQ(m.install_page(0, kVa, kPa), 0);
    ASSERT_EQ(m.install_block(0, 4 * g.block_size(2), 8 * g.block_size(2), 2), 0);
    Translation t = m.translate(m.root(), kVa + 8, El::El0, Access::Read, false, View::Latest);
    ASSERT_TRUE(t.ok()) << granule;
    EXPECT_EQ(t.pa, kPa + 8);
    t = m.translate(m.root(), 4 * g.block_size(2) + 0x40, El::El0, Access::Read, false, View::Latest);
    ASSERT_TRUE(t.ok()) << granule;
    EXPECT_EQ(t.level, 2u);
    EXPECT_EQ(t.pa, 8 * g.block_size(2) + 0x40);
    // No level-1 blocks with 16K/64K.
    EXPECT_THROW(m.install_block(0, 0, 0, 1), InputError);
  }
}

TEST(Stage1Decode, KindsFieldsAndProblems) {
  const Stage1Config c = Stage1Config::make(4096, 48, 40);
  auto field = [](const DecodedEntry& e, const std::string& name) {
    for (const auto& f : e.fields)
      if (f.name == name) return f;
    ADD_FAILURE() << "no field " << name;
    return DecodedField{};
  };
  EXPECT_EQ(decode_stage1(c, 0, 1).kind, "invalid");
  DecodedEntry e = decode_stage1(c, 0x4000'1003 | bit(61) | bit(60), 1);
  EXPECT_EQ(e.kind, "table");
  EXPECT_EQ(field(e, "APTable").value, 1u);
  EXPECT_EQ(field(e, "UXNTable").value, 1u);
  EXPECT_TRUE(e.problems.empty());
  // A user page, AF set, inner shareable, UXN.
  const std::uint64_t page = 0x8000'0000 | 3 | (4u << 2) | bit(6) | (3u << 8) | bit(10) | bit(54);
  e = decode_stage1(c, page, 3);
  EXPECT_EQ(e.kind, "page");
  EXPECT_EQ(field(e, "AP[2:1]").value, 1u);
  EXPECT_EQ(field(e, "UXN").value, 1u);
  EXPECT_EQ(field(e, "AttrIndx").value, 4u);
  EXPECT_NE(e.summary.find("EL0 rw-"), std::string::npos) << e.summary;
  EXPECT_TRUE(e.problems.empty());
  // Level 3 with bit 1 clear; a block at level 0; OA beyond pa_bits 40; misaligned block.
  EXPECT_EQ(decode_stage1(c, 0x401, 3).kind, "reserved");
  EXPECT_EQ(decode_stage1(c, 0x401, 0).kind, "reserved");
  EXPECT_FALSE(decode_stage1(c, (std::uint64_t{1} << 41) | 0x403, 3).problems.empty());
  e = decode_stage1(c, 0x4000'1401, 2);
  EXPECT_EQ(e.kind, "block");
  EXPECT_FALSE(e.problems.empty());
  EXPECT_THROW(decode_stage1(c, 0, 4), InputError);
}

}  // namespace
}  // namespace ptspec::arm64::s1
