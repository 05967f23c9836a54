// decode_ept: fields with bit ranges, and every reserved bit named.
#include "model/x86/ept_decode.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "model/core/errors.hpp"
#include "model/x86/ept_entry.hpp"

namespace ptspec::x86 {
namespace {

const DecodedField* field(const DecodedEntry& e, const std::string& name) {
  auto it = std::find_if(e.fields.begin(), e.fields.end(), [&](const DecodedField& f) { return f.name == name; });
  return it == e.fields.end() ? nullptr : &*it;
}

bool mentions(const DecodedEntry& e, const std::string& s) {
  return std::any_of(e.problems.begin(), e.problems.end(),
                     [&](const std::string& p) { return p.find(s) != std::string::npos; });
}

TEST(EptDecode, FourKLeaf) {
  const EptConfig cfg = make_ept_config(4, 46, true);
  const DecodedEntry e = decode_ept(cfg, 0xa000000012345277u, 1);  // WB RWX, ipat, A, D, SPP, SVE
  EXPECT_EQ(e.kind, "page");
  EXPECT_TRUE(e.problems.empty());
  const DecodedField* mt = field(e, "memory type");
  ASSERT_NE(mt, nullptr);
  EXPECT_EQ(mt->hi, 5u);
  EXPECT_EQ(mt->lo, 3u);
  EXPECT_EQ(mt->value, 6u);
  ASSERT_NE(field(e, "address"), nullptr);
  EXPECT_EQ(field(e, "address")->hi, 45u);
  EXPECT_EQ(field(e, "address")->value, 0x12345u);
  EXPECT_EQ(field(e, "D")->value, 1u);
  EXPECT_EQ(field(e, "SPP")->value, 1u);
  EXPECT_EQ(field(e, "suppress #VE")->value, 1u);
  EXPECT_NE(e.summary.find("0x12345000"), std::string::npos) << e.summary;
}

TEST(EptDecode, TablesLargePagesAndNotPresent) {
  const EptConfig cfg = make_ept_config(5, 52);
  EXPECT_EQ(decode_ept(cfg, 0x7007, 5).kind, "table");
  EXPECT_EQ(decode_ept(cfg, 0x400000b7, 2).kind, "large page");
  EXPECT_EQ(decode_ept(cfg, 0x400000b7, -1).kind, "large page");  // bit 7: explained as a PDE
  EXPECT_EQ(decode_ept(cfg, 0x40000037, -1).kind, "page");
  const DecodedEntry np = decode_ept(cfg, 0x12345000, 3);
  EXPECT_EQ(np.kind, "not present");
  EXPECT_TRUE(np.problems.empty());
  EXPECT_THROW(decode_ept(make_ept_config(4, 46), 0x7007, 5), InputError);
  EXPECT_THROW(decode_ept(cfg, 0x7007, 0), InputError);
}

TEST(EptDecode, EveryReservedBitNamed) {
  const EptConfig cfg = make_ept_config(4, 40, false, true, false);
  // PML4E with bit 7 and bit 3 set, and address bit 41 (>= MAXPHYADDR 40).
  DecodedEntry e = decode_ept(cfg, 0x7007 | bit(7) | bit(3) | bit(41), 4);
  EXPECT_EQ(e.problems.size(), 3u);
  EXPECT_TRUE(mentions(e, "reserved bit 3 set"));
  EXPECT_TRUE(mentions(e, "reserved bit 7 set"));
  EXPECT_TRUE(mentions(e, "reserved bit 41 set: address bit at or above MAXPHYADDR 40"));
  // 2M leaf with bits 12 and 20 set.
  e = decode_ept(cfg, 0x400000b7 | bit(12) | bit(20), 2);
  EXPECT_EQ(e.problems.size(), 2u);
  EXPECT_TRUE(mentions(e, "bits 20:12 are reserved in a 2 MiB leaf"));
  // 1G leaf without 1 GiB page support: bit 7 reserved.
  e = decode_ept(cfg, 0x400000b7, 3);
  EXPECT_TRUE(mentions(e, "reserved bit 7 set: page size: 1 GiB pages are not supported"));
  // XWR = 010 and memory type 7.
  e = decode_ept(cfg, 0x1000 | 0x2 | (7u << 3), 1);
  EXPECT_TRUE(mentions(e, "write without read"));
  EXPECT_TRUE(mentions(e, "reserved memory type"));
}

}  // namespace
}  // namespace ptspec::x86
