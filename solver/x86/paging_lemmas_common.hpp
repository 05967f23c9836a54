// Shared by the x86.paging lemma headers: the logic type the lemmas are
// written over, the model's own logic PagingLogic, the configurations they
// range over, and the independent description the statements are checked
// against.
//
// The lemmas call only L's static functions. The catalogue instantiates them
// with PagingLogic, which forwards to the model's templates in
// model/x86/paging_entry.hpp with the Symbolic domain;
// tests/solver/paging_mutation_test.cpp instantiates them with a PagingLogic
// that has one function broken.
//
// The description in `spec` is written here from the Intel SDM Vol. 3A
// chapter 4 tables (4-4, 4-8..4-11, 4-14..4-20), §4.6, §4.7 and seed 002:
// bit positions as literal numbers, read with Z3 extract, never the model's
// Field constants or reserved_mask(), so a claim is not circular.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <vector>

#include "model/x86/paging_entry.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"

namespace ptspec::solver::paging {

namespace xp = x86::paging;
using xp::AccessKind;
using xp::Format;
using xp::Mode;
using xp::Rights;

inline constexpr const char* kFormat = "x86.paging";

// The model's logic, instantiated with Symbolic.
struct PagingLogic {
  using S = Symbolic;
  using W = z3::expr;
  using Attrs = xp::EntryAttrs<S>;
  static W is_present(const S& d, const W& pte) { return xp::is_present(d, pte); }
  static W is_leaf(const S& d, const Format& f, unsigned level, const W& pte) { return xp::is_leaf(d, f, level, pte); }
  static W reserved_bits(const S& d, const Format& f, const W& pte, unsigned level) {
    return xp::reserved_bits(d, f, pte, level);
  }
  static W table_addr(const S& d, const Format& f, const W& pte) { return xp::table_addr(d, f, pte); }
  static W leaf_pa(const S& d, const Format& f, const W& pte, const W& va, unsigned level) {
    return xp::leaf_pa(d, f, pte, va, level);
  }
  static W make_table(const S& d, const Format& f, const W& pa, const Attrs& a) { return xp::make_table(d, f, pa, a); }
  static W make_leaf(const S& d, const Format& f, unsigned level, const W& pa, const Attrs& a) {
    return xp::make_leaf(d, f, level, pa, a);
  }
  static W make_pdpte(const S& d, unsigned m, const W& pa, const W& pwt, const W& pcd, const W& avl) {
    return xp::make_pdpte(d, m, pa, pwt, pcd, avl);
  }
  static W pdpte_invalid(const S& d, unsigned m, const W& pdpte) { return xp::pdpte_invalid(d, m, pdpte); }
  static W pae_pdpt_base(const S& d, const W& cr3) { return xp::pae_pdpt_base(d, cr3); }
  static W pdpte_address(const S& d, const W& cr3, unsigned i) { return xp::pdpte_address(d, cr3, i); }
  static W perms_of(const S& d, const Format& f, const W& pte, unsigned level) { return xp::perms_of(d, f, pte, level); }
  static W access_denied(const S& d, const Rights& r, AccessKind k, const W& perms) {
    return xp::access_denied(d, r, k, perms);
  }
  static W entry_error_code(const S& d, const Format& f, const Rights& r, AccessKind k, const W& pte, unsigned level) {
    return xp::entry_error_code(d, f, r, k, pte, level);
  }
  static W protection_error_code(const S& d, const Format& f, const Rights& r, AccessKind k) {
    return xp::protection_error_code(d, f, r, k);
  }
  static W ad_update(const S& d, const W& pte, bool leaf, AccessKind k) { return xp::ad_update(d, pte, leaf, k); }
};

// ---- configurations ----
inline Format fmt_of(Mode m, unsigned n, bool nxe = true, bool pse = true, bool gb = true) {
  Format f;
  f.mode = m;
  f.maxphyaddr = n;
  f.nxe = nxe;
  f.pse = pse;
  f.gb_pages = gb;
  return f;
}
inline constexpr Mode kModes[4] = {Mode::Bits32, Mode::Pae, Mode::Level4, Mode::Level5};
inline constexpr AccessKind kKinds[3] = {AccessKind::Read, AccessKind::Write, AccessKind::Fetch};

// Every Format the lemmas range over: each mode, MAXPHYADDR 36..52, NXE
// off/on (PAE, IA-32e), PSE off/on (32-bit), 1 GiB pages off/on (IA-32e).
inline std::vector<Format> all_formats() {
  std::vector<Format> v;
  for (Mode m : kModes)
    for (unsigned n = xp::kMinMaxPhyAddr; n <= xp::kMaxMaxPhyAddr; ++n)
      for (bool nxe : {false, true})
        for (bool x : {false, true}) {
          if (m == Mode::Pae && x) continue;      // PSE and 1 GiB pages mean nothing to PAE
          if (m == Mode::Bits32 && nxe) continue;  // nor EFER.NXE to 4-byte entries (no XD bit)
          v.push_back(fmt_of(m, n, nxe, m == Mode::Bits32 ? x : true, m == Mode::Bits32 ? true : x));
        }
  return v;
}
// The MAXPHYADDR values where the masks change shape: the minimum, either
// side of 40 (the PSE-36 cap), a common value and the maximum (52: no
// reserved high address bits in IA-32e). The encoders lemma covers all 36..52.
inline constexpr unsigned kEdgeMaxPhyAddr[6] = {36, 39, 40, 41, 46, 52};
inline std::vector<Format> edge_formats() {
  std::vector<Format> v;
  for (const Format& f : all_formats())
    for (unsigned n : kEdgeMaxPhyAddr)
      if (f.maxphyaddr == n) v.push_back(f);
  return v;
}
inline Labels labels_of(const Format& f, unsigned level) {
  return {{"mode", static_cast<std::uint64_t>(f.mode)}, {"maxphyaddr", f.maxphyaddr}, {"nxe", f.nxe},
          {"pse", f.pse},
          {"gb_pages", f.gb_pages},
          {"level", level}};
}

// SelectedCases (solver/cases.hpp) with the cases split into groups,
// one obligation per group (here: per paging mode): one selector "case"
// shared by every group, so a counterexample's labels come out the same way.
// Measured: paging-reserved-masks-match-sdm 3.4 s as one obligation.
class GroupedCases {
 public:
  explicit GroupedCases(const Symbolic& d) : d_(d), sel_(d.var("case")) {}
  void add(z3::expr holds, Labels labels, unsigned group) {
    holds_.push_back(std::move(holds));
    labels_.push_back(std::move(labels));
    group_.push_back(group);
  }
  Claim claim(std::vector<Reported> report = {}) const {
    std::vector<Obligation> obs;
    for (unsigned g = 0;; ++g) {
      z3::expr all = d_.blit(true);
      bool any = false, later = false;
      for (std::size_t i = 0; i < holds_.size(); ++i) {
        if (group_[i] == g) {
          all = all && d_.implies(sel_ == d_.lit(i), holds_[i]);
          any = true;
        }
        later = later || group_[i] > g;
      }
      if (any) obs.push_back(Obligation{all, {{"group", g}}});
      if (!later) break;
    }
    std::vector<Reported> rep;
    for (const auto& [key, unused] : labels_.empty() ? Labels{} : labels_.front()) {
      z3::expr v = d_.lit(0);
      for (std::size_t i = holds_.size(); i-- > 0;)
        for (const auto& [k, val] : labels_[i])
          if (k == key) v = d_.ite(sel_ == d_.lit(i), d_.lit(val), v);
      rep.push_back({key, v});
    }
    for (Reported& r : report) rep.push_back(std::move(r));
    return Claim(std::move(obs), std::move(rep));
  }

