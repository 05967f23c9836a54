// The x86.shadow lemma builders about kvm_mmu_page_role and the root-role
// computation (seed 002 as corrected by its review). Over a logic L
// (shadow_lemmas_common.hpp).
#pragma once

#include <z3++.h>

#include <cstdint>
#include <vector>

#include "model/core/bits.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/x86/shadow_lemmas_common.hpp"

namespace ptspec::solver::shadow {

// Free role fields, each within its width (from the literal layout).
struct RoleVars {
  Role r;
  z3::expr in_range;
  std::vector<Reported> report;
};
inline RoleVars role_vars(const Symbolic& d) {
  std::vector<z3::expr> v;
  std::vector<Reported> rep;
  z3::expr in_range = d.blit(true);
  for (const spec::SpecField& f : spec::kRoleLayout) {
    v.push_back(d.var(f.name));
    in_range = in_range && d.ult(v.back(), d.lit(bit(f.hi - f.lo + 1)));
    rep.push_back({f.name, v.back()});
  }
  Role r{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14]};
  return {r, in_range, rep};
}

// encode_role puts every field at the bit range of the kernel's layout
// (level 3:0 ... pae_root 19, smm 31:24), leaves 23:20 and 63:32 clear.
template <class L> Claim role_layout_matches_kernel(z3::context& ctx) {
  Symbolic d(ctx);
  RoleVars rv = role_vars(d);
  z3::expr w = L::encode_role(d, rv.r);
  const auto members = x86::shadow::role_members<Symbolic>();
  z3::expr placed = d.blit(true);
  for (std::size_t i = 0; i < members.size(); ++i) {
    const spec::SpecField& f = spec::kRoleLayout[i];
    placed = placed && spec::bits_are(w, f.hi, f.lo, rv.r.*members[i]);
  }
  z3::expr holds = d.implies(rv.in_range, placed && spec::bits_zero(w, 23, 20) && spec::bits_zero(w, 63, 32));
  std::vector<Reported> rep = rv.report;
  rep.push_back({"word", w});
  return Claim(holds, rep);
}

// decode(encode(fields)) gives the fields back and the encoded word has no
// unused bit; encode(decode(w)) == w for every word without unused bits.
template <class L> Claim role_round_trip(z3::context& ctx) {
  Symbolic d(ctx);
  RoleVars rv = role_vars(d);
  z3::expr w = L::encode_role(d, rv.r);
  Role back = L::decode_role(d, w);
  const auto members = x86::shadow::role_members<Symbolic>();
  z3::expr same = d.blit(true);
  for (const auto m : members) same = same && back.*m == rv.r.*m;
  z3::expr word = d.var("word");
  z3::expr clean = spec::bits_zero(word, 23, 20) && spec::bits_zero(word, 63, 32);
  z3::expr holds = d.implies(rv.in_range, same && L::role_unused_bits(d, w) == d.lit(0)) &&
                   d.implies(clean, L::encode_role(d, L::decode_role(d, word)) == word &&
                                        L::role_unused_bits(d, word) == d.lit(0)) &&
                   d.implies(!clean, L::role_unused_bits(d, word) != d.lit(0));
  std::vector<Reported> rep = rv.report;
  rep.push_back({"word", word});
  return Claim(holds, rep);
}

// The three root kinds over every valid context and TDP level 3..5, as role
// words: shadow paging, TDP (ad_disabled free), shadow NPT.
struct RootWords {
  Regs r;
  z3::expr tdp_level, ad, shadow, tdp, npt, pre;
};
template <class L> RootWords root_words(const Symbolic& d) {
  Regs r = spec::regs(d);
  z3::expr lv = d.var("tdp_level");
  z3::expr ad = d.bvar("ad_disabled");
  z3::expr pre = spec::valid(d, r) && d.ule(d.lit(3), lv) && d.ule(lv, d.lit(5));
  return {r, lv, ad, L::shadow_mmu_root(d, r), L::tdp_root(d, r, lv, ad), L::shadow_npt_root(d, r, lv), pre};
}
inline std::vector<Reported> root_report(const Symbolic& d, const RootWords& w) {
  std::vector<Reported> rep = spec::report_regs(d, w.r);
  rep.push_back({"tdp_level", w.tdp_level});
  rep.push_back({"shadow_role", w.shadow});
  rep.push_back({"tdp_role", w.tdp});
  rep.push_back({"npt_role", w.npt});
  return rep;
}
inline z3::expr level_of(const z3::expr& w) { return w.extract(3, 0); }

// pae_root (bit 19) <=> level (3:0) == 3, for every root kind and context.
template <class L> Claim pae_root_iff_level3(z3::context& ctx) {
  Symbolic d(ctx);
  RootWords w = root_words<L>(d);
  z3::expr three = ctx.bv_val(3, 4);
  z3::expr holds = d.implies(w.pre, (spec::bit_of(w.shadow, 19) == (level_of(w.shadow) == three)) &&
                                        (spec::bit_of(w.tdp, 19) == (level_of(w.tdp) == three)) &&
                                        (spec::bit_of(w.npt, 19) == (level_of(w.npt) == three)));
  return Claim(holds, root_report(d, w));
}

