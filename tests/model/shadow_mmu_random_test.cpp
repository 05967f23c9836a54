// x86.shadow: random guest page-table edits (all emulated through
// ShadowMmu::write_guest), faults of every access kind, CR3 switches and
// remaps onto the guest's own table pages, in every modelled mode; after
// each step the shadow MMU's four checks must hold (refinement over every
// address used, no leak, PAE entries, write protection). Fixed seeds, so a
// failure replays.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <random>
#include <string>
#include <vector>

#include "model/x86/shadow_mmu.hpp"
#include "paging_test_util.hpp"

namespace ptspec::x86::shadow {
namespace {

namespace pg = paging;
using test::GuestTables;

constexpr std::uint64_t kSlotGfn = 0x40000, kSlotPages = 0x10000, kSlotPfn = 0x200000;
constexpr std::uint64_t kData = 0x4100'0000;

struct Mode {
  const char* name;
  x86::PagingContext ctx;
  MmuKind kind;
  Vendor vendor;
};

std::vector<Mode> modes() {
  x86::PagingContext pse = test::ctx_32(true), wp = test::ctx_pae(true);
  wp.cr0_wp = true;
  return {{"32-bit", test::ctx_32(false), MmuKind::ShadowPaging, Vendor::Intel},
          {"32-bit PSE", pse, MmuKind::ShadowPaging, Vendor::Intel},
          {"PAE Intel", test::ctx_pae(), MmuKind::ShadowPaging, Vendor::Intel},
          {"PAE AMD NX WP", wp, MmuKind::ShadowPaging, Vendor::Amd},
          {"4-level", test::ctx_long(), MmuKind::ShadowPaging, Vendor::Intel},
          {"5-level", test::ctx_long(true), MmuKind::ShadowPaging, Vendor::Intel},
          {"NPT 32-bit on 4-level", test::ctx_32(false), MmuKind::ShadowNpt, Vendor::Amd},
          {"NPT PAE on 4-level", test::ctx_pae(), MmuKind::ShadowNpt, Vendor::Amd},
          {"NPT PAE on PAE", test::ctx_pae(), MmuKind::ShadowNpt, Vendor::Amd}};
}

struct Scenario {
  GuestTables g;
  PhysMem host{12};
  ShadowMmu mmu;
  std::vector<std::uint64_t> tables;  // guest table pages (remap targets too)
  std::uint64_t cr3s[2];
  unsigned cur = 0;

