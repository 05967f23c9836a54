// The hardware EPT walk over hand-built tables: translations at every leaf
// size for 4- and 5-level walks, violations with their exit qualification,
// misconfigurations with rule and level, and the A/D writes.
#include "model/x86/ept_walk.hpp"

#include <gtest/gtest.h>

#include "model/core/errors.hpp"
#include "model/core/events.hpp"
#include "model/core/physmem.hpp"

namespace ptspec::x86 {
namespace {

constexpr Concrete C{};
using ept::Access;
using ept::Misconfig;

// Tables built by hand in a PhysMem: every missing level is allocated and
// linked RWX (KVM links tables with full permissions).
struct Tables {
  EptConfig cfg;
  EventLog log;
  PhysMem mem{12, &log};
  std::uint64_t root;

  explicit Tables(EptConfig c) : cfg(c), root(mem.alloc_contiguous(1, Zone::High)) {}

  std::uint64_t eptp() const { return ept::make_eptp(C, cfg, root, ept::kMtWb); }

  // Address of the entry for `gpa` at `level`, creating the tables above it.
  std::uint64_t slot(std::uint64_t gpa, unsigned level) {
    std::uint64_t table = root;
    for (unsigned l = cfg.levels; l > level; --l) {
      const std::uint64_t at = ept::entry_address(C, table, gpa, l);
      std::uint64_t e = mem.load(at);
      if (!ept::is_present(C, cfg, e)) {
        e = ept::make_table(C, cfg, mem.alloc_contiguous(1, Zone::High), 7, 1);
        mem.store(at, e);
      }
      table = ept::table_addr(C, cfg, e);
    }
    return ept::entry_address(C, table, gpa, level);
  }

  void map(std::uint64_t gpa, std::uint64_t hpa, unsigned level, std::uint64_t xwr, std::uint64_t ux = 0) {
    mem.store(slot(gpa, level), ept::make_leaf(C, cfg, level, hpa, {xwr, ux, ept::kMtWb, 0, 0, 0}));
  }

