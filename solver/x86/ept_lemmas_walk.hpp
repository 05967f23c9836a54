// The x86.ept lemma builders about the walk and what it reports, over a
// logic L (ept_lemmas_common.hpp): the access check, the EPT-violation exit
// qualification, A/D updates, the GPA indices, the walk step over symbolic
// memory, and the EPTP. Each returns the claim (one obligation per
// configuration) and the terms to report.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <vector>

#include "model/core/bits.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/symmem.hpp"
#include "solver/x86/ept_lemmas_common.hpp"

namespace ptspec::solver::ept {

// The permission bit each access needs (SDM "EPT violations"): read bit 0,
// write bit 1, supervisor fetch bit 2, user fetch bit 10 under MBEC and bit 2
// otherwise.
constexpr unsigned required_bit(Access a, bool mbec) {
  switch (a) {
    case Access::Read: return 0;
    case Access::Write: return 1;
    case Access::ExecSupervisor: return 2;
    case Access::ExecUser: return mbec ? 10 : 2;
  }
  return 64;
}

// (9) access_allowed <=> the required bit is set in the permissions.
template <class L> Claim access_allowed_iff_required_bit(z3::context& c) {
  Symbolic d(c);
  z3::expr perms = d.var("perms");
  SelectedCases cases(d);
  for (bool mbec : {false, true})
    for (Access a : kAccesses)
      cases.add(L::access_allowed(d, config(46, mbec), perms, a) == spec::bit_of(perms, required_bit(a, mbec)),
                {{"mbec", mbec}, {"access", static_cast<std::uint64_t>(a)}});
  return cases.claim({{"perms", perms}});
}

// (7) The exit qualification for permissions ANDed over two entries (via
// perms_of): bits 2:0 the one-hot access kind, 5:3 the AND of R/W/X, 6 the
// AND of user-X under MBEC (0 without), 7 linear-address valid, 8 only with
// 7, and nothing above bit 8.
template <class L> Claim exit_qualification_bits(z3::context& c) {
  Symbolic d(c);
  z3::expr e1 = d.var("entry_hi"), e2 = d.var("entry_lo");
  SelectedCases cases(d);
  using spec::bit_of;
  for (bool mbec : {false, true}) {
    const EptConfig cfg = config(46, mbec);
    z3::expr perms = L::perms_of(d, cfg, e1) & L::perms_of(d, cfg, e2);
    for (Access a : kAccesses) {
      const unsigned kind = a == Access::Read ? 0b001 : a == Access::Write ? 0b010 : 0b100;
      for (unsigned lin = 0; lin < 4; ++lin) {  // every (linear valid, final translation)
        const bool lv = (lin & 1) != 0, ft = (lin & 2) != 0;
        z3::expr q = L::exit_qualification(d, cfg, a, perms, lv, ft);
        auto both = [&](unsigned b) { return bit_of(e1, b) && bit_of(e2, b); };
        z3::expr holds = q.extract(2, 0) == c.bv_val(kind, 3) && bit_of(q, 3) == both(0) &&
                         bit_of(q, 4) == both(1) && bit_of(q, 5) == both(2) &&
                         bit_of(q, 6) == (d.blit(mbec) && both(10)) && bit_of(q, 7) == d.blit(lv) &&
                         bit_of(q, 8) == d.blit(lv && ft) && d.implies(bit_of(q, 8), bit_of(q, 7)) &&
                         spec::bits_zero(q, 63, 9);
        cases.add(holds, {{"mbec", mbec}, {"access", static_cast<std::uint64_t>(a)}, {"linear_valid", lv},
                          {"final_translation", ft}});
      }
    }
  }
  return cases.claim({{"entry_hi", e1}, {"entry_lo", e2}});
}

// (8) A/D: with A/D enabled the update sets A (bit 8), D (bit 9) only on the
// leaf of a write, and changes no other bit; with A/D disabled it writes
// nothing.
template <class L> Claim ad_update_sets_only_a_d(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  SelectedCases cases(d);
  using spec::bit_of;
  for (bool ad : {false, true}) {
    const EptConfig cfg = config(46, false, true, true, 4, ad);
    for (bool leaf : {false, true}) {
      for (Access a : kAccesses) {
        z3::expr n = L::ad_update(d, cfg, pte, leaf, a);
        const bool dirty = leaf && a == Access::Write;
        z3::expr holds = ad ? bit_of(n, 8) && bit_of(n, 9) == (bit_of(pte, 9) || d.blit(dirty)) &&
                                  ((n ^ pte) & d.lit(~std::uint64_t{0x300})) == d.lit(0)
                            : n == pte;
        cases.add(holds, {{"ad", ad}, {"leaf", leaf}, {"access", static_cast<std::uint64_t>(a)}});
      }
    }
  }
  return cases.claim({{"pte", pte}});
}

// (11) The indices of levels 1..levels are each below 512 and, with the
// page offset, rebuild the GPA's 48 (4-level) or 57 (5-level) bits.
template <class L> Claim indices_partition_gpa(z3::context& c) {
  Symbolic d(c);
  z3::expr gpa = d.var("gpa");
  SelectedCases cases(d);
  for (unsigned levels : {4u, 5u}) {
    z3::expr rebuilt = gpa & d.lit(0xFFF);
    z3::expr in_range = d.blit(true);
    for (unsigned level = 1; level <= levels; ++level) {
      z3::expr idx = L::table_index(d, gpa, level);
      in_range = in_range && d.ult(idx, d.lit(512));
      rebuilt = rebuilt | d.shl(idx, spec::kShift[level]);
    }
    const unsigned top = spec::kShift[levels] + 9;  // 48 or 57
    cases.add(in_range && rebuilt == (gpa & d.lit(genmask(top - 1, 0))), {{"levels", levels}});
  }
  return cases.claim({{"gpa", gpa}});
}

// (10) Over symbolic memory, at every level: the entry address is 8-aligned
// inside the 4 KiB table, two GPAs share an entry iff their index bits agree,
// and the walk step reads exactly the word stored at table + 8 * index.
template <class L> Claim walk_step_reads_selected_entry(z3::context& c) {
  Symbolic d(c);
  z3::expr base = d.var("table"), gpa = d.var("gpa"), gpa2 = d.var("gpa2"), k = d.var("k"), v = d.var("v");
  SymMem mem(c, "mem");
  CaseSplit cases;  // one obligation per level: arrays solve faster apart
  for (unsigned level = 1; level <= 5; ++level) {
    auto index = [&](const z3::expr& a) { return d.lshr(a, spec::kShift[level]) & d.lit(511); };
    z3::expr pre = d.aligned(base, 4096) && d.ult(base, d.lit(bit(52)));
    z3::expr ea = L::entry_address(d, base, gpa, level);
    z3::expr ea2 = L::entry_address(d, base, gpa2, level);
    z3::expr in_table = d.ule(base, ea) && d.ult(ea, base + d.lit(4096)) && d.aligned(ea, 8);
    z3::expr same_entry = (ea == ea2) == (index(gpa) == index(gpa2));
    SymMem written = mem.store(base + d.shl(k, 3), v);
    z3::expr read = L::walk_step_read(d, written, base, gpa, level);
    z3::expr expected = d.ite(index(gpa) == k, v, mem.load(d, base + d.shl(index(gpa), 3)));
    cases.add(d.implies(pre, in_table && same_entry && d.implies(d.ult(k, d.lit(512)), read == expected)),
              {{"level", level}});
  }
  return cases.claim({{"table", base}, {"gpa", gpa}, {"gpa2", gpa2}, {"k", k}});
}

// The EPTP configurations: every MAXPHYADDR, 4 or 5 levels, A/D off or on.
template <class F> void for_each_eptp_config(F&& f) {
  for (unsigned n = x86::kMinMaxPhyAddr; n <= x86::kMaxMaxPhyAddr; ++n)
    for (unsigned levels : {4u, 5u})
      for (bool ad : {false, true}) f(config(n, false, true, true, levels, ad));
}
inline Labels eptp_labels(const EptConfig& cfg) {
  return {{"maxphyaddr", cfg.maxphyaddr}, {"levels", cfg.levels}, {"ad", cfg.ad_enabled}};
}

// (12) make_eptp, for a 4 KiB-aligned root below 2^MAXPHYADDR and memory
// type UC (0) or WB (6): passes eptp_valid, eptp_root gives the root back,
// and bits 2:0 / 5:3 / 6 hold the memory type, levels - 1 and the A/D enable.
template <class L> Claim eptp_round_trip(z3::context& c) {
  Symbolic d(c);
  z3::expr root = d.var("root"), mt = d.var("memtype");
  SelectedCases cases(d);
  for_each_eptp_config([&](const EptConfig& cfg) {
    using namespace spec;
    z3::expr pre = d.aligned(root, 4096) && d.ult(root, d.lit(bit(cfg.maxphyaddr))) &&
                   (mt == d.lit(0) || mt == d.lit(6));
    z3::expr p = L::make_eptp(d, cfg, root, mt);
    z3::expr holds = L::eptp_valid(d, cfg, p) && L::eptp_root(d, cfg, p) == root && bits_are(p, 2, 0, mt) &&
                     bits_are(p, 5, 3, d.lit(cfg.levels - 1)) && bit_of(p, 6) == d.blit(cfg.ad_enabled) &&
                     bits_are(p, 63, 12, d.lshr(root, 12)) && bits_zero(p, 11, 7);
    cases.add(d.implies(pre, holds), eptp_labels(cfg));
  });
  return cases.claim({{"root", root}, {"memtype", mt}});
}

// (12) eptp_valid accepts exactly the EPTPs the VM-entry checks accept:
// memory type 0 or 6, bits 5:3 = levels - 1, bit 6 = the A/D enable, bits
// 11:8 and 63:MAXPHYADDR clear (bit 7, supervisor shadow stacks, is not
// modelled and left free) -- so it rejects each reserved bit.
template <class L> Claim eptp_valid_matches_sdm(z3::context& c) {
  Symbolic d(c);
  z3::expr p = d.var("eptp");
  SelectedCases cases(d);
  for_each_eptp_config([&](const EptConfig& cfg) {
    using namespace spec;
    z3::expr mt = p.extract(2, 0);
    z3::expr want = (mt == c.bv_val(0, 3) || mt == c.bv_val(6, 3)) && p.extract(5, 3) == c.bv_val(cfg.levels - 1, 3) &&
                    bit_of(p, 6) == d.blit(cfg.ad_enabled) && bits_zero(p, 11, 8) &&
                    bits_zero(p, 63, cfg.maxphyaddr);
    cases.add(L::eptp_valid(d, cfg, p) == want, eptp_labels(cfg));
  });
  return cases.claim({{"eptp", p}});
}

}  // namespace ptspec::solver::ept