  static ShadowMmuConfig cfg(const Mode& m) {
    ShadowMmuConfig c;
    c.slots = {Memslot{kSlotGfn, kSlotPages, kSlotPfn}};
    c.kind = m.kind;
    c.vendor = m.vendor;
    c.tdp_level = std::string(m.name) == "NPT PAE on PAE" ? 3 : 4;
    return c;
  }
  explicit Scenario(const Mode& m) : g(m.ctx), mmu(g.mem, host, cfg(m)) {
    cr3s[0] = g.root;
    cr3s[1] = g.mem.alloc_contiguous(1, Zone::Low);
    tables = {cr3s[0], cr3s[1]};
  }
  // The entry for `va` at `level` under the current CR3, linking missing
  // tables with emulated guest writes (PAE PDPTEs: P only).
  std::uint64_t slot(std::uint64_t va, unsigned level) {
    const pg::Format& f = g.f;
    std::uint64_t table = f.mode == pg::Mode::Pae ? pg::pae_pdpt_base(test::kC, cr3s[cur]) : cr3s[cur];
    for (unsigned l = f.levels(); l > level; --l) {
      const std::uint64_t at = pg::entry_address(test::kC, f, table, va, l);
      std::uint64_t e = g.read(at);
      if (!pg::is_present(test::kC, e) || pg::is_leaf(test::kC, f, l, e)) {
        const std::uint64_t t = g.mem.alloc_contiguous(1, Zone::Low);
        tables.push_back(t);
        e = t | ((f.mode == pg::Mode::Pae && l == 3) ? pg::kP.mask() : test::kLinkBits);
        mmu.write_guest(at, f.entry_bytes(), e);
      }
      table = pg::table_addr(test::kC, f, e);
    }
    return pg::entry_address(test::kC, f, table, va, level);
  }
};

TEST(ShadowMmuRandom, EveryStepKeepsRefinementNoLeakPaeEntriesAndWriteProtection) {
  const std::vector<std::uint64_t> vas = {0x1000, 0x2000, 0x20'1000, 0x40'3000, 0x4000'3000, 0x8040'0000,
                                          0xC000'0000, 0xC060'1000};
  std::size_t mapped = 0;
  for (const Mode& m : modes()) {
    for (unsigned seed = 1; seed <= 6; ++seed) {
      std::mt19937_64 rng(seed * 7919 + static_cast<unsigned>(m.name[0]));
      Scenario r(m);
      ASSERT_TRUE(r.mmu.set_context(r.g.ctx, r.cr3s[0])) << m.name;
      unsigned fixed = 0;
      for (unsigned step = 0; step < 60; ++step) {
        const std::uint64_t va = vas[rng() % vas.size()];
        const unsigned op = rng() % 10;
        std::string what;
        if (op < 4) {  // map a 4 KiB page (sometimes onto a guest table page) with random rights
          const std::uint64_t target = rng() % 3 == 0 ? r.tables[rng() % r.tables.size()] : kData + 0x1000 * (rng() % 8);
          std::uint64_t e = target | pg::kP.mask() | (rng() % 2 ? pg::kRW.mask() : 0) | (rng() % 2 ? pg::kUS.mask() : 0) |
                            (rng() % 3 == 0 ? pg::kD.mask() : 0);
          if (r.g.f.xd_enabled() && rng() % 3 == 0) e |= pg::kXD.mask();
          r.mmu.write_guest(r.slot(va, 1), r.g.f.entry_bytes(), e);
          what = fmt::format("map {:#x} -> {:#x}", va, e);
        } else if (op == 4) {  // clear a PDE (a large page where the mode has them, else not present)
          const bool large = r.g.f.mode != pg::Mode::Bits32 || r.g.f.pse;
          const std::uint64_t e = large && rng() % 2 ? (0x4140'0000 | pg::kP.mask() | pg::kRW.mask() | pg::kPS.mask()) : 0;
          r.mmu.write_guest(r.slot(va, 2), r.g.f.entry_bytes(), e);
          what = fmt::format("PDE {:#x} = {:#x}", va, e);
        } else if (op == 5) {  // MOV CR3: the other root, or the same one (reloads Intel's PDPTEs)
          if (rng() % 2) r.cur ^= 1;
          ASSERT_TRUE(r.mmu.set_context(r.g.ctx, r.cr3s[r.cur])) << m.name;
          what = "switch cr3";
        } else {  // a fault
          const auto kind = static_cast<pg::AccessKind>(rng() % 3);
          const FaultResult fr = r.mmu.page_fault(va, PagingAccess{kind, false});
          fixed += fr.outcome == FaultOutcome::Fixed;
          what = fmt::format("fault {:#x} {} -> {}", va, access_kind_name(kind), fault_outcome_name(fr.outcome));
        }
        const std::string ctx = fmt::format("{} seed {} step {}: {}", m.name, seed, step, what);
        ASSERT_EQ(r.mmu.check_refinement(vas), "") << ctx;
        ASSERT_EQ(r.mmu.check_refinement_all(), "") << ctx;
        ASSERT_EQ(r.mmu.check_no_leak(), "") << ctx;
        ASSERT_EQ(r.mmu.check_pae_entries(), "") << ctx;
        ASSERT_EQ(r.mmu.check_write_protection(), "") << ctx;
      }
      EXPECT_GT(fixed, 0u) << m.name << " seed " << seed;  // the run exercised the fault path
      mapped += r.mmu.mapped_vas().size();
    }
  }
  EXPECT_GT(mapped, 0u);  // the runs ended with shadow leaves to check
}

}  // namespace
}  // namespace ptspec::x86::shadow
