// Exhaustive permission-combination test in the style of kvm-unit-tests
// x86/access.c: every combination of PTE bits (P, R/W, U/S, A, D, NX, a
// reserved bit) x PDE bits (P, R/W, U/S, A, D, PS, NX, a reserved bit) x
// context (CR0.WP, CR4.SMEP, CR4.SMAP, EFLAGS.AC, EFER.NXE, CPL 0/3) x access
// (read, write, fetch, implicit read, implicit write), in 4-level paging.
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

// The oracle. Entry bits by their SDM positions: P 0, R/W 1, U/S 2, A 5, D 6,
// PS 7, XD 63; the reserved bit is 51 (MAXPHYADDR 46), or 13 in a 2 MiB PDE.
Expected oracle(unsigned flags, Acc acc, std::uint64_t pml4e_at, std::uint64_t pml4e, std::uint64_t pdpte_at,
                std::uint64_t pdpte, std::uint64_t pde_at, std::uint64_t pde, std::uint64_t pte_at, std::uint64_t pte,
                std::uint64_t va) {
  auto F = [&](unsigned f) { return (flags >> f) & 1; };
  const bool write = acc == Acc::Write || acc == Acc::ImplicitWrite;
  const bool fetch = acc == Acc::Fetch;
  const bool implicit = acc == Acc::ImplicitRead || acc == Acc::ImplicitWrite;
  const bool user = F(kCpl3) && !implicit;
  Expected e;
  // §4.7: W/R, U/S from the access; I/D only with SMEP or (PAE/IA-32e and NXE).
  std::uint64_t access_bits = (write ? 2 : 0) | (user ? 4 : 0) | (fetch && (F(kNxe) || F(kSmep)) ? 16 : 0);
  // The PDE: not present -> P = 0; present with a reserved bit (or XD without NXE) -> P | RSVD.
  const bool pde_rsvd = F(kPdeRsvd) || (F(kPdeNx) && !F(kNxe));
  if (!F(kPdeP)) { e.fault = true; e.error = access_bits; return e; }
  if (pde_rsvd) { e.fault = true; e.error = access_bits | 1 | 8; return e; }
  bool w = F(kPdeW), u = F(kPdeU), x = !(F(kNxe) && F(kPdeNx));
  if (!F(kPdePs)) {
    const bool pte_rsvd = F(kPteRsvd) || (F(kPteNx) && !F(kNxe));
    if (!F(kPteP)) { e.fault = true; e.error = access_bits; return e; }
    if (pte_rsvd) { e.fault = true; e.error = access_bits | 1 | 8; return e; }
    w = w && F(kPteW);
    u = u && F(kPteU);
    x = x && !(F(kNxe) && F(kPteNx));
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
  e.writes[pml4e_at] = pml4e | 0x20;
  e.writes[pdpte_at] = pdpte | 0x20;
  if (F(kPdePs)) {
    const std::uint64_t n = pde | 0x20 | (write ? 0x40 : 0);
    if (n != pde) e.writes[pde_at] = n;
    e.pa = (pde & 0x3FFF'FFE0'0000) | (va & 0x1F'FFFF);
  } else {
    if (!F(kPdeA)) e.writes[pde_at] = pde | 0x20;
    const std::uint64_t n = pte | 0x20 | (write ? 0x40 : 0);
    if (n != pte) e.writes[pte_at] = n;
    e.pa = (pte & 0x3FFF'FFFF'F000) | (va & 0xFFF);
  }
  return e;
}

TEST(PagingAccess, EveryCombinationMatchesTheOracle) {
  PagingContext c = ctx_long(false, true);
  GuestTables t(c);
  const std::uint64_t va = 0x1234'5640'1678;
  const std::uint64_t pte_at = t.slot(va, 1, 0x7);
  const std::uint64_t pde_at = t.slot(va, 2, 0x7);
  const std::uint64_t pdpte_at = t.slot(va, 3, 0x7);
  const std::uint64_t pml4e_at = t.slot(va, 4, 0x7);
  const std::uint64_t pt = t.read(pde_at) & ~std::uint64_t{0xFFF};
  const std::uint64_t pml4e = t.read(pml4e_at), pdpte = t.read(pdpte_at);
  const std::uint64_t phys_4k = 0x0000'0123'4567'8000, phys_2m = 0x0000'0234'5660'0000;
  std::uint64_t combos = 0, faults = 0;
  for (unsigned flags = 0; flags < (1u << kFlags); ++flags) {
    auto F = [&](unsigned f) { return (flags >> f) & 1; };
    // As access.c: the reserved-bit flag of a PDE without PS stands for bit 51,
    // with PS for bit 13; PTE bits are meaningless under a 2 MiB PDE.
    if (F(kPdePs) && (flags & 0x7F)) continue;
    std::uint64_t pte = phys_4k | (F(kPteP) ? 1 : 0) | (F(kPteW) ? 2 : 0) | (F(kPteU) ? 4 : 0) |
                        (F(kPteA) ? 0x20 : 0) | (F(kPteD) ? 0x40 : 0) | (F(kPteNx) ? bitv(63) : 0) |
                        (F(kPteRsvd) ? bitv(51) : 0);
    std::uint64_t pde = (F(kPdePs) ? phys_2m | 0x80 : pt) | (F(kPdeP) ? 1 : 0) | (F(kPdeW) ? 2 : 0) |
                        (F(kPdeU) ? 4 : 0) | (F(kPdeA) ? 0x20 : 0) | (F(kPdeD) ? 0x40 : 0) |
                        (F(kPdeNx) ? bitv(63) : 0) | (F(kPdeRsvd) ? (F(kPdePs) ? bitv(13) : bitv(51)) : 0);
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
      const PagingWalkResult r = paging_walk(t.ctx, t.mem, t.cr3(), va, PagingAccess{k, implicit});
      const Expected e = oracle(flags, acc, pml4e_at, pml4e, pdpte_at, pdpte, pde_at, pde, pte_at, pte, va);
      ++combos;
      std::map<std::uint64_t, std::uint64_t> got;
      for (const PagingAdWrite& w : r.ad_writes) got[w.pa] = w.new_value;
      const bool ok = (r.outcome == PagingOutcome::PageFault) == e.fault &&
                      (e.fault ? r.error_code == e.error : r.outcome == PagingOutcome::Translation && r.pa == e.pa) &&
                      got == e.writes;
      if (e.fault) ++faults;
      if (!ok) {
        ADD_FAILURE() << "flags " << std::hex << flags << " access " << static_cast<int>(acc) << ": model "
                      << paging_outcome_name(r.outcome) << " error " << r.error_code << " pa " << r.pa << " writes "
                      << got.size() << " (" << r.why << "); oracle fault " << e.fault << " error " << e.error
                      << " pa " << e.pa << " writes " << e.writes.size();
        return;
      }
    }
  }
  // Both outcomes are well represented (the enumeration is not vacuous).
  EXPECT_GT(faults, combos / 4);
  EXPECT_LT(faults, combos);
  RecordProperty("combinations", std::to_string(combos));
}

}  // namespace
}  // namespace ptspec::x86
