// Each x86.paging checker (properties/x86/paging_checks.hpp) is fed a correct
// input -- a real walk over hand-built 4-level tables -- and must stay
// silent, then a broken copy of it and must fail.
#include <gtest/gtest.h>

#include "model/x86/paging_walk.hpp"
#include "properties/x86/paging_checks.hpp"

namespace ptspec::props {
namespace {

using namespace pagingcheck;
namespace pg = x86::paging;

constexpr std::uint64_t kLink = 0x7;  // P | RW | US

struct Guest {
  x86::PagingContext ctx;
  EventLog log;
  PhysMem mem{12, &log};
  std::uint64_t root = 0;
  x86::PdpteFile regs;

  Guest() {
    ctx.cr4_pae = ctx.efer_lma = ctx.efer_nxe = true;
    root = mem.alloc_contiguous(1, Zone::Low);
    std::uint64_t table = root;
    for (int l = 4; l > 1; --l) {  // va 0: index 0 at every level
      const std::uint64_t next = mem.alloc_contiguous(1, Zone::Low);
      mem.store(table, next | kLink);
      table = next;
    }
    mem.store(table, 0x1234'5000 | kLink);  // the PTE
  }
  x86::PagingWalkResult walk(pg::AccessKind k) {
    return x86::paging_walk(ctx, mem, root, 0x10, x86::PagingAccess{k, false}, x86::Vendor::Intel, &regs);
  }
  Oracle oracle(pg::AccessKind k) { return oracle_walk(ctx, x86::Vendor::Intel, mem, root, regs, 0x10, k, false); }
  std::vector<std::uint64_t> after(const Oracle& o) {
    std::vector<std::uint64_t> v;
    for (const Read& r : o.reads) v.push_back(mem.load(r.pa));
    return v;
  }
};

TEST(PagingChecks, OracleAgreesWithTheWalk) {
  Guest g;
  const Oracle o = g.oracle(pg::AccessKind::Write);
  const x86::PagingWalkResult r = g.walk(pg::AccessKind::Write);
  Violations v;
  check_oracle(r, o, v);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(o.pa, 0x1234'5010u);
  ASSERT_EQ(o.reads.size(), 4u);
  x86::PagingWalkResult wrong = r;
  wrong.pa ^= 0x1000;
  check_oracle(wrong, o, v);
  EXPECT_EQ(v.size(), 1u);
  wrong = r;
  wrong.outcome = x86::PagingOutcome::PageFault;
  check_oracle(wrong, o, v);
  EXPECT_EQ(v.size(), 2u);
}

TEST(PagingChecks, BackedFailsOnASilentUnbackedRead) {
  Guest g;
  const Oracle o = g.oracle(pg::AccessKind::Read);
  x86::PagingWalkResult r = g.walk(pg::AccessKind::Read);
  Violations v;
  check_backed(r, o, v);
  EXPECT_TRUE(v.empty());
  Oracle unbacked = o;
  unbacked.reads.back().backed = false;
  check_backed(r, unbacked, v);  // the walk translated through an unbacked entry
  EXPECT_EQ(v.size(), 1u);
  r.outcome = x86::PagingOutcome::Unbacked;
  check_backed(r, o, v);  // says unbacked though every entry is backed
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].invariant, "structure");
}

TEST(PagingChecks, AdOnlyFailsWhenAnotherBitChanges) {
  Guest g;
  const Oracle o = g.oracle(pg::AccessKind::Write);
  const x86::PagingWalkResult r = g.walk(pg::AccessKind::Write);
  x86::apply_paging_ad_writes(g.mem, r);
  std::vector<std::uint64_t> after = g.after(o);
  Violations v;
  check_ad_only(o.reads, after, v);
  EXPECT_TRUE(v.empty());
  after[1] |= pg::kG.mask();  // G set by the "A/D" write
  check_ad_only(o.reads, after, v);
  EXPECT_EQ(v.size(), 1u);
  Oracle with_a = o;
  with_a.reads[0].value |= pg::kA.mask();
  after = g.after(o);
  after[0] &= ~pg::kA.mask();  // A cleared
  check_ad_only(with_a.reads, after, v);
  EXPECT_EQ(v.size(), 2u);
}

TEST(PagingChecks, AdSetFailsWithoutAOrD) {
  Guest g;
  const Oracle o = g.oracle(pg::AccessKind::Write);
  const x86::PagingWalkResult r = g.walk(pg::AccessKind::Write);
  x86::apply_paging_ad_writes(g.mem, r);
  std::vector<std::uint64_t> after = g.after(o);
  Violations v;
  check_ad_set(r, pg::AccessKind::Write, o.reads, after, v);
  EXPECT_TRUE(v.empty());
  std::vector<std::uint64_t> no_d = after;
  no_d.back() &= ~pg::kD.mask();
  check_ad_set(r, pg::AccessKind::Write, o.reads, no_d, v);
  EXPECT_EQ(v.size(), 1u);
  std::vector<std::uint64_t> no_a = after;
  no_a[0] &= ~pg::kA.mask();
  check_ad_set(r, pg::AccessKind::Write, o.reads, no_a, v);
  EXPECT_EQ(v.size(), 2u);
  std::vector<std::uint64_t> d_on_table = after;
  d_on_table[1] |= pg::kD.mask();
  check_ad_set(r, pg::AccessKind::Write, o.reads, d_on_table, v);
  EXPECT_EQ(v.size(), 3u);
  x86::PagingWalkResult fault = r;
  fault.outcome = x86::PagingOutcome::PageFault;  // a fault that wrote A/D
  check_ad_set(fault, pg::AccessKind::Write, o.reads, after, v);
  EXPECT_GE(v.size(), 4u);
}

TEST(PagingChecks, ErrorCodeShape) {
  Guest g;
  g.mem.store(g.root, 0);  // PML4E not present
  x86::PagingWalkResult r = g.walk(pg::AccessKind::Fetch);
  ASSERT_EQ(r.outcome, x86::PagingOutcome::PageFault);
  Violations v;
  check_error_code(r, g.ctx, pg::AccessKind::Fetch, false, v);
  EXPECT_TRUE(v.empty()) << (v.empty() ? "" : v[0].detail);
  EXPECT_EQ(r.error_code, pg::kPfID.mask());  // NXE: I/D on a fetch, P = 0
  x86::PagingWalkResult bad = r;
  bad.error_code |= pg::kPfP.mask();  // P for a non-present entry
  check_error_code(bad, g.ctx, pg::AccessKind::Fetch, false, v);
  EXPECT_EQ(v.size(), 1u);
  bad = r;
  bad.error_code |= pg::kPfRsvd.mask();  // RSVD without P
  check_error_code(bad, g.ctx, pg::AccessKind::Fetch, false, v);
  EXPECT_EQ(v.size(), 2u);
  x86::PagingContext no_nx = g.ctx;
  no_nx.efer_nxe = false;  // I/D without NXE or SMEP
  check_error_code(r, no_nx, pg::AccessKind::Fetch, false, v);
  EXPECT_EQ(v.size(), 3u);
  check_error_code(r, g.ctx, pg::AccessKind::Fetch, true, v);  // U/S does not match a user access
  EXPECT_EQ(v.size(), 4u);
}

TEST(PagingChecks, OracleSeesAReservedBitTheWalkMisses) {
  Guest g;
  const std::uint64_t pde_pa = g.mem.load(g.mem.load(g.root) & ~0xFFFull) & ~0xFFFull;
  g.mem.store(pde_pa, g.mem.load(pde_pa) | (std::uint64_t{1} << 51));  // PDE bit 51: reserved at MAXPHYADDR 46 (Table 4-17)
  const Oracle o = g.oracle(pg::AccessKind::Read);
  EXPECT_EQ(o.error_code, pg::kPfP.mask() | pg::kPfRsvd.mask());
  EXPECT_EQ(o.level, 2u);
  x86::PagingWalkResult r = g.walk(pg::AccessKind::Read);
  Violations v;
  check_oracle(r, o, v);
  EXPECT_TRUE(v.empty());
  r.error_code &= ~pg::kPfRsvd.mask();  // a walk that forgot RSVD
  check_oracle(r, o, v);
  EXPECT_EQ(v.size(), 1u);
}

}  // namespace
}  // namespace ptspec::props
