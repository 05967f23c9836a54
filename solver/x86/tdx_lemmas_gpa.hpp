// The x86.tdx lemma builders about addresses and entry values: the shared-bit
// split of the GPA space, the bits above the GPA width, KVM's gfn-unit
// shared-bit constants, the TD's MMIO SPTE under x86.ept's classification,
// and pg_level -> TDX SEPT level. Over a logic L (tdx_lemmas_common.hpp).
#pragma once

#include <z3++.h>

#include <cstdint>
#include <vector>

#include "model/core/bits.hpp"
#include "model/x86/ept_entry.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/x86/tdx_lemmas_common.hpp"

namespace ptspec::solver::tdx {

inline constexpr unsigned kGpaws[2] = {48, 52};

// Every 64-bit GPA goes to exactly one of private / shared / invalid: invalid
// iff a bit at or above GPAW is set; else shared iff bit GPAW-1 is set. The
// private alias (shared bit cleared) of a shared GPA is private.
template <class L> Claim gpa_route_exactly_one(z3::context& c) {
  Symbolic d(c);
  z3::expr gpa = d.var("gpa");
  SelectedCases cases(d);
  for (unsigned w : kGpaws) {
    z3::expr r = L::gpa_route(d, w, gpa);
    z3::expr invalid = !spec::bits_zero(gpa, 63, w);
    z3::expr shared = !invalid && spec::bit_of(gpa, w - 1);
    z3::expr priv = !invalid && !spec::bit_of(gpa, w - 1);
    z3::expr one = (r == d.lit(0)) == priv && (r == d.lit(1)) == shared && (r == d.lit(2)) == invalid &&
                   d.ule(r, d.lit(2));
    z3::expr alias = d.implies(shared, L::gpa_route(d, w, L::gpa_strip_shared(d, w, gpa)) == d.lit(0) &&
                                           (L::gpa_strip_shared(d, w, gpa) ^ gpa) == d.lit(bit(w - 1)));
    cases.add(one && alias, {{"gpaw", w}});
  }
  return cases.claim({{"gpa", gpa}});
}

// Under GPAW 48 any GPA with one of bits 51:48 set is invalid; under GPAW 52
// those bits are address bits (a GPA with bits 63:52 clear is never invalid).
template <class L> Claim gpaw48_rejects_high_bits(z3::context& c) {
  Symbolic d(c);
  z3::expr gpa = d.var("gpa");
  z3::expr high = !spec::bits_zero(gpa, 51, 48);
  z3::expr holds = d.implies(high, L::gpa_route(d, 48, gpa) == d.lit(2)) &&
                   d.implies(spec::bits_zero(gpa, 63, 52), L::gpa_route(d, 52, gpa) != d.lit(2));
  return Claim(holds, {{"gpa", gpa}, {"route48", L::gpa_route(d, 48, gpa)}, {"route52", L::gpa_route(d, 52, gpa)}});
}

// KVM's TDX_SHARED_BIT_PWL_4/5 are gpa_to_gfn(BIT(47/51)) = BIT(35/39); the
// GPA mask is gfn_to_gpa of them = BIT(47/51), a single bit, never the
// constant itself.
template <class L> Claim shared_mask_is_gfn_to_gpa(z3::context& c) {
  Symbolic d(c);
  SelectedCases cases(d);
  for (unsigned w : kGpaws) {
    z3::expr k = d.lit(L::shared_gfn_constant(w));
    z3::expr m = L::shared_gpa_mask(d, w);
    cases.add(k == d.lit(bit(w - 1 - 12)) && m == d.shl(k, 12) && m == d.lit(bit(w - 1)) && m != k &&
                  (m & (m - d.lit(1))) == d.lit(0) && m != d.lit(0),
              {{"gpaw", w}});
  }
  return cases.claim();
}

// The TD's MMIO SPTE (kvm_mmu_set_mmio_spte_value(kvm, 0)) is, for every GPA
// and every EPT configuration, an entry x86.ept's templates call not present
// and not misconfigured at any level -- so the walk reports an EPT violation
// -- with RWX and suppress-#VE (bit 63) clear, and the violation becomes a
// #VE; the initial SPTE is not present with suppress-#VE set (exits to KVM).
template <class L> Claim mmio_spte_violation_not_misconfig(z3::context& c) {
  Symbolic d(c);
  z3::expr gpa = d.var("gpa");
  SelectedCases cases(d);
  for (unsigned n = x86::kMinMaxPhyAddr; n <= x86::kMaxMaxPhyAddr; ++n)
    for (unsigned f = 0; f < 4; ++f) {
      EptConfig cfg;
      cfg.maxphyaddr = n;
      cfg.mbec = (f & 1) != 0;
      cfg.exec_only_supported = (f & 2) != 0;
      z3::expr m = L::mmio_spte(d, cfg, gpa);
      z3::expr init = L::initial_spte(d);
      z3::expr ok = spec::bits_zero(m, 2, 0) && !spec::bit_of(m, 63) && !x86::ept::is_present(d, cfg, m) &&
                    L::violation_becomes_ve(d, cfg, m) && !x86::ept::is_present(d, cfg, init) &&
                    spec::bit_of(init, 63) && !L::violation_becomes_ve(d, cfg, init);
      for (unsigned level = 1; level <= 5; ++level) ok = ok && !x86::ept::is_misconfigured(d, cfg, m, level);
      cases.add(ok, {{"maxphyaddr", n}, {"mbec", cfg.mbec}, {"exec_only", cfg.exec_only_supported}});
    }
  return cases.claim({{"gpa", gpa}});
}

// pg_level_to_tdx_sept_level: for every 64-bit level, supported exactly for
// 1..4 (PG_LEVEL_4K..PG_LEVEL_512G, never PG_LEVEL_NONE), or 1..5 under a
// 5-level EPT (the PML5 root's entries); there the TDX level is level - 1 and
// an entry at it maps KVM's page size for the level (4K, 2M, 1G, 512G, 256T).
template <class L> Claim pg_level_to_sept_level(z3::context& c) {
  Symbolic d(c);
  z3::expr lv = d.var("pg_level");
  z3::expr t = L::pg_to_tdx_level(d, lv);
  z3::expr size = d.ite(lv == d.lit(1), d.lit(0x1000),
                        d.ite(lv == d.lit(2), d.lit(0x20'0000),
                              d.ite(lv == d.lit(3), d.lit(0x4000'0000), d.ite(lv == d.lit(4), d.lit(bit(39)), d.lit(bit(48))))));
  SelectedCases cases(d);
  for (unsigned levels : {4u, 5u}) {
    z3::expr sup = L::pg_level_supported(d, lv, levels);
    z3::expr in_range = d.ule(d.lit(1), lv) && d.ule(lv, d.lit(levels));
    cases.add(sup == in_range && d.implies(sup, t + d.lit(1) == lv && L::tdx_level_size(d, t) == size),
              {{"ept_levels", levels}});
  }
  return cases.claim({{"pg_level", lv}, {"tdx_level", t}, {"size", L::tdx_level_size(d, t)}});
}

}  // namespace ptspec::solver::tdx