// kvm_calc_shadow_mmu_root_page_role, reviewed: level 3 outside IA-32e, 5/4
// by LA57 inside; direct = !PG; level_promoted = PG && level > the guest's
// level (0/2/3/4/5); has_4_byte_gpte = PG && !PAE; smep/smap_andnot_wp with
// PG; pae_root at level 3; the common bits; ad_disabled clear.
template <class L> Claim shadow_root_role_reviewed_rule(z3::context& ctx) {
  Symbolic d(ctx);
  RootWords w = root_words<L>(d);
  const Regs& r = w.r;
  z3::expr level = d.ite(!r.efer_lma, d.lit(3), d.ite(r.cr4_la57, d.lit(5), d.lit(4)));
  z3::expr s = w.shadow;
  z3::expr holds = d.implies(
      spec::valid(d, r),
      spec::bits_are(s, 3, 0, level) && spec::bit_of(s, 7) == !r.cr0_pg &&
          spec::bit_of(s, 18) == (r.cr0_pg && d.ult(spec::guest_level(d, r), level)) &&
          spec::shadow_bits(d, r, s) && spec::common_bits(d, r, s) && !spec::bit_of(s, 16));
  return Claim(holds, root_report(d, w));
}

// kvm_calc_tdp_mmu_root_page_role and kvm_calc_shadow_npt_root_page_role:
// TDP -- direct, level = TDP level, no 4-byte gptes, ad_disabled as given, no
// smep/smap/promotion bits; shadow NPT -- indirect, level = TDP level,
// level_promoted iff the TDP level exceeds L1's, the shadow bits; both with
// the common bits.
template <class L> Claim tdp_npt_roles_reviewed_rule(z3::context& ctx) {
  Symbolic d(ctx);
  RootWords w = root_words<L>(d);
  const Regs& r = w.r;
  z3::expr t = w.tdp, n = w.npt;
  z3::expr tdp_ok = spec::bits_are(t, 3, 0, w.tdp_level) && spec::bit_of(t, 7) && !spec::bit_of(t, 4) &&
                    spec::bit_of(t, 16) == w.ad && spec::bits_zero(t, 15, 14) && !spec::bit_of(t, 18) &&
                    spec::common_bits(d, r, t);
  z3::expr npt_ok = spec::bits_are(n, 3, 0, w.tdp_level) && !spec::bit_of(n, 7) &&
                    spec::bit_of(n, 18) == d.ult(spec::guest_level(d, r), w.tdp_level) &&
                    spec::shadow_bits(d, r, n) && !spec::bit_of(n, 16) && spec::common_bits(d, r, n);
  return Claim(d.implies(w.pre, tdp_ok && npt_ok), root_report(d, w));
}

// kvm_mmu_get_page (review's form): for every root kind and context, the
// pages below the root (level 1 .. root level - 1) never carry pae_root, and
// carry level_promoted only above the guest's root level.
template <class L> Claim non_root_never_pae_root(z3::context& ctx) {
  Symbolic d(ctx);
  RootWords w = root_words<L>(d);
  z3::expr guest = spec::guest_level(d, w.r);
  z3::expr holds = d.blit(true);
  for (const z3::expr& root : {w.shadow, w.tdp, w.npt}) {
    z3::expr root_level = root & d.lit(0xF);  // bits 3:0
    for (unsigned level = 1; level <= 4; ++level) {
      z3::expr page = L::page_role_at(d, root, level, guest);
      z3::expr ok = !spec::bit_of(page, 19) && spec::bits_are(page, 3, 0, d.lit(level)) &&
                    d.implies(d.ule(d.lit(level), guest), !spec::bit_of(page, 18));
      holds = holds && d.implies(d.ult(d.lit(level), root_level), ok);
    }
  }
  return Claim(d.implies(w.pre, holds), root_report(d, w));
}

// A PAE PDPT page is needed exactly for a pae_root root or for an indirect
// root of level >= 4 over a guest with fewer than 4 levels: for shadow NPT,
// a 32-bit (PAE or not) L1 under a 4/5-level host needs one (Linux "KVM:
// nSVM: Alloc page for PDPTEs when shadowing 32-bit NPT with 64-bit"); a
// shadow-paging root needs one iff it is level 3; a TDP root iff level 3.
template <class L> Claim pae_page_when_needed(z3::context& ctx) {
  Symbolic d(ctx);
  RootWords w = root_words<L>(d);
  z3::expr guest = spec::guest_level(d, w.r);
  z3::expr lv3 = w.tdp_level == d.lit(3);
  z3::expr shadow3 = !w.r.efer_lma;
  // Shadow NPT runs with CR0 = X86_CR0_PG (nested_svm_init_mmu_context).
  z3::expr npt = d.implies(w.r.cr0_pg,
                           (L::needs_pae_page(d, w.npt, guest) == d.lit(1)) == (lv3 || d.ult(guest, d.lit(4))));
  z3::expr holds = npt && (L::needs_pae_page(d, w.shadow, guest) == d.lit(1)) == shadow3 &&
                   (L::needs_pae_page(d, w.tdp, guest) == d.lit(1)) == lv3;
  return Claim(d.implies(w.pre, holds), root_report(d, w));
}

}  // namespace ptspec::solver::shadow
