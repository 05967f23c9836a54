// Concrete checks of the EPT entry templates (the solver proves the same
// templates for all inputs; these pin encodings to the SDM's bit positions).
#include "model/x86/ept_entry.hpp"

#include <gtest/gtest.h>

#include <string>

#include "model/core/errors.hpp"
#include "model/x86/ept_geometry.hpp"

namespace ptspec::x86 {
namespace {

constexpr Concrete C{};
using ept::LeafAttrs;
using ept::Misconfig;

EptConfig cfg_of(unsigned maxphy = 46, bool xo = true, bool gb = true, bool mbec = false) {
  return make_ept_config(4, maxphy, false, xo, gb, mbec);
}

LeafAttrs<Concrete> attrs(std::uint64_t xwr, std::uint64_t mt = ept::kMtWb, std::uint64_t ipat = 0) {
  return {xwr, 0, mt, ipat, 0, 0};
}

TEST(EptEntry, FieldPositionsMatchTheSdm) {
  EXPECT_EQ(ept::kR.mask(), 0x1u);
  EXPECT_EQ(ept::kW.mask(), 0x2u);
  EXPECT_EQ(ept::kX.mask(), 0x4u);
  EXPECT_EQ(ept::kMemType.mask(), 0x38u);
  EXPECT_EQ(ept::kIgnorePat.mask(), 0x40u);
  EXPECT_EQ(ept::kPageSize.mask(), 0x80u);
  EXPECT_EQ(ept::kAccessed.mask(), 0x100u);
  EXPECT_EQ(ept::kDirty.mask(), 0x200u);
  EXPECT_EQ(ept::kUserExec.mask(), 0x400u);
  EXPECT_EQ(ept::kSpp.mask(), 0x2000000000000000u);
  EXPECT_EQ(ept::kSuppressVe.mask(), 0x8000000000000000u);
  EXPECT_EQ(ept::addr_field(cfg_of(46)).mask(), 0x3ffffffff000u);
  EXPECT_EQ(ept::addr_field(cfg_of(52)).mask(), 0xffffffffff000u);
}

TEST(EptEntry, EncodersPinnedToSdmValues) {
  const EptConfig cfg = cfg_of();
  // 4K WB RWX leaf.
  EXPECT_EQ(ept::make_leaf(C, cfg, 1, 0x12345000, attrs(7)), 0x12345037u);
  // ... with ignore-PAT, and an unaligned PA (offset dropped).
  EXPECT_EQ(ept::make_leaf(C, cfg, 1, 0x12345678, attrs(7, ept::kMtWb, 1)), 0x12345077u);
  // 2M read-only UC leaf: bit 7 set, address bits 20:12 dropped.
  EXPECT_EQ(ept::make_leaf(C, cfg, 2, 0x40123000, attrs(1, ept::kMtUc)), 0x40000081u);
  // 1G RW WB leaf.
  EXPECT_EQ(ept::make_leaf(C, cfg, 3, 0x80000000, attrs(3)), 0x800000b3u);
  // SPP and suppress-#VE.
  LeafAttrs<Concrete> a = attrs(1);
  a.spp = 1;
  a.sve = 1;
  EXPECT_EQ(ept::make_leaf(C, cfg, 1, 0x1000, a), 0xa000000000001031u);
  // User-execute only under MBEC.
  a = attrs(5);
  a.ux = 1;
  EXPECT_EQ(ept::make_leaf(C, cfg, 1, 0x1000, a), 0x1035u);
  EXPECT_EQ(ept::make_leaf(C, cfg_of(46, true, true, true), 1, 0x1000, a), 0x1435u);
  // Table entry, RWX.
  EXPECT_EQ(ept::make_table(C, cfg, 0x7000, 7, 1), 0x7007u);
  EXPECT_EQ(ept::make_table(C, cfg_of(46, true, true, true), 0x7000, 7, 1), 0x7407u);
  // Address masked to MAXPHYADDR.
  EXPECT_EQ(ept::make_table(C, cfg_of(36), 0xff'f000'1000, 7, 0), 0xf'f000'1007u);
  EXPECT_EQ(ept::table_addr(C, cfg, 0x8000000000012407u), 0x12000u);
}

TEST(EptEntry, EptpLayoutAndChecks) {
  EptConfig cfg = cfg_of();
  // WB, walk length 4 (3 in bits 5:3), no A/D.
  EXPECT_EQ(ept::make_eptp(C, cfg, 0x5000, ept::kMtWb), 0x501eu);
  cfg.ad_enabled = true;
  EXPECT_EQ(ept::make_eptp(C, cfg, 0x5000, ept::kMtWb), 0x505eu);
  EXPECT_TRUE(ept::eptp_valid(C, cfg, 0x505e));
  EXPECT_FALSE(ept::eptp_valid(C, cfg, 0x501e));  // A/D bit disagrees with the config
  EXPECT_FALSE(ept::eptp_valid(C, cfg, 0x5059));  // memory type 1 (WC): only UC/WB allowed
  EXPECT_TRUE(ept::eptp_valid(C, cfg, 0x5058));   // UC
  EXPECT_FALSE(ept::eptp_valid(C, cfg, 0x515e));  // bit 8 reserved
  EXPECT_FALSE(ept::eptp_valid(C, cfg, 0x4000'0000'505eu));  // bit 46 >= MAXPHYADDR
  EXPECT_EQ(ept::eptp_root(C, cfg, 0x505e), 0x5000u);
  EptConfig five = make_ept_config(5, 52);
  EXPECT_EQ(ept::make_eptp(C, five, 0x5000, ept::kMtWb), 0x5026u);
  EXPECT_TRUE(ept::eptp_valid(C, five, 0x5026));
  EXPECT_FALSE(ept::eptp_valid(C, five, 0x501e));  // 4-level walk length under a 5-level config
}

// Every XWR value, with and without execute-only support (SDM "EPT
// misconfigurations": 010 and 110 always; 100 without execute-only support).
TEST(EptEntry, EveryXwrCombinationClassified) {
  enum Want { NotPresent, Misconf, Ok };
  struct Row {
    unsigned xwr;
    Want with_xo, without_xo;
    Misconfig why_without;
  };
  const Row rows[] = {
      {0b000, NotPresent, NotPresent, Misconfig::None},
      {0b001, Ok, Ok, Misconfig::None},
      {0b010, Misconf, Misconf, Misconfig::WriteWithoutRead},
      {0b011, Ok, Ok, Misconfig::None},
      {0b100, Ok, Misconf, Misconfig::ExecOnly},
      {0b101, Ok, Ok, Misconfig::None},
      {0b110, Misconf, Misconf, Misconfig::WriteWithoutRead},
      {0b111, Ok, Ok, Misconfig::None},
  };
  for (const Row& row : rows) {
    for (bool xo : {true, false}) {
      const EptConfig cfg = cfg_of(46, xo);
      for (unsigned level = 1; level <= 4; ++level) {
        // A leaf at 1..3 (WB), a table entry at 4.
        const std::uint64_t pte = level == 4 ? ept::make_table(C, cfg, 0x1000, row.xwr, 0)
                                             : ept::make_leaf(C, cfg, level, 0x4000'0000, attrs(row.xwr));
        const Want want = xo ? row.with_xo : row.without_xo;
        SCOPED_TRACE(::testing::Message() << "xwr=" << row.xwr << " xo=" << xo << " level=" << level);
        EXPECT_EQ(ept::is_present(C, cfg, pte), want != NotPresent);
        if (want == NotPresent) continue;
        EXPECT_EQ(ept::is_misconfigured(C, cfg, pte, level), want == Misconf);
        const auto mc = static_cast<Misconfig>(ept::misconfig(C, cfg, pte, level));
        EXPECT_EQ(mc, want == Misconf ? (xo ? Misconfig::WriteWithoutRead : row.why_without) : Misconfig::None);
      }
    }
  }
}

TEST(EptEntry, UserExecuteUnderMbec) {
  // Bit 10 alone: not present without MBEC; present with it, and an
  // execute-only entry (misconfigured without execute-only support).
  const std::uint64_t pte = 0x1000 | ept::kUserExec.mask() | fprep(ept::kMtWb, ept::kMemType);
  EXPECT_FALSE(ept::is_present(C, cfg_of(46, true, true, false), pte));
  EXPECT_TRUE(ept::is_present(C, cfg_of(46, true, true, true), pte));
  EXPECT_FALSE(ept::is_misconfigured(C, cfg_of(46, true, true, true), pte, 1));
  EXPECT_EQ(static_cast<Misconfig>(ept::misconfig(C, cfg_of(46, false, true, true), pte, 1)), Misconfig::ExecOnly);
}

TEST(EptEntry, ReservedMasksPerLevelAndMaxPhyAddr) {
  const std::uint64_t lo_table = genmask(6, 3);
  for (unsigned maxphy : {36u, 46u, 52u}) {
    SCOPED_TRACE(maxphy);
    const EptConfig cfg = cfg_of(maxphy);
    const std::uint64_t hi = maxphy == 52 ? 0 : genmask(51, maxphy);
    EXPECT_EQ(ept::reserved_mask(cfg, 5, false), hi | genmask(7, 3));
    EXPECT_EQ(ept::reserved_mask(cfg, 4, false), hi | genmask(7, 3));
    EXPECT_EQ(ept::reserved_mask(cfg, 4, true), hi | genmask(7, 3));
    EXPECT_EQ(ept::reserved_mask(cfg, 3, false), hi | lo_table);
    EXPECT_EQ(ept::reserved_mask(cfg, 3, true), hi | genmask(29, 12));
    EXPECT_EQ(ept::reserved_mask(cfg, 2, false), hi | lo_table);
    EXPECT_EQ(ept::reserved_mask(cfg, 2, true), hi | genmask(20, 12));
    EXPECT_EQ(ept::reserved_mask(cfg, 1, false), hi);
    // Each reserved bit, set alone in an otherwise good present entry,
    // misconfigures it; each non-reserved bit does not.
    for (unsigned level = 1; level <= 4; ++level) {
      for (bool large : {false, true}) {
        if (large && (level == 1 || level == 4)) continue;
        const std::uint64_t good = large || level == 1
                                       ? ept::make_leaf(C, cfg, level, 0, attrs(7))
                                       : ept::make_table(C, cfg, 0, 7, 0);
        const std::uint64_t rsvd = ept::reserved_mask(cfg, level, large);
        for (unsigned b = 0; b < 64; ++b) {
          if (b == 7 || b < 3) continue;  // page size picks the mask; XWR tested above
          if (!large && level != 1 && b >= 3 && b <= 6) continue;  // table: 6:3 are reserved (covered by rsvd)
          const std::uint64_t pte = good | bit(b);
          const bool is_rsvd = rsvd & bit(b);
          SCOPED_TRACE(::testing::Message() << "level=" << level << " large=" << large << " bit=" << b);
          EXPECT_EQ(ept::reserved_bits(C, cfg, pte, level) != 0, is_rsvd);
        }
        for (unsigned b = 3; b <= 6 && !large && level != 1; ++b)
          EXPECT_NE(ept::reserved_bits(C, cfg, good | bit(b), level), 0u);
      }
    }
  }
  // Bit 7 of a PDPTE without 1 GiB page support is reserved.
  const EptConfig no_gb = cfg_of(46, true, false);
  EXPECT_EQ(ept::reserved_mask(no_gb, 3, true), genmask(51, 46) | ept::kPageSize.mask());
  const std::uint64_t gb_leaf = ept::make_leaf(C, cfg_of(46), 3, 0x4000'0000, attrs(7));
  EXPECT_FALSE(ept::is_misconfigured(C, cfg_of(46), gb_leaf, 3));
  EXPECT_EQ(static_cast<Misconfig>(ept::misconfig(C, no_gb, gb_leaf, 3)), Misconfig::ReservedBit);
}

TEST(EptEntry, EncodersNeverSetReservedBits) {
  const std::uint64_t pas[] = {0, 0x1000, 0x12345678'9abcdef0u, ~std::uint64_t{0}, 0x000f'ffff'ffff'f000u};
  for (unsigned maxphy = kMinMaxPhyAddr; maxphy <= kMaxMaxPhyAddr; ++maxphy) {
    for (bool mbec : {false, true}) {
      const EptConfig cfg = cfg_of(maxphy, true, true, mbec);
      for (std::uint64_t pa : pas) {
        for (unsigned level = 1; level <= 3; ++level) {
          LeafAttrs<Concrete> a{7, 1, ept::kMtWb, 1, 1, 1};
          const std::uint64_t leaf = ept::make_leaf(C, cfg, level, pa, a);
          EXPECT_EQ(ept::reserved_bits(C, cfg, leaf, level), 0u) << maxphy << " " << level;
          EXPECT_FALSE(ept::is_misconfigured(C, cfg, leaf, level));
          EXPECT_TRUE(ept::is_leaf(C, level, leaf));
        }
        for (unsigned level = 2; level <= 5; ++level) {
          const std::uint64_t t = ept::make_table(C, cfg, pa, 7, 1);
          EXPECT_EQ(ept::reserved_bits(C, cfg, t, level), 0u) << maxphy << " " << level;
          EXPECT_FALSE(ept::is_leaf(C, level, t));
          EXPECT_EQ(ept::table_addr(C, cfg, t), pa & ept::addr_field(cfg).mask());
        }
      }
    }
  }
}

TEST(EptEntry, MemoryTypeRulesOnLeavesOnly) {
  const EptConfig cfg = cfg_of();
  for (std::uint64_t mt = 0; mt < 8; ++mt) {
    const bool bad = mt == 2 || mt == 3 || mt == 7;
    for (unsigned level = 1; level <= 3; ++level) {
      const std::uint64_t leaf = ept::make_leaf(C, cfg, level, 0, attrs(7, mt));
      EXPECT_EQ(static_cast<Misconfig>(ept::misconfig(C, cfg, leaf, level)),
                bad ? Misconfig::MemoryType : Misconfig::None);
    }
  }
  // In a PDE pointing to a table, bits 5:3 are reserved instead.
  const std::uint64_t pde = ept::make_table(C, cfg, 0x1000, 7, 0) | fprep(6, ept::kMemType);
  EXPECT_EQ(static_cast<Misconfig>(ept::misconfig(C, cfg, pde, 2)), Misconfig::ReservedBit);
}

TEST(EptEntry, ExitQualificationForAWriteToAReadOnlyPage) {
  const EptConfig cfg = cfg_of();
  // Data write (bit 1), readable (bit 3), linear address valid (7) and the
  // access was to its translation (8).
  EXPECT_EQ(ept::exit_qualification(C, cfg, ept::Access::Write, ept::kR.mask(), true, true), 0x18au);
  EXPECT_EQ(ept::exit_qualification(C, cfg, ept::Access::Write, ept::kR.mask(), false, false), 0x0au);
  // Fetch from an RW page: bit 2, found readable + writable.
  EXPECT_EQ(ept::exit_qualification(C, cfg, ept::Access::ExecSupervisor, 3, false, false), 0x1cu);
  // MBEC: user-exec found goes to bit 6; without MBEC bit 6 stays 0.
  const EptConfig mbec = cfg_of(46, true, true, true);
  EXPECT_EQ(ept::exit_qualification(C, mbec, ept::Access::Read, ept::kUserExec.mask(), false, false), 0x41u);
  EXPECT_EQ(ept::exit_qualification(C, cfg, ept::Access::Read, ept::kUserExec.mask(), false, false), 0x01u);
}

TEST(EptEntry, WalkStepIndexesNineBitsPerLevel) {
  const std::uint64_t gpa = 0x01ab'cdef'1234'5678u;  // 57-bit GPA
  EXPECT_EQ(ept::table_index(C, gpa, 1), (gpa >> 12) & 511);
  EXPECT_EQ(ept::table_index(C, gpa, 2), (gpa >> 21) & 511);
  EXPECT_EQ(ept::table_index(C, gpa, 3), (gpa >> 30) & 511);
  EXPECT_EQ(ept::table_index(C, gpa, 4), (gpa >> 39) & 511);
  EXPECT_EQ(ept::table_index(C, gpa, 5), (gpa >> 48) & 511);
  EXPECT_EQ(ept::entry_address(C, std::uint64_t{0x5000}, gpa, 4), 0x5000 + ((gpa >> 39) & 511) * 8);
  const EptConfig cfg = cfg_of();
  EXPECT_EQ(ept::leaf_hpa(C, cfg, 0x4000'00b7u, std::uint64_t{0x12'3456}, 2), 0x4012'3456u);
  EXPECT_EQ(ept::leaf_hpa(C, cfg, 0xc000'00b7u, std::uint64_t{0x1234'5678}, 3), 0xd234'5678u);
}

TEST(EptConfig, CheckedConstruction) {
  EXPECT_NO_THROW(make_ept_config(4, 36));
  EXPECT_NO_THROW(make_ept_config(5, 52, true, false, false, true));
  try {
    make_ept_config(3, 46);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("config.levels:", 0), 0u) << e.what();
  }
  try {
    make_ept_config(4, 53);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("config.maxphyaddr:", 0), 0u) << e.what();
  }
  EXPECT_THROW(make_ept_config(4, 35), InputError);
  EXPECT_EQ(make_ept_config(4, 46).gpa_bits(), 48u);
  EXPECT_EQ(make_ept_config(5, 52).gpa_bits(), 57u);
  EXPECT_EQ(EptConfig::entry_size(2), 0x200000u);
  EXPECT_EQ(EptConfig::entry_size(3), 0x40000000u);
}

}  // namespace
}  // namespace ptspec::x86
