// kvm_mmu_page_role encode/decode: bit positions of every field (seed 002's
// layout), round trips, unused bits rejected, values too wide rejected.
#include <gtest/gtest.h>

#include <cstdint>

#include "model/core/errors.hpp"
#include "model/x86/shadow_role.hpp"

namespace ptspec::x86::shadow {
namespace {

PageRole zero_role() { return PageRole{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}; }

// Each one-bit field set alone lands on the bit of the kernel layout.
TEST(ShadowRole, EachFieldAtItsKernelBit) {
  struct Case {
    std::uint64_t PageRole::*member;
    std::uint64_t value;
    std::uint64_t word;
  };
  const Case cases[] = {
      {&PageRole::level, 5, 0x5},
      {&PageRole::has_4_byte_gpte, 1, 1u << 4},
      {&PageRole::quadrant, 3, 3u << 5},
      {&PageRole::direct, 1, 1u << 7},
      {&PageRole::access, 7, 7u << 8},
      {&PageRole::invalid, 1, 1u << 11},
      {&PageRole::efer_nx, 1, 1u << 12},
      {&PageRole::cr0_wp, 1, 1u << 13},
      {&PageRole::smep_andnot_wp, 1, 1u << 14},
      {&PageRole::smap_andnot_wp, 1, 1u << 15},
      {&PageRole::ad_disabled, 1, 1u << 16},
      {&PageRole::guest_mode, 1, 1u << 17},
      {&PageRole::level_promoted, 1, 1u << 18},
      {&PageRole::pae_root, 1, 1u << 19},
      {&PageRole::smm, 1, 1u << 24},
  };
  for (const Case& c : cases) {
    PageRole r = zero_role();
    r.*c.member = c.value;
    EXPECT_EQ(role_word(r), c.word) << role_text(r);
    EXPECT_EQ(role_from_word(c.word).*c.member, c.value);
  }
}

TEST(ShadowRole, TypicalShadowPaeRootWord) {
  // level 3, 4-byte gptes, ACC_ALL, cr0_wp, level_promoted, pae_root.
  PageRole r = zero_role();
  r.level = 3;
  r.has_4_byte_gpte = 1;
  r.access = 7;
  r.cr0_wp = 1;
  r.level_promoted = 1;
  r.pae_root = 1;
  EXPECT_EQ(role_word(r), 0x3u | 0x10u | 0x700u | 0x2000u | 0x40000u | 0x80000u);
  const PageRole back = role_from_word(role_word(r));
  EXPECT_EQ(role_text(back), role_text(r));
  EXPECT_EQ(role_text(back),
            "level=3 has_4_byte_gpte=1 quadrant=0 direct=0 access=7 invalid=0 efer_nx=0 cr0_wp=1 smep_andnot_wp=0 "
            "smap_andnot_wp=0 ad_disabled=0 guest_mode=0 level_promoted=1 pae_root=1 smm=0");
}

TEST(ShadowRole, EveryWordWithoutUnusedBitsRoundTrips) {
  // A sweep over words built from the used bits only.
  const std::uint64_t used = 0xFFFF'FFFFu & ~kRoleUnused.mask();
  std::uint64_t x = 0x9E37'79B9'7F4A'7C15ull;
  for (int i = 0; i < 2000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const std::uint64_t w = (x >> 17) & used;
    EXPECT_EQ(role_word(role_from_word(w)), w);
  }
}

TEST(ShadowRole, UnusedBitsAreRejected) {
  for (unsigned b : {20u, 21u, 22u, 23u, 32u, 63u}) {
    const std::uint64_t w = std::uint64_t{1} << b;
    EXPECT_NE(role_unused_bits(Concrete{}, w), 0u);
    EXPECT_THROW(role_from_word(w), InputError) << b;
  }
  EXPECT_EQ(role_unused_bits(Concrete{}, 0xFF0F'FFFFu), 0u);
}

TEST(ShadowRole, TooWideValueIsAnInputErrorNamingTheField) {
  PageRole r = zero_role();
  r.access = 8;
  try {
    role_word(r);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("access"), std::string::npos) << e.what();
  }
  r = zero_role();
  r.smm = 256;
  EXPECT_THROW(role_word(r), InputError);
  r = zero_role();
  r.level = 16;
  EXPECT_THROW(role_word(r), InputError);
}

TEST(ShadowRole, FieldsTileTheWordExceptUnused) {
  std::uint64_t seen = 0;
  for (const RoleFieldInfo& f : kRoleFieldInfo) {
    EXPECT_EQ(seen & f.field.mask(), 0u) << f.name;
    seen |= f.field.mask();
  }
  EXPECT_EQ(seen | kRoleUnused.mask(), 0xFFFF'FFFFu);
}

}  // namespace
}  // namespace ptspec::x86::shadow
