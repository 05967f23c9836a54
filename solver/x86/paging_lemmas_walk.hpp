// The x86.paging lemma builders about the walk's rules, over a logic L
// (paging_lemmas_common.hpp): the #PF error code (SDM §4.7), the access
// rights (§4.6), A/D updates (§4.8) and the Intel/AMD PDPTE equivalence.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <vector>

#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/x86/paging_lemmas_common.hpp"

namespace ptspec::solver::paging {

// Every Rights combination the error code depends on, and a label for it.
inline std::vector<Rights> all_rights() {
  std::vector<Rights> v;
  for (unsigned m = 0; m < 64; ++m) {
    Rights r;
    r.wp = m & 1;
    r.smep = m & 2;
    r.smap = m & 4;
    r.ac = m & 8;
    r.user = m & 16;
    r.implicit = m & 32;
    if (r.user && r.implicit) continue;  // an implicit access is a supervisor access
    v.push_back(r);
  }
  return v;
}
inline std::uint64_t rights_label(const Rights& r) {
  return (r.wp ? 1 : 0) | (r.smep ? 2 : 0) | (r.smap ? 4 : 0) | (r.ac ? 8 : 0) | (r.user ? 16 : 0) |
         (r.implicit ? 32 : 0);
}
// One representative Format per mode and NXE (the error code does not
// depend on MAXPHYADDR beyond the reserved mask, covered elsewhere).
inline std::vector<Format> mode_formats() {
  std::vector<Format> v;
  for (Mode m : kModes)
    for (bool nxe : {false, true}) v.push_back(fmt_of(m, 40, nxe));
  return v;
}

// §4.7: for every entry, mode, level, access and rights, a fault at the
// entry has error-code P = 1 iff the entry is present, RSVD = 1 iff it is
// present with a reserved bit (so RSVD implies P), W/R = a write, U/S = a
// user-mode access; a protection fault has P = 1 and RSVD = 0.
template <class L> Claim error_code_p_and_rsvd(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  SelectedCases cases(d);
  using spec::bit_of;
  for (const Format& f : mode_formats())
    for (unsigned level = 1; level <= f.levels(); ++level)
      for (AccessKind k : kKinds)
        for (bool user : {false, true}) {
          Rights r;
          r.user = user;
          z3::expr ec = L::entry_error_code(d, f, r, k, pte, level);
          z3::expr pc = L::protection_error_code(d, f, r, k);
          z3::expr present = bit_of(pte, 0);
          z3::expr rsvd = present && spec::reserved_in(d, f, pte, level) != d.lit(0);
          z3::expr holds = bit_of(ec, 0) == present && bit_of(ec, 3) == rsvd &&
                           d.implies(bit_of(ec, 3), bit_of(ec, 0)) && bit_of(ec, 1) == d.blit(k == AccessKind::Write) &&
                           bit_of(ec, 2) == d.blit(user) && bit_of(pc, 0) && !bit_of(pc, 3) &&
                           ec.extract(63, 5) == c.bv_val(0, 59) && pc.extract(63, 5) == c.bv_val(0, 59);
          Labels lb = labels_of(f, level);
          lb.push_back({"kind", static_cast<std::uint64_t>(k)});
          lb.push_back({"user", user});
          cases.add(holds, lb);
        }
  return cases.claim({{"pte", pte}});
}

// §4.7: the I/D bit is set exactly for an instruction fetch with CR4.SMEP = 1
// or with PAE/IA-32e paging and EFER.NXE = 1 -- never otherwise (access.c
// clears PFERR_FETCH_MASK unless EFER.NX or CR4.SMEP).
template <class L> Claim id_bit_only_with_nxe_or_smep(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  SelectedCases cases(d);
  for (const Format& f : mode_formats())
    for (AccessKind k : kKinds)
      for (bool smep : {false, true}) {
        Rights r;
        r.smep = smep;
        const bool id = k == AccessKind::Fetch && (smep || (f.nxe && f.mode != Mode::Bits32));
        z3::expr holds = spec::bit_of(L::entry_error_code(d, f, r, k, pte, 1), 4) == d.blit(id) &&
                         spec::bit_of(L::protection_error_code(d, f, r, k), 4) == d.blit(id);
        cases.add(holds, {{"mode", static_cast<std::uint64_t>(f.mode)}, {"nxe", f.nxe},
                          {"kind", static_cast<std::uint64_t>(k)}, {"smep", smep}});
      }
  return cases.claim({{"pte", pte}});
}

// Seed 002 (Sean Christopherson's correction, quoting the SDM and the APM):
// Intel (checked at CR3 load / VM entry) and AMD NPT (checked on use as the
// walk's level-3 entry) accept exactly the same present PDPTEs: Intel
// refuses a present PDPTE iff AMD's use finds a reserved bit and reports
// #PF with P = 1 and RSVD = 1; a not-present PDPTE is accepted by Intel's
// check and faults on use with P = 0 and RSVD = 0 on both.
template <class L> Claim intel_amd_pdpte_agree(z3::context& c) {
  Symbolic d(c);
  z3::expr e = d.var("pdpte");
  SelectedCases cases(d);
  using spec::bit_of;
  for (unsigned n = xp::kMinMaxPhyAddr; n <= xp::kMaxMaxPhyAddr; ++n)
    for (bool nxe : {false, true}) {
      const Format f = fmt_of(Mode::Pae, n, nxe);
      z3::expr amd_rsvd = L::reserved_bits(d, f, e, 3) != d.lit(0);
      z3::expr ec = L::entry_error_code(d, f, Rights{}, AccessKind::Read, e, 3);
      z3::expr intel_refuses = L::pdpte_invalid(d, n, e);
      z3::expr holds = d.implies(bit_of(e, 0), intel_refuses == amd_rsvd && bit_of(ec, 3) == intel_refuses &&
                                                   bit_of(ec, 0)) &&
                       d.implies(!bit_of(e, 0), !intel_refuses && !bit_of(ec, 0) && !bit_of(ec, 3));
      cases.add(holds, {{"maxphyaddr", n}, {"nxe", nxe}});
    }
  return cases.claim({{"pdpte", e}});
}

// §4.6.1: access_denied over the rights ANDed along the path (bit 0 X,
// 1 W, 2 U) is the SDM's rule for every context and access: user mode needs
// U, writes W, fetches X; supervisor fetches need X and, with SMEP, a
// supervisor page; supervisor data accesses to user pages fault with SMAP
// when implicit or EFLAGS.AC = 0; supervisor writes need W when CR0.WP = 1.
template <class L> Claim access_rights_match_sdm(z3::context& c) {
  Symbolic d(c);
  z3::expr perms = d.var("perms");
  SelectedCases cases(d);
  using spec::bit_of;
  z3::expr x = bit_of(perms, 0), w = bit_of(perms, 1), u = bit_of(perms, 2);
  for (const Rights& r : all_rights())
    for (AccessKind k : kKinds) {
      if (r.implicit && k == AccessKind::Fetch) continue;
      const bool write = k == AccessKind::Write, fetch = k == AccessKind::Fetch;
      z3::expr deny = d.blit(false);
      if (r.user)
        deny = !u || (d.blit(write) && !w) || (d.blit(fetch) && !x);
      else if (fetch)
        deny = !x || (d.blit(r.smep) && u);
      else
        deny = (d.blit(r.smap) && u && d.blit(r.implicit || !r.ac)) || (d.blit(write && r.wp) && !w);
      cases.add(L::access_denied(d, r, k, perms) == deny,
                {{"rights", rights_label(r)}, {"kind", static_cast<std::uint64_t>(k)}});
    }
  return cases.claim({{"perms", perms}});
}

// The rights an entry contributes: R/W and U/S as they are, X = XD clear
// when XD is enabled (PAE/IA-32e with NXE) and 1 otherwise; a PAE PDPTE
// contributes all three (it has no R/W, U/S or XD, Table 4-8).
template <class L> Claim perms_match_entry_bits(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  SelectedCases cases(d);
  using spec::bit_of;
  for (const Format& f : mode_formats())
    for (unsigned level = 1; level <= f.levels(); ++level) {
      z3::expr p = L::perms_of(d, f, pte, level);
      const bool pdpte = f.mode == Mode::Pae && level == 3;
      const bool xd = f.nxe && f.mode != Mode::Bits32;
      z3::expr holds = pdpte ? p == d.lit(7)
                             : (bit_of(p, 1) == bit_of(pte, 1) && bit_of(p, 2) == bit_of(pte, 2) &&
                                bit_of(p, 0) == (xd ? !bit_of(pte, 63) : d.blit(true)) &&
                                p.extract(63, 3) == c.bv_val(0, 61));
      cases.add(holds, labels_of(f, level));
    }
  return cases.claim({{"pte", pte}});
}

// §4.8: the update of an entry used by a completed translation sets A
// (bit 5), sets D (bit 6) only on the leaf of a write, and changes no other bit.
template <class L> Claim ad_update_sets_only_a_d(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  SelectedCases cases(d);
  for (bool leaf : {false, true})
    for (AccessKind k : kKinds) {
      z3::expr n = L::ad_update(d, pte, leaf, k);
      const bool dirty = leaf && k == AccessKind::Write;
      z3::expr holds = spec::bit_of(n, 5) && spec::bit_of(n, 6) == (d.blit(dirty) || spec::bit_of(pte, 6)) &&
                       (n & d.lit(~std::uint64_t{0x60})) == (pte & d.lit(~std::uint64_t{0x60}));
      cases.add(holds, {{"leaf", leaf}, {"kind", static_cast<std::uint64_t>(k)}});
    }
  return cases.claim({{"pte", pte}});
}

}  // namespace ptspec::solver::paging