 private:
  const Symbolic& d_;
  z3::expr sel_;
  std::vector<z3::expr> holds_;
  std::vector<Labels> labels_;
  std::vector<unsigned> group_;
};

// ---- the independent description ----
namespace spec {

inline z3::expr bit_of(const z3::expr& w, unsigned n) { return w.extract(n, n) == w.ctx().bv_val(1, 1); }
// Bits hi..lo set (hi >= lo), built bit by bit.
constexpr std::uint64_t span(unsigned hi, unsigned lo) {
  std::uint64_t m = 0;
  for (unsigned b = lo; b <= hi && b < 64; ++b) m |= std::uint64_t{1} << b;
  return m;
}
// The reserved bits of a present entry, by the SDM tables; `ps` = bit 7.
constexpr std::uint64_t reserved(const Format& f, unsigned level, bool ps) {
  const unsigned m = f.maxphyaddr;
  switch (f.mode) {
    case Mode::Bits32: {
      const unsigned w = m < 40 ? m : 40;  // Table 4-4: PSE-36 reaches 40 bits
      return (level == 2 && ps && f.pse) ? span(21, w - 19) : 0;
    }
    case Mode::Pae:
      if (level == 3) return 0x6 | 0x1E0 | span(63, m);                // Table 4-8
      return span(62, m) | (f.nxe ? 0 : span(63, 63)) | (level == 2 && ps ? span(20, 13) : 0);
    default: {
      std::uint64_t r = (m < 52 ? span(51, m) : 0) | (f.nxe ? 0 : span(63, 63));
      if (level >= 4) return r | 0x80;                                  // PS must be 0
      if (level == 3 && ps) return r | (f.gb_pages ? span(29, 13) : 0x80);
      if (level == 2 && ps) return r | span(20, 13);
      return r;
    }
  }
}
inline z3::expr reserved_in(const Symbolic& d, const Format& f, const z3::expr& pte, unsigned level) {
  return pte & d.ite(bit_of(pte, 7), d.lit(reserved(f, level, true)), d.lit(reserved(f, level, false)));
}
// Leaf bytes minus one at a level (4K; 32-bit PDE 4M; 2M; 1G).
constexpr std::uint64_t offset_mask(const Format& f, unsigned level) {
  if (level == 1) return 0xFFF;
  if (level == 2) return f.mode == Mode::Bits32 ? 0x3F'FFFF : 0x1F'FFFF;
  return 0x3FFF'FFFF;
}
// Levels that may hold a leaf: 1, 2 (32-bit only with PSE), 3 in IA-32e with 1 GiB pages.
inline bool leaf_level(const Format& f, unsigned level) {
  if (level == 1) return true;
  if (level == 2) return f.mode != Mode::Bits32 || f.pse;
  return level == 3 && (f.mode == Mode::Level4 || f.mode == Mode::Level5) && f.gb_pages;
}
// Physical-address width an encoder can reach at a level.
constexpr unsigned pa_width(const Format& f, unsigned level) {
  if (f.mode != Mode::Bits32) return f.maxphyaddr;
  return level == 1 ? 32 : (f.maxphyaddr < 40 ? f.maxphyaddr : 40);
}

}  // namespace spec

}  // namespace ptspec::solver::paging
