// The stage-1 permission decision (model/arm64/stage1_perms.hpp) against the
// Arm ARM's tables, written out here as data (DDI 0487 D8.4: Table D8-49 for
// AP[2:1]; execute-never, WXN and PAN rules of AArch64.CheckPermission).
// The solver proves the same templates for all inputs (stage1-perms-* lemmas);
// these pin concrete rows and the table-attribute folding.
#include "model/arm64/stage1_perms.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace ptspec::arm64::s1 {
namespace {

constexpr Concrete C{};

// AP[2:1] -> (EL1 data, EL0 data), PAN and WXN off, PXN = UXN = 0.
struct ApRow {
  std::uint64_t ap;
  const char* el1;  // letters r, w, x
  const char* el0;
};
// With PXN = UXN = 0: EL1 may execute unless EL0 can write (AP = 01); EL0
// may execute everything (execute-only memory at AP = 00/10).
constexpr ApRow kApTable[] = {
    {0b00, "rwx", "--x"},
    {0b01, "rw-", "rwx"},
    {0b10, "r-x", "--x"},
    {0b11, "r-x", "r-x"},
};

std::string letters(std::uint64_t ap, bool pxn, bool uxn, El el, bool pan, bool wxn) {
  return perms_letters(stage1_perms(C, ap, pxn, uxn, el, pan, wxn));
}

TEST(Stage1Perms, ApTableD8_49) {
  for (const ApRow& r : kApTable) {
    EXPECT_EQ(letters(r.ap, false, false, El::El1, false, false), r.el1) << "ap=" << r.ap;
    EXPECT_EQ(letters(r.ap, false, false, El::El0, false, false), r.el0) << "ap=" << r.ap;
  }
}

TEST(Stage1Perms, OnlyApBits1To0AreRead) {
  for (const ApRow& r : kApTable)
    for (bool el0 : {false, true}) {
      El el = el0 ? El::El0 : El::El1;
      EXPECT_EQ(letters(r.ap | 0xfc, false, false, el, false, false), letters(r.ap, false, false, el, false, false));
    }
}

TEST(Stage1Perms, PxnOnlyAffectsEl1UxnOnlyEl0) {
  for (const ApRow& r : kApTable) {
    EXPECT_EQ(letters(r.ap, true, false, El::El1, false, false).substr(0, 2), std::string(r.el1).substr(0, 2));
    EXPECT_EQ(letters(r.ap, true, false, El::El1, false, false)[2], '-');
    EXPECT_EQ(letters(r.ap, true, false, El::El0, false, false), r.el0);
    EXPECT_EQ(letters(r.ap, false, true, El::El1, false, false), r.el1);
    EXPECT_EQ(letters(r.ap, false, true, El::El0, false, false)[2], '-');
  }
}

TEST(Stage1Perms, WxnMakesWritableMemoryExecuteNeverAtThatEl) {
  EXPECT_EQ(letters(0b00, false, false, El::El1, false, true), "rw-");
  EXPECT_EQ(letters(0b00, false, false, El::El0, false, true), "--x");  // not writable at EL0
  EXPECT_EQ(letters(0b01, false, false, El::El0, false, true), "rw-");
  EXPECT_EQ(letters(0b01, false, false, El::El1, false, true), "rw-");
  EXPECT_EQ(letters(0b10, false, false, El::El1, false, true), "r-x");
  EXPECT_EQ(letters(0b11, false, false, El::El0, false, true), "r-x");
}

TEST(Stage1Perms, PanBlocksEl1DataAccessToEl0AccessibleMemoryOnly) {
  EXPECT_EQ(letters(0b01, false, false, El::El1, true, false), "---");  // and never executable (EL0-writable)
  EXPECT_EQ(letters(0b11, false, false, El::El1, true, false), "--x");  // fetch unaffected by PAN
  EXPECT_EQ(letters(0b00, false, false, El::El1, true, false), "rwx");
  EXPECT_EQ(letters(0b10, false, false, El::El1, true, false), "r-x");
  // PAN is an EL1 control: EL0 is unaffected.
  EXPECT_EQ(letters(0b01, false, false, El::El0, true, false), "rwx");
  EXPECT_EQ(letters(0b11, false, false, El::El0, true, false), "r-x");
}

TEST(Stage1Perms, AccessAllowedSelectsTheMatchingPermission) {
  for (std::uint64_t ap = 0; ap < 4; ++ap)
    for (int bits = 0; bits < 16; ++bits) {
      bool pxn = bits & 1, uxn = bits & 2, pan = bits & 4, wxn = bits & 8;
      for (El el : {El::El0, El::El1}) {
        Stage1Perms<Concrete> p = stage1_perms(C, ap, pxn, uxn, el, pan, wxn);
        EXPECT_EQ(stage1_access_allowed(C, ap, pxn, uxn, el, pan, wxn, Access::Read), p.read);
        EXPECT_EQ(stage1_access_allowed(C, ap, pxn, uxn, el, pan, wxn, Access::Write), p.write);
        EXPECT_EQ(stage1_access_allowed(C, ap, pxn, uxn, el, pan, wxn, Access::Fetch), p.exec);
        EXPECT_TRUE(!p.write || p.read) << "write without read, ap=" << ap;
      }
    }
}

TEST(Stage1Perms, TableAttributesRestrictTheLeaf) {
  const LeafPermFields<Concrete> rw_user{0b01, false, false};
  auto fold = [&](std::uint64_t ap_table, bool pxn_t, bool uxn_t) {
    return apply_table_attrs(C, rw_user, TableAttrs<Concrete>{ap_table, pxn_t, uxn_t});
  };
  EXPECT_EQ(fold(0b00, false, false).ap, 0b01u);
  EXPECT_EQ(fold(0b01, false, false).ap, 0b00u);  // APTable[0]: no EL0 access
  EXPECT_EQ(fold(0b10, false, false).ap, 0b11u);  // APTable[1]: read-only
  EXPECT_EQ(fold(0b11, false, false).ap, 0b10u);
  EXPECT_TRUE(fold(0, true, false).pxn);
  EXPECT_FALSE(fold(0, true, false).uxn);
  EXPECT_TRUE(fold(0, false, true).uxn);
  // A table never grants what the leaf refuses.
  const LeafPermFields<Concrete> ro_priv{0b10, true, true};
  LeafPermFields<Concrete> f = apply_table_attrs(C, ro_priv, TableAttrs<Concrete>{0, false, false});
  EXPECT_EQ(f.ap, 0b10u);
  EXPECT_TRUE(f.pxn);
  EXPECT_TRUE(f.uxn);
}

TEST(Stage1Perms, Names) {
  EXPECT_STREQ(el_name(El::El0), "el0");
  EXPECT_STREQ(access_name(Access::Fetch), "fetch");
}

}  // namespace
}  // namespace ptspec::arm64::s1