  EptWalkResult walk(std::uint64_t gpa, Access a, bool linear = true) {
    return ept_walk(cfg, mem, eptp(), gpa, EptAccess{a, linear, linear});
  }
};

void expect_translation(const EptWalkResult& r, std::uint64_t hpa, unsigned level) {
  EXPECT_EQ(r.outcome, EptOutcome::Translation) << r.why;
  EXPECT_EQ(r.hpa, hpa);
  EXPECT_EQ(r.level, level);
  EXPECT_EQ(r.size, EptConfig::entry_size(level));
}

TEST(EptWalk, FourLevelToEachLeafSize) {
  Tables t(make_ept_config(4, 46));
  t.map(0x1234'5678'9000, 0xabc'd000, 1, 7);
  t.map(0x40'0020'0000, 0x8020'0000, 2, 3);
  t.map(0x80'4000'0000, 0x1'c000'0000, 3, 1);
  EptWalkResult r = t.walk(0x1234'5678'9abc, Access::Read);
  expect_translation(r, 0xabc'dabc, 1);
  EXPECT_EQ(r.depth, 4u);
  EXPECT_EQ(r.gpa, 0x1234'5678'9abcu);
  EXPECT_EQ(r.memtype, ept::kMtWb);
  EXPECT_FALSE(r.ignore_pat);
  EXPECT_TRUE(r.readable() && r.writable() && r.executable());
  EXPECT_TRUE(r.ad_writes.empty());  // A/D disabled
  r = t.walk(0x40'002f'1234, Access::Write);
  expect_translation(r, 0x802f'1234, 2);
  EXPECT_EQ(r.depth, 3u);
  r = t.walk(0x80'7fff'fff8, Access::Read);
  expect_translation(r, 0x1'ffff'fff8, 3);
  EXPECT_EQ(r.depth, 2u);
  EXPECT_FALSE(r.writable());
}

TEST(EptWalk, FiveLevelToEachLeafSize) {
  Tables t(make_ept_config(5, 52));
  const std::uint64_t hi = std::uint64_t{1} << 50;  // beyond 48 bits: needs the PML5E
  t.map(hi | 0x1000, 0x5000, 1, 7);
  t.map(hi | 0x20'0000, 0x40'0000, 2, 7);
  t.map(hi | 0x4000'0000, 0x8000'0000, 3, 7);
  EptWalkResult r = t.walk(hi | 0x1008, Access::ExecSupervisor);
  expect_translation(r, 0x5008, 1);
  EXPECT_EQ(r.depth, 5u);
  expect_translation(t.walk(hi | 0x21'0000, Access::Read), 0x41'0000, 2);
  expect_translation(t.walk(hi | 0x4000'1000, Access::Write), 0x8000'1000, 3);
  // The same GPA without bit 50 has no PML5E entry: violation at level 5.
  r = t.walk(0x1000, Access::Read);
  EXPECT_EQ(r.outcome, EptOutcome::Violation);
  EXPECT_EQ(r.level, 5u);
}

TEST(EptWalk, ReservedBitInPdeIsMisconfigButNotPresentPdeIsViolation) {
  Tables t(make_ept_config(4, 46));
  t.map(0x20'0000, 0x40'0000, 2, 7);
  const std::uint64_t pde = t.slot(0x20'0000, 2);
  // Bit 12 is reserved in a 2M leaf.
  t.mem.store(pde, t.mem.load(pde) | bit(12));
  EptWalkResult r = t.walk(0x20'0000, Access::Read);
  EXPECT_EQ(r.outcome, EptOutcome::Misconfig);
  EXPECT_EQ(r.level, 2u);
  EXPECT_EQ(r.misconfig, Misconfig::ReservedBit);
  EXPECT_EQ(r.reserved_bits, bit(12));
  // A bit above MAXPHYADDR too.
  t.mem.store(pde, ept::make_leaf(C, t.cfg, 2, 0x40'0000, {7, 0, ept::kMtWb, 0, 0, 0}) | bit(47));
  r = t.walk(0x20'0000, Access::Read);
  EXPECT_EQ(r.misconfig, Misconfig::ReservedBit);
  EXPECT_EQ(r.reserved_bits, bit(47));
  // Not present (XWR = 000, other bits ignored): violation at level 2.
  t.mem.store(pde, bit(12) | 0x40'0000);
  r = t.walk(0x20'0000, Access::Read);
  EXPECT_EQ(r.outcome, EptOutcome::Violation);
  EXPECT_EQ(r.level, 2u);
  EXPECT_EQ(r.perms, 0u);
  EXPECT_EQ(r.exit_qualification, 0x181u);  // read; nothing found; linear address valid, final translation
}

TEST(EptWalk, XwrAndMemoryTypeMisconfigs) {
  Tables t(make_ept_config(4, 46, false, false));
  t.map(0x1000, 0x2000, 1, 0b010);
  t.map(0x3000, 0x4000, 1, 0b100);
  EptWalkResult r = t.walk(0x1000, Access::Read);
  EXPECT_EQ(r.outcome, EptOutcome::Misconfig);
  EXPECT_EQ(r.misconfig, Misconfig::WriteWithoutRead);
  EXPECT_EQ(r.level, 1u);
  r = t.walk(0x3000, Access::ExecSupervisor);
  EXPECT_EQ(r.misconfig, Misconfig::ExecOnly);
  t.mem.store(t.slot(0x5000, 1), ept::make_leaf(C, t.cfg, 1, 0x6000, {7, 0, 2, 0, 0, 0}));
  r = t.walk(0x5000, Access::Read);
  EXPECT_EQ(r.misconfig, Misconfig::MemoryType);
}

TEST(EptWalk, WriteToReadOnlyPageExitQualification) {
  Tables t(make_ept_config(4, 46));
  t.map(0x7000, 0x9000, 1, 0b001);
  EptWalkResult r = t.walk(0x7010, Access::Write);
  EXPECT_EQ(r.outcome, EptOutcome::Violation);
  EXPECT_EQ(r.level, 1u);
  EXPECT_EQ(r.perms, ept::kR.mask());
  // Table 28-7: bit 1 data write, bit 3 readable, bit 7 linear valid, bit 8 final translation.
  EXPECT_EQ(r.exit_qualification, bit(1) | bit(3) | bit(7) | bit(8));
  r = t.walk(0x7010, Access::Write, false);
  EXPECT_EQ(r.exit_qualification, bit(1) | bit(3));
  // A read succeeds.
  expect_translation(t.walk(0x7010, Access::Read), 0x9010, 1);
}

TEST(EptWalk, PermissionsAreTheAndAlongThePath) {
  Tables t(make_ept_config(4, 46));
  t.map(0x20'1000, 0x30'1000, 1, 7);
  // Make the PDE read+execute only.
  const std::uint64_t pde = t.slot(0x20'1000, 2);
  t.mem.store(pde, t.mem.load(pde) & ~ept::kW.mask());
  EptWalkResult r = t.walk(0x20'1000, Access::Write);
  EXPECT_EQ(r.outcome, EptOutcome::Violation);
  EXPECT_EQ(r.perms, 5u);
  EXPECT_EQ(r.exit_qualification & 0x3f, bit(1) | bit(3) | bit(5));
  expect_translation(t.walk(0x20'1000, Access::ExecUser), 0x30'1000, 1);
}

TEST(EptWalk, UserExecuteUnderMbec) {
  Tables t(make_ept_config(4, 46, false, true, true, true));
  t.map(0x1000, 0x2000, 1, 0b101, 0);  // supervisor-executable only
  t.map(0x3000, 0x4000, 1, 0b001, 1);  // user-executable only
  expect_translation(t.walk(0x1000, Access::ExecSupervisor), 0x2000, 1);
  EptWalkResult r = t.walk(0x1000, Access::ExecUser);
  EXPECT_EQ(r.outcome, EptOutcome::Violation);
  EXPECT_EQ(r.exit_qualification & 0x7f, bit(2) | bit(3) | bit(5));
  expect_translation(t.walk(0x3000, Access::ExecUser), 0x4000, 1);
  r = t.walk(0x3000, Access::ExecSupervisor);
  EXPECT_EQ(r.outcome, EptOutcome::Violation);
  EXPECT_EQ(r.exit_qualification & 0x7f, bit(2) | bit(3) | bit(6));
}

TEST(EptWalk, AccessedAndDirtyOnAWrite) {
  Tables t(make_ept_config(4, 46, true));
  t.map(0x20'0000, 0x40'0000, 2, 7);
  EptWalkResult r = t.walk(0x20'0010, Access::Write);
  expect_translation(r, 0x40'0010, 2);
  ASSERT_EQ(r.ad_writes.size(), 3u);  // PML4E, PDPTE: A; PDE (leaf): A + D
  EXPECT_EQ(r.ad_writes[0].level, 4u);
  EXPECT_EQ(r.ad_writes[0].new_value ^ r.ad_writes[0].old_value, ept::kAccessed.mask());
  EXPECT_EQ(r.ad_writes[1].new_value ^ r.ad_writes[1].old_value, ept::kAccessed.mask());
  EXPECT_EQ(r.ad_writes[2].level, 2u);
  EXPECT_EQ(r.ad_writes[2].new_value ^ r.ad_writes[2].old_value, ept::kAccessed.mask() | ept::kDirty.mask());
  // The walk wrote nothing itself; applying the writes logs them.
  EXPECT_EQ(t.mem.load(r.ad_writes[2].pa), r.ad_writes[2].old_value);
  t.log.clear();
  apply_ad_writes(t.mem, r, 0x20'0010);
  ASSERT_EQ(t.log.size(), 3u);
  EXPECT_EQ(t.log.events()[2].kind, EventKind::Write);
  EXPECT_EQ(t.mem.load(r.ad_writes[2].pa), r.ad_writes[2].new_value);
  // Walked again: nothing left to set.
  EXPECT_TRUE(t.walk(0x20'0010, Access::Write).ad_writes.empty());
  // A read sets A only; a faulting walk writes nothing.
  t.map(0x1000, 0x2000, 1, 1);
  r = t.walk(0x1000, Access::Read);
  ASSERT_FALSE(r.ad_writes.empty());
  EXPECT_EQ(r.ad_writes.back().new_value ^ r.ad_writes.back().old_value, ept::kAccessed.mask());
  EXPECT_TRUE(t.walk(0x1000, Access::Write).ad_writes.empty());
}

TEST(EptWalk, BadInputsAndUnbackedTables) {
  Tables t(make_ept_config(4, 46));
  EXPECT_THROW(ept_walk(t.cfg, t.mem, t.eptp() | bit(8), 0, {}), InputError);
  EXPECT_THROW(ept_walk(t.cfg, t.mem, t.eptp(), bit(46), {}), InputError);
  Tables five(make_ept_config(5, 52));
  EXPECT_THROW(ept_walk(five.cfg, five.mem, five.eptp(), bit(57), {}), InputError);
  // A PML4E pointing at memory no frame backs.
  t.mem.store(ept::entry_address(C, t.root, std::uint64_t{0}, 4), ept::make_table(C, t.cfg, 0x2000'0000'0000, 7, 0));
  EptWalkResult r = t.walk(0, Access::Read);
  EXPECT_EQ(r.outcome, EptOutcome::Unbacked);
  EXPECT_EQ(r.level, 3u);
}

}  // namespace
}  // namespace ptspec::x86
