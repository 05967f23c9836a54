// Exhaustive permission-combination test in the style of kvm-unit-tests
// x86/access.c: every combination of PTE bits (P, R/W, U/S, A, D, NX, a
// reserved bit) x PDE bits (P, R/W, U/S, A, D, PS, NX, a reserved bit) x
// context (CR0.WP, CR4.SMEP, CR4.SMAP, EFLAGS.AC, EFER.NXE, CPL 0/3) x access
// (read, write, fetch, implicit read, implicit write), in 32-bit (PSE on),
// PAE (Intel PDPTE registers), 4-level and 5-level paging.
// The walk's outcome -- translation or #PF with its error code -- and its A/D
// writes are compared with an INDEPENDENT oracle written below as flat
// booleans from the SDM rules (§4.6 access rights, §4.7 error code, §4.8
// A/D), the way access.c's ac_emulate_access states them; it uses none of
// the model's templates.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>

#include "tests/model/paging_test_util.hpp"

namespace ptspec::x86 {
namespace {

using namespace test;

// Flag positions of one combination.
enum : unsigned {
  kPteP, kPteW, kPteU, kPteA, kPteD, kPteNx, kPteRsvd,
  kPdeP, kPdeW, kPdeU, kPdeA, kPdeD, kPdePs, kPdeNx, kPdeRsvd,
  kWp, kSmep, kSmap, kAc, kNxe, kCpl3,
  kFlags
};
enum class Acc { Read, Write, Fetch, ImplicitRead, ImplicitWrite };

struct Expected {
  bool fault = false;
  std::uint64_t error = 0;
  std::uint64_t pa = 0;
  std::map<std::uint64_t, std::uint64_t> writes;  // entry address -> new value
};

constexpr std::uint64_t bitv(unsigned n) { return std::uint64_t{1} << n; }

// Where the walk's path sits for one mode: the entries above the PDE (their
// addresses and values; the walk sets A in them on success, except a PAE
// PDPTE, which has no A bit) and the physical-address masks of the leaves.
struct Path {
  pg::Mode mode;
  std::map<std::uint64_t, std::uint64_t> upper;  // entries above the PDE that get A
  std::uint64_t pte_addr_mask, pde_addr_mask, pde_offset;
};

// The oracle. Entry bits by their SDM positions: P 0, R/W 1, U/S 2, A 5, D 6,
// PS 7, XD 63 (PAE / IA-32e only); the reserved bit is 51 (MAXPHYADDR 46),
// or 13 in a 2 MiB PDE, or 21 in a 32-bit 4 MiB PDE.
Expected oracle(const Path& path, unsigned flags, Acc acc, std::uint64_t pde_at, std::uint64_t pde,
                std::uint64_t pte_at, std::uint64_t pte, std::uint64_t va) {
  auto F = [&](unsigned f) { return (flags >> f) & 1; };
  const bool legacy = path.mode == pg::Mode::Bits32;
  const bool nx = F(kNxe) && !legacy;  // XD exists only in 8-byte entries
  const bool write = acc == Acc::Write || acc == Acc::ImplicitWrite;
  const bool fetch = acc == Acc::Fetch;
  const bool implicit = acc == Acc::ImplicitRead || acc == Acc::ImplicitWrite;
  const bool user = F(kCpl3) && !implicit;
  Expected e;
  // §4.7: W/R, U/S from the access; I/D only with SMEP or (PAE/IA-32e and NXE).
  std::uint64_t access_bits = (write ? 2 : 0) | (user ? 4 : 0) | (fetch && (nx || F(kSmep)) ? 16 : 0);
  // The PDE: not present -> P = 0; present with a reserved bit (or XD without NXE) -> P | RSVD.
  const bool pde_rsvd = F(kPdeRsvd) || (F(kPdeNx) && !F(kNxe));
  if (!F(kPdeP)) { e.fault = true; e.error = access_bits; return e; }
  if (pde_rsvd) { e.fault = true; e.error = access_bits | 1 | 8; return e; }
  bool w = F(kPdeW), u = F(kPdeU), x = !(nx && F(kPdeNx));
  if (!F(kPdePs)) {
    const bool pte_rsvd = F(kPteRsvd) || (F(kPteNx) && !F(kNxe));
    if (!F(kPteP)) { e.fault = true; e.error = access_bits; return e; }
    if (pte_rsvd) { e.fault = true; e.error = access_bits | 1 | 8; return e; }
    w = w && F(kPteW);
    u = u && F(kPteU);
    x = x && !(nx && F(kPteNx));
  }
  // §4.6.1 access rights.
  bool deny = false;
  if (user) {
    deny = !u || (write && !w) || (fetch && !x);
  } else if (fetch) {
    deny = !x || (F(kSmep) && u);
  } else {
    const bool smap = F(kSmap) && u && (implicit || !F(kAc));
    deny = smap || (write && F(kWp) && !w);
  }
  if (deny) { e.fault = true; e.error = access_bits | 1; return e; }
  // §4.8: A on every entry used (upper levels are built with A = 0), D on the leaf of a write.
  for (const auto& [at, v] : path.upper) e.writes[at] = v | 0x20;
  if (F(kPdePs)) {
    const std::uint64_t n = pde | 0x20 | (write ? 0x40 : 0);
    if (n != pde) e.writes[pde_at] = n;
    e.pa = (pde & path.pde_addr_mask) | (va & path.pde_offset);
  } else {
    if (!F(kPdeA)) e.writes[pde_at] = pde | 0x20;
    const std::uint64_t n = pte | 0x20 | (write ? 0x40 : 0);
    if (n != pte) e.writes[pte_at] = n;
    e.pa = (pte & path.pte_addr_mask) | (va & 0xFFF);
  }
  return e;
}

void enumerate(pg::Mode mode) {
  PagingContext c = mode == pg::Mode::Bits32 ? ctx_32(true)
                    : mode == pg::Mode::Pae  ? ctx_pae(true)
                                             : ctx_long(mode == pg::Mode::Level5, true);
  GuestTables t(c);
  const bool legacy = mode == pg::Mode::Bits32;
  const std::uint64_t va = (mode == pg::Mode::Bits32 || mode == pg::Mode::Pae) ? 0x5640'1678 : 0x1234'5640'1678;
  const std::uint64_t pte_at = t.slot(va, 1, 0x7);
  const std::uint64_t pde_at = t.slot(va, 2, 0x7);
  const std::uint64_t pt = t.read(pde_at) & ~std::uint64_t{0xFFF};
  Path path{mode, {}, legacy ? std::uint64_t{0xFFFF'F000} : std::uint64_t{0x3FFF'FFFF'F000},
            legacy ? std::uint64_t{0xFFC0'0000} : std::uint64_t{0x3FFF'FFE0'0000},
            legacy ? std::uint64_t{0x3F'FFFF} : std::uint64_t{0x1F'FFFF}};
  if (t.f.long_mode())
    for (unsigned l = 3; l <= t.f.levels(); ++l) path.upper[t.slot(va, l, 0x7)] = t.read(t.slot(va, l, 0x7));
  PdpteFile regs = mode == pg::Mode::Pae ? t.load_intel() : PdpteFile{};
  const std::uint64_t phys_4k = legacy ? 0x1234'5000 : 0x0000'0123'4567'8000;
  const std::uint64_t phys_big = legacy ? 0x2340'0000 : 0x0000'0234'5660'0000;
  std::uint64_t combos = 0, faults = 0;
  for (unsigned flags = 0; flags < (1u << kFlags); ++flags) {
    auto F = [&](unsigned f) { return (flags >> f) & 1; };
    // As access.c: the reserved-bit flag of a PDE without PS stands for bit 51,
    // with PS for bit 13 (bit 21 in a 32-bit 4 MiB PDE); PTE bits are
    // meaningless under a large PDE. 4-byte entries have no bit 63 or 51,
    // and no reserved bit in a PTE or a table-linking PDE.
    if (F(kPdePs) && (flags & 0x7F)) continue;
    if (legacy && (F(kPteNx) || F(kPdeNx) || F(kPteRsvd) || (F(kPdeRsvd) && !F(kPdePs)))) continue;
    const std::uint64_t big_rsvd = legacy ? bitv(21) : bitv(13);
    std::uint64_t pte = phys_4k | (F(kPteP) ? 1 : 0) | (F(kPteW) ? 2 : 0) | (F(kPteU) ? 4 : 0) |
                        (F(kPteA) ? 0x20 : 0) | (F(kPteD) ? 0x40 : 0) | (F(kPteNx) ? bitv(63) : 0) |
                        (F(kPteRsvd) ? bitv(51) : 0);
    std::uint64_t pde = (F(kPdePs) ? phys_big | 0x80 : pt) | (F(kPdeP) ? 1 : 0) | (F(kPdeW) ? 2 : 0) |
                        (F(kPdeU) ? 4 : 0) | (F(kPdeA) ? 0x20 : 0) | (F(kPdeD) ? 0x40 : 0) |
                        (F(kPdeNx) ? bitv(63) : 0) | (F(kPdeRsvd) ? (F(kPdePs) ? big_rsvd : bitv(51)) : 0);
    t.write(pte_at, pte);
    t.write(pde_at, pde);
    t.ctx.cr0_wp = F(kWp);
    t.ctx.cr4_smep = F(kSmep);
    t.ctx.cr4_smap = F(kSmap);
    t.ctx.eflags_ac = F(kAc);
    t.ctx.efer_nxe = F(kNxe);
    t.ctx.cpl = F(kCpl3) ? 3 : 0;
    for (Acc acc : {Acc::Read, Acc::Write, Acc::Fetch, Acc::ImplicitRead, Acc::ImplicitWrite}) {
      const pg::AccessKind k = acc == Acc::Fetch ? pg::AccessKind::Fetch
                               : (acc == Acc::Write || acc == Acc::ImplicitWrite) ? pg::AccessKind::Write
                                                                                  : pg::AccessKind::Read;
      const bool implicit = acc == Acc::ImplicitRead || acc == Acc::ImplicitWrite;
      const PagingWalkResult r =
          paging_walk(t.ctx, t.mem, t.cr3(), va, PagingAccess{k, implicit}, Vendor::Intel, &regs);
      const Expected e = oracle(path, flags, acc, pde_at, pde, pte_at, pte, va);
      ++combos;
      std::map<std::uint64_t, std::uint64_t> got;
      for (const PagingAdWrite& w : r.ad_writes) got[w.pa] = w.new_value;
      const bool ok = (r.outcome == PagingOutcome::PageFault) == e.fault &&
                      (e.fault ? r.error_code == e.error : r.outcome == PagingOutcome::Translation && r.pa == e.pa) &&
                      got == e.writes;
      if (e.fault) ++faults;
      if (!ok) {
        ADD_FAILURE() << pg::mode_name(mode) << " flags " << std::hex << flags << " access "
                      << static_cast<int>(acc) << ": model " << paging_outcome_name(r.outcome) << " error " << r.error_code << " pa " << r.pa << " writes "
                      << got.size() << " (" << r.why << "); oracle fault " << e.fault << " error " << e.error
                      << " pa " << e.pa << " writes " << e.writes.size();
        return;
      }
    }
  }
  // Both outcomes are well represented (the enumeration is not vacuous).
  EXPECT_GT(faults, combos / 4);
  EXPECT_LT(faults, combos);
  ::testing::Test::RecordProperty(std::string(pg::mode_name(mode)) + " combinations", std::to_string(combos));
}

TEST(PagingAccess, Bits32EveryCombinationMatchesTheOracle) { enumerate(pg::Mode::Bits32); }
TEST(PagingAccess, PaeEveryCombinationMatchesTheOracle) { enumerate(pg::Mode::Pae); }
TEST(PagingAccess, FourLevelEveryCombinationMatchesTheOracle) { enumerate(pg::Mode::Level4); }
TEST(PagingAccess, FiveLevelEveryCombinationMatchesTheOracle) { enumerate(pg::Mode::Level5); }

}  // namespace
}  // namespace ptspec::x86
