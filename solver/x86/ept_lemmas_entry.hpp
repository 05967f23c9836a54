// The x86.ept lemma builders about single entries, over a logic L
// (ept_lemmas_common.hpp): encoders, reserved bits, "present", the
// misconfiguration rules and the leaf's output address. Each returns the
// claim (one obligation per configuration) and the terms to report.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <vector>

#include "model/core/bits.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/x86/ept_lemmas_common.hpp"

namespace ptspec::solver::ept {

// The leaf attributes as free variables, each limited to its field's range
// (`in_range`), and the terms to report.
struct AttrVars {
  xe::LeafAttrs<Symbolic> a;
  z3::expr in_range;
  std::vector<Reported> report;
};
inline AttrVars attr_vars(const Symbolic& d) {
  xe::LeafAttrs<Symbolic> a{d.var("xwr"), d.var("ux"), d.var("memtype"), d.var("ipat"), d.var("spp"), d.var("sve")};
  z3::expr one = d.lit(1);
  z3::expr in_range = d.ule(a.xwr, d.lit(7)) && d.ule(a.memtype, d.lit(7)) && d.ule(a.ux, one) &&
                      d.ule(a.ipat, one) && d.ule(a.spp, one) && d.ule(a.sve, one);
  return {a, in_range,
          {{"xwr", a.xwr}, {"ux", a.ux}, {"memtype", a.memtype}, {"ipat", a.ipat}, {"spp", a.spp}, {"sve", a.sve}}};
}

// (1) make_leaf at levels 1..3 places every input at its SDM bit position
// and the model's getters, is_leaf, is_present and leaf_hpa give it back.
template <class L> Claim leaf_round_trip(z3::context& c) {
  Symbolic d(c);
  AttrVars av = attr_vars(d);
  const auto& a = av.a;
  z3::expr pa = d.var("pa"), gpa = d.var("gpa");
  SelectedCases cases(d);
  for (unsigned n = x86::kMinMaxPhyAddr; n <= x86::kMaxMaxPhyAddr; ++n) {
    for (bool mbec : {false, true}) {
      const EptConfig cfg = config(n, mbec);
      for (unsigned level = 1; level <= 3; ++level) {
        using namespace spec;
        z3::expr pre = av.in_range && d.aligned(pa, kOffset[level] + 1) && d.ult(pa, d.lit(bit(n)));
        z3::expr pte = L::make_leaf(d, cfg, level, pa, a);
        z3::expr ux = d.ite(d.blit(mbec), a.ux, d.lit(0));
        z3::expr bits = bits_are(pte, 2, 0, a.xwr) && bits_are(pte, 5, 3, a.memtype) && bits_are(pte, 6, 6, a.ipat) &&
                        bit_of(pte, 7) == d.blit(level >= 2) && bits_zero(pte, 9, 8) && bits_are(pte, 10, 10, ux) &&
                        bits_zero(pte, 11, 11) && bits_are(pte, 51, 12, d.lshr(pa, 12)) && bits_zero(pte, 60, 52) &&
                        bits_are(pte, 61, 61, a.spp) && bits_zero(pte, 62, 62) && bits_are(pte, 63, 63, a.sve);
        z3::expr getters = L::get(d, pte, xe::kXwr) == a.xwr && L::get(d, pte, xe::kMemType) == a.memtype &&
                           L::get(d, pte, xe::kIgnorePat) == a.ipat && L::get(d, pte, xe::kUserExec) == ux &&
                           L::get(d, pte, xe::kSpp) == a.spp && L::get(d, pte, xe::kSuppressVe) == a.sve &&
                           L::is_leaf(d, level, pte) && L::is_present(d, cfg, pte) == (a.xwr != d.lit(0) || ux != d.lit(0)) &&
                           L::leaf_hpa(d, cfg, pte, gpa, level) == (pa | (gpa & d.lit(kOffset[level])));
        cases.add(d.implies(pre, bits && getters), {{"maxphyaddr", n}, {"mbec", mbec}, {"level", level}});
      }
    }
  }
  std::vector<Reported> rep = av.report;
  rep.push_back({"pa", pa});
  rep.push_back({"gpa", gpa});
  return cases.claim(rep);
}

// (2) For ANY address and attribute words, make_leaf (levels 1..3) and
// make_table (levels 2..5) set no reserved bit, by the model's reserved_bits
// and by the SDM masks.
template <class L> Claim encoders_set_no_reserved_bit(z3::context& c) {
  Symbolic d(c);
  AttrVars av = attr_vars(d);
  z3::expr pa = d.var("pa");
  SelectedCases cases(d);
  for (unsigned n = x86::kMinMaxPhyAddr; n <= x86::kMaxMaxPhyAddr; ++n) {
    for (bool gb : {true, false}) {
      const EptConfig cfg = config(n, /*mbec=*/true, true, gb);
      z3::expr holds = d.blit(true);
      // A 1 GiB leaf exists only with 1 GiB support (level_allows_leaf).
      for (unsigned level = 1; level <= (gb ? 3u : 2u); ++level) {
        z3::expr pte = L::make_leaf(d, cfg, level, pa, av.a);
        holds = holds && L::reserved_bits(d, cfg, pte, level) == d.lit(0) &&
                spec::reserved_in(d, pte, n, level, gb) == d.lit(0);
      }
      z3::expr tbl = L::make_table(d, cfg, pa, av.a.xwr, av.a.ux);
      for (unsigned level = 2; level <= 5; ++level)
        holds = holds && L::reserved_bits(d, cfg, tbl, level) == d.lit(0) &&
                spec::reserved_in(d, tbl, n, level, gb) == d.lit(0) && !L::is_leaf(d, level, tbl);
      cases.add(holds, {{"maxphyaddr", n}, {"gb_pages", gb}});
    }
  }
  std::vector<Reported> rep = av.report;
  rep.push_back({"pa", pa});
  return cases.claim(rep);
}

// (2, 4, 6) What KVM writes is never misconfigured: with permissions the SDM
// table allows (XWR 001/011/101/111, and 100 with execute-only support) and
// a memory type other than 2/3/7, make_leaf (levels 1..3) and make_table
// (levels 2..5) give present entries that break no rule, for ANY address.
template <class L> Claim encoded_entries_not_misconfigured(z3::context& c) {
  Symbolic d(c);
  AttrVars av = attr_vars(d);
  const auto& a = av.a;
  z3::expr pa = d.var("pa");
  SelectedCases cases(d);
  for (unsigned n = x86::kMinMaxPhyAddr; n <= x86::kMaxMaxPhyAddr; ++n) {
    for (bool xo : {true, false}) {
      for (bool mbec : {false, true}) {
        const EptConfig cfg = config(n, mbec, xo);
        z3::expr xwr_ok = a.xwr == d.lit(1) || a.xwr == d.lit(3) || a.xwr == d.lit(5) || a.xwr == d.lit(7) ||
                          (d.blit(xo) && a.xwr == d.lit(4));
        z3::expr mt_ok = a.memtype == d.lit(0) || a.memtype == d.lit(1) || a.memtype == d.lit(4) ||
                         a.memtype == d.lit(5) || a.memtype == d.lit(6);
        z3::expr holds = d.blit(true);
        auto clean = [&](const z3::expr& pte, unsigned level) {
          return L::is_present(d, cfg, pte) && !L::is_misconfigured(d, cfg, pte, level) &&
                 L::misconfig(d, cfg, pte, level) == d.lit(spec::kNone);
        };
        for (unsigned level = 1; level <= 3; ++level) holds = holds && clean(L::make_leaf(d, cfg, level, pa, a), level);
        z3::expr tbl = L::make_table(d, cfg, pa, a.xwr, a.ux);
        for (unsigned level = 2; level <= 5; ++level) holds = holds && clean(tbl, level);
        cases.add(d.implies(av.in_range && xwr_ok && mt_ok, holds), {{"maxphyaddr", n}, {"exec_only", xo}, {"mbec", mbec}});
      }
    }
  }
  std::vector<Reported> rep = av.report;
  rep.push_back({"pa", pa});
  return cases.claim(rep);
}

// (2) make_table round-trips: the next-table address, the permissions, and
// nothing else set (bits 9:3, 11, 63:52 clear).
template <class L> Claim table_round_trip(z3::context& c) {
  Symbolic d(c);
  z3::expr pa = d.var("table"), xwr = d.var("xwr"), ux = d.var("ux");
  SelectedCases cases(d);
  for (unsigned n = x86::kMinMaxPhyAddr; n <= x86::kMaxMaxPhyAddr; ++n) {
    for (bool mbec : {false, true}) {
      using namespace spec;
      const EptConfig cfg = config(n, mbec);
      z3::expr pre = d.aligned(pa, 4096) && d.ult(pa, d.lit(bit(n))) && d.ule(xwr, d.lit(7)) && d.ule(ux, d.lit(1));
      z3::expr t = L::make_table(d, cfg, pa, xwr, ux);
      z3::expr uxv = d.ite(d.blit(mbec), ux, d.lit(0));
      z3::expr holds = L::table_addr(d, cfg, t) == pa && bits_are(t, 51, 12, d.lshr(pa, 12)) &&
                       bits_are(t, 2, 0, xwr) && bits_zero(t, 9, 3) && bits_are(t, 10, 10, uxv) &&
                       bits_zero(t, 11, 11) && bits_zero(t, 63, 52) &&
                       L::is_present(d, cfg, t) == (xwr != d.lit(0) || uxv != d.lit(0));
      cases.add(d.implies(pre, holds), {{"maxphyaddr", n}, {"mbec", mbec}});
    }
  }
  return cases.claim({{"table", pa}, {"xwr", xwr}, {"ux", ux}});
}

// (3) present <=> R|W|X (| user-X with MBEC).
template <class L> Claim present_iff_rwx(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  SelectedCases cases(d);
  for (bool mbec : {false, true})
    cases.add(L::is_present(d, config(46, mbec), pte) == spec::present(d, mbec, pte), {{"mbec", mbec}});
  return cases.claim({{"pte", pte}});
}

// (4) The SDM's XWR table, literally: for each capability set and level,
// every (XWR, user-X) combination of an entry with no reserved bit and a
// valid memory type is not present, a misconfiguration (which rule), or
// allowed -- exactly as tabulated here.
template <class L> Claim xwr_classification(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  const std::uint64_t kNotPresent = 100;  // outside the Misconfig codes
  SelectedCases cases(d);
  for (bool exec_only : {true, false}) {
    for (bool mbec : {false, true}) {
      const EptConfig cfg = config(46, mbec, exec_only);
      // [ux][xwr]: outcome (SDM "EPT misconfigurations"; reference).
      std::uint64_t table[2][8];
      for (unsigned ux = 0; ux < 2; ++ux) {
        const bool uxe = ux && mbec;  // bit 10 counts only under MBEC
        const std::uint64_t xo = exec_only ? spec::kNone : spec::kExecOnly;
        const std::uint64_t t[8] = {uxe ? xo : kNotPresent, spec::kNone, spec::kWwr, spec::kNone,
                                    xo,                      spec::kNone, spec::kWwr, spec::kNone};
        for (unsigned x = 0; x < 8; ++x) table[ux][x] = t[x];
      }
      z3::expr want = d.lit(0);
      for (unsigned ux = 0; ux < 2; ++ux)
        for (unsigned x = 0; x < 8; ++x)
          want = d.ite(pte.extract(2, 0) == c.bv_val(x, 3) && pte.extract(10, 10) == c.bv_val(ux, 1),
                       d.lit(table[ux][x]), want);
      for (unsigned level = 1; level <= 5; ++level) {
        z3::expr pre = spec::reserved_in(d, pte, 46, level, true) == d.lit(0) &&
                       !(spec::leaf(d, level, pte) && spec::bad_memtype(d, pte));
        z3::expr got = d.ite(!L::is_present(d, cfg, pte), d.lit(kNotPresent), L::misconfig(d, cfg, pte, level));
        cases.add(d.implies(pre, got == want), {{"exec_only", exec_only}, {"mbec", mbec}, {"level", level}});
      }
    }
  }
  return cases.claim({{"pte", pte}});
}

// (4) The classification is total and exact for every 64-bit entry: exactly
// one of {not present, misconfigured, ok} holds, the rule reported is the
// first the SDM description breaks (XWR, reserved bit, memory type), and a
// misconfiguration needs a present entry.
template <class L> Claim classification_total(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  SelectedCases cases(d);
  for (unsigned n : {36u, 46u, 52u}) {
    for (bool xo : {true, false}) {
      for (bool mbec : {false, true}) {
        for (bool gb : {true, false}) {
          const EptConfig cfg = config(n, mbec, xo, gb);
          for (unsigned level = 1; level <= 5; ++level) {
            if (!gb && level != 3) continue;  // gb only changes level 3
            using namespace spec;
            z3::expr want = d.ite(write_without_read(pte), d.lit(kWwr),
                                  d.ite(exec_only(d, xo, mbec, pte), d.lit(kExecOnly),
                                        d.ite(reserved_in(d, pte, n, level, gb) != d.lit(0), d.lit(kReserved),
                                              d.ite(leaf(d, level, pte) && bad_memtype(d, pte), d.lit(kMemType),
                                                    d.lit(kNone)))));
            z3::expr np = !L::is_present(d, cfg, pte);
            z3::expr mc = L::is_misconfigured(d, cfg, pte, level);
            z3::expr code = L::misconfig(d, cfg, pte, level);
            z3::expr ok = L::is_present(d, cfg, pte) && code == d.lit(kNone);
            auto one = [&](const z3::expr& b) { return d.ite(b, d.lit(1), d.lit(0)); };
            z3::expr holds = one(np) + one(mc) + one(ok) == d.lit(1) &&
                             d.implies(present(d, mbec, pte), code == want) &&
                             mc == (present(d, mbec, pte) && want != d.lit(kNone));
            cases.add(holds, {{"maxphyaddr", n}, {"exec_only", xo}, {"mbec", mbec}, {"gb_pages", gb},
                              {"level", level}});
          }
        }
      }
    }
  }
  return cases.claim({{"pte", pte}});
}

// (5) reserved_bits agrees with the SDM masks for every level, page size,
// 1 GiB support and MAXPHYADDR.
template <class L> Claim reserved_masks_match_sdm(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  SelectedCases cases(d);
  for (unsigned n = x86::kMinMaxPhyAddr; n <= x86::kMaxMaxPhyAddr; ++n) {
    for (bool gb : {true, false}) {
      const EptConfig cfg = config(n, false, true, gb);
      for (unsigned level = 1; level <= 5; ++level) {
        if (!gb && level != 3) continue;
        cases.add(L::reserved_bits(d, cfg, pte, level) == spec::reserved_in(d, pte, n, level, gb),
                  {{"maxphyaddr", n}, {"gb_pages", gb}, {"level", level}});
      }
    }
  }
  return cases.claim({{"pte", pte}});
}

// (6) Memory types 2, 3, 7 misconfigure a leaf and not a table entry: the
// rule fires exactly on leaves with those types, and a readable leaf with no
// reserved bit is misconfigured exactly then.
template <class L> Claim memtype_misconfigures_leaf_only(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte");
  SelectedCases cases(d);
  const EptConfig cfg = config(46);
  for (unsigned level = 1; level <= 5; ++level) {
    using namespace spec;
    z3::expr bad = leaf(d, level, pte) && bad_memtype(d, pte);
    z3::expr clean = bit_of(pte, 0) && reserved_in(d, pte, 46, level, true) == d.lit(0);
    z3::expr holds = L::bad_memory_type(d, level, pte) == bad &&
                     d.implies(clean, L::misconfig(d, cfg, pte, level) == d.ite(bad, d.lit(kMemType), d.lit(kNone)));
    cases.add(holds, {{"level", level}});
  }
  return cases.claim({{"pte", pte}});
}

// (13) leaf_hpa is the leaf's address bits MAXPHYADDR-1..page size plus the
// GPA's page offset, so flipping any other bit (permissions, memory type, A/D,
// user-X, SPP, suppress-#VE, ignored or reserved bits) leaves the HPA alone.
template <class L> Claim leaf_hpa_ignores_attributes(z3::context& c) {
  Symbolic d(c);
  z3::expr pte = d.var("pte"), other = d.var("other"), gpa = d.var("gpa");
  SelectedCases cases(d);
  for (unsigned n = x86::kMinMaxPhyAddr; n <= x86::kMaxMaxPhyAddr; ++n) {
    const EptConfig cfg = config(n, true);
    for (unsigned level = 1; level <= 3; ++level) {
      const std::uint64_t addr = genmask(n - 1, 0) & ~spec::kOffset[level];
      z3::expr hpa = L::leaf_hpa(d, cfg, pte, gpa, level);
      z3::expr holds = hpa == ((pte & d.lit(addr)) | (gpa & d.lit(spec::kOffset[level]))) &&
                       d.implies((other & d.lit(addr)) == d.lit(0), L::leaf_hpa(d, cfg, pte ^ other, gpa, level) == hpa);
      cases.add(holds, {{"maxphyaddr", n}, {"level", level}});
    }
  }
  return cases.claim({{"pte", pte}, {"other", other}, {"gpa", gpa}});
}

}  // namespace ptspec::solver::ept
