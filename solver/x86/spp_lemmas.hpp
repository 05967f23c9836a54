// The x86.sppt lemma catalogue, written over a "logic" type L whose static
// functions are the model's templates (model/x86/spp_vector.hpp,
// sppt_entry.hpp, spp_check.hpp) instantiated with Symbolic.
//
// The catalogue instantiates it with SppLogic (the model's own code); the
// mutation tests instantiate it with an SppLogic that has one function broken,
// to show every lemma can fail (tests/solver/spp_mutation_test.cpp).
//
// Statements are checked against descriptions written here from
// reference/x86-ept-spp.md (bit positions via Z3 extract, the GPA index
// shifts 39/30/21/12, the reserved masks), not against the model's constants
// where that would make a claim circular.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/core/bits.hpp"
#include "model/x86/spp_check.hpp"
#include "model/x86/spp_vector.hpp"
#include "model/x86/sppt_entry.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/symmem.hpp"

namespace ptspec::solver::sppt {

namespace spp = x86::spp;
namespace tbl = x86::sppt;

inline constexpr const char* kFormat = "x86.sppt";

// The model's logic, instantiated with Symbolic.
struct SppLogic {
  using S = Symbolic;
  using W = z3::expr;
  static W format_reference(const S& d, const W& b) { return spp::format_vector_reference(d, b); }
  static W format_vector(const S& d, const W& b) { return spp::format_vector(d, b); }
  static W vector_bitmap(const S& d, const W& v) { return spp::vector_bitmap(d, v); }
  static W has_odd_bit(const S& d, const W& v) { return spp::has_odd_bit(d, v); }
  static spp::CheckResult<S> check(const S& d, const spp::EptLeaf<S>& leaf, const W& access, const W& vector,
                                   const W& gpa) {
    return spp::check_access(d, leaf, access, vector, gpa);
  }
  static W make_nonleaf(const S& d, unsigned n, const W& pa) { return tbl::make_nonleaf(d, n, pa); }
  static W next_table(const S& d, unsigned n, const W& e) { return tbl::next_table(d, n, e); }
  static W classify(const S& d, unsigned n, const W& e, unsigned level) { return tbl::classify(d, n, e, level); }
  static W table_index(const S& d, const W& gpa, unsigned level) { return tbl::table_index(d, gpa, level); }
  static W entry_address(const S& d, const W& table, const W& gpa, unsigned level) {
    return tbl::entry_address(d, table, gpa, level);
  }
  static W walk_step_read(const S& d, const SymMem& mem, const W& table, const W& gpa, unsigned level) {
    return tbl::walk_step(d, mem, table, gpa, level);
  }
};

// ---- the independent description ----

// Bit n of a 64-bit term, as a Boolean.
inline z3::expr bit_of(const z3::expr& w, unsigned n) { return w.extract(n, n) == w.ctx().bv_val(1, 1); }
// The GPA shift of each SPPT level (reference: L4 47:39 .. L1 20:12).
inline constexpr unsigned kShift[5] = {0, 12, 21, 30, 39};

struct Leaf {
  spp::EptLeaf<Symbolic> leaf;
  std::vector<Reported> report;
};
inline Leaf leaf_vars(const Symbolic& d) {
  spp::EptLeaf<Symbolic> l{d.bvar("maps_4k"), d.bvar("r"), d.bvar("w"), d.bvar("x"), d.bvar("spp")};
  return {l, {{"maps_4k", l.maps_4k}, {"r", l.r}, {"w", l.w}, {"x", l.x}, {"spp", l.spp}}};
}
inline z3::expr access_word(const Symbolic& d, spp::Access a) { return spp::access_word(d, a); }
inline z3::expr verdict_word(const Symbolic& d, spp::Verdict v) { return d.lit(static_cast<std::uint64_t>(v)); }
// Bit 2i of the vector for i = GPA 11:7 (written with extract).
inline z3::expr subpage_bit(const Symbolic& d, const z3::expr& vector, const z3::expr& gpa) {
  z3::expr i = z3::zext(gpa.extract(11, 7), 59);
  return (d.lshr_var(vector, i + i) & d.lit(1)) == d.lit(1);
}

// ---- the lemmas ----

template <class L> Claim spread_equals_reference(z3::context& c) {
  Symbolic d(c);
  z3::expr b = d.var("bitmap");
  return Claim(L::format_vector(d, b) == L::format_reference(d, b),
               {{"bitmap", b}, {"fast", L::format_vector(d, b)}, {"reference", L::format_reference(d, b)}});
}

template <class L> Claim vector_no_odd_bit(z3::context& c) {
  Symbolic d(c);
  z3::expr b = d.var("bitmap");
  z3::expr v = L::format_vector(d, b);
  return Claim((v & d.lit(0xAAAA'AAAA'AAAA'AAAA)) == d.lit(0) && !L::has_odd_bit(d, v),
               {{"bitmap", b}, {"vector", v}});
}

template <class L> Claim vector_bit_2i_is_bitmap_bit_i(z3::context& c) {
  Symbolic d(c);
  z3::expr b = d.var("bitmap");
  z3::expr v = L::format_vector(d, b);
  CaseSplit cases;
  for (unsigned i = 0; i < 32; ++i) cases.add(bit_of(v, 2 * i) == bit_of(b, i), {{"i", i}});
  return cases.claim({{"bitmap", b}, {"vector", v}});
}

template <class L> Claim vector_round_trip(z3::context& c) {
  Symbolic d(c);
  z3::expr b = d.var("bitmap");
  z3::expr v = d.var("vector");
  z3::expr there = L::vector_bitmap(d, L::format_vector(d, b)) == (b & d.lit(0xFFFF'FFFF));
  z3::expr back = d.implies((v & d.lit(0xAAAA'AAAA'AAAA'AAAA)) == d.lit(0),
                            L::format_vector(d, L::vector_bitmap(d, v)) == v);
  return Claim(there && back, {{"bitmap", b}, {"vector", v}});
}

template <class L> Claim write_needs_ept_or_subpage_bit(z3::context& c) {
  Symbolic d(c);
  Leaf lv = leaf_vars(d);
  const spp::EptLeaf<Symbolic>& l = lv.leaf;
  z3::expr vector = d.var("vector"), gpa = d.var("gpa");
  auto r = L::check(d, l, access_word(d, spp::Access::Write), vector, gpa);
  z3::expr holds = d.implies(r.allowed && !l.w, l.maps_4k && l.spp && subpage_bit(d, vector, gpa));
  lv.report.push_back({"vector", vector});
  lv.report.push_back({"gpa", gpa});
  return Claim(holds, lv.report);
}

template <class L> Claim write_allowed_iff_subpage_bit(z3::context& c) {
  Symbolic d(c);
  Leaf lv = leaf_vars(d);
  const spp::EptLeaf<Symbolic>& l = lv.leaf;
  z3::expr vector = d.var("vector"), gpa = d.var("gpa");
  auto r = L::check(d, l, access_word(d, spp::Access::Write), vector, gpa);
  z3::expr sub = subpage_bit(d, vector, gpa);
  z3::expr holds = d.implies(l.maps_4k && l.spp && !l.w,
                             r.allowed == sub && r.verdict == d.ite(sub, verdict_word(d, spp::Verdict::Allowed),
                                                                    verdict_word(d, spp::Verdict::SppViolation)));
  lv.report.push_back({"vector", vector});
  lv.report.push_back({"gpa", gpa});
  return Claim(holds, lv.report);
}

template <class L> Claim reads_executes_ignore_spp(z3::context& c) {
  Symbolic d(c);
  Leaf lv = leaf_vars(d);
  const spp::EptLeaf<Symbolic>& l = lv.leaf;
  z3::expr vector = d.var("vector"), gpa = d.var("gpa");
  CaseSplit cases;
  for (spp::Access a : {spp::Access::Read, spp::Access::Execute}) {
    auto r = L::check(d, l, access_word(d, a), vector, gpa);
    z3::expr perm = a == spp::Access::Read ? l.r : l.x;
    cases.add(r.allowed == perm && !r.spp_applies &&
                  r.verdict == d.ite(perm, verdict_word(d, spp::Verdict::Allowed),
                                     verdict_word(d, spp::Verdict::EptViolation)),
              {{"access", static_cast<std::uint64_t>(a)}});
  }
  lv.report.push_back({"vector", vector});
  lv.report.push_back({"gpa", gpa});
  return cases.claim(lv.report);
}

// `ignored` must make the check independent of the vector and equal to the
// check with bit 61 clear, for every access.
template <class L> Claim spp_ignored_when(z3::context& c, bool by_w) {
  Symbolic d(c);
  Leaf lv = leaf_vars(d);
  const spp::EptLeaf<Symbolic>& l = lv.leaf;
  spp::EptLeaf<Symbolic> no_spp = l;
  no_spp.spp = d.blit(false);
  z3::expr v1 = d.var("vector"), v2 = d.var("vector2"), gpa = d.var("gpa");
  z3::expr pre = by_w ? l.w : !l.maps_4k;
  CaseSplit cases;
  for (spp::Access a : {spp::Access::Read, spp::Access::Write, spp::Access::Execute}) {
    auto r1 = L::check(d, l, access_word(d, a), v1, gpa);
    auto r2 = L::check(d, l, access_word(d, a), v2, gpa);
    auto r0 = L::check(d, no_spp, access_word(d, a), v1, gpa);
    cases.add(d.implies(pre, r1.verdict == r2.verdict && r1.verdict == r0.verdict && !r1.spp_applies),
              {{"access", static_cast<std::uint64_t>(a)}});
  }
  lv.report.push_back({"vector", v1});
  lv.report.push_back({"vector2", v2});
  lv.report.push_back({"gpa", gpa});
  return cases.claim(lv.report);
}

template <class L> Claim nonleaf_round_trip(z3::context& c) {
  Symbolic d(c);
  z3::expr pa = d.var("table");
  CaseSplit cases;
  for (unsigned n = tbl::kMinMaxPhyAddr; n <= tbl::kMaxMaxPhyAddr; ++n) {
    z3::expr e = L::make_nonleaf(d, n, pa);
    const std::uint64_t reserved = genmask(11, 1) | genmask(63, n);
    z3::expr pre = d.aligned(pa, 4096) && d.ult(pa, d.lit(bit(n)));
    cases.add(d.implies(pre, L::next_table(d, n, e) == pa && bit_of(e, 0) && (e & d.lit(reserved)) == d.lit(0)),
              {{"maxphyaddr", n}});
  }
  return cases.claim({{"table", pa}});
}

template <class L> Claim classify_entry(z3::context& c) {
  Symbolic d(c);
  z3::expr e = d.var("entry");
  const z3::expr next = d.lit(0), miss = d.lit(1), bad = d.lit(2);
  CaseSplit cases;
  for (unsigned n = tbl::kMinMaxPhyAddr; n <= tbl::kMaxMaxPhyAddr; ++n) {
    for (unsigned level = 1; level <= 4; ++level) {
      z3::expr want = level == 1
                          ? d.ite((e & d.lit(0xAAAA'AAAA'AAAA'AAAA)) != d.lit(0), bad, next)
                          : d.ite(!bit_of(e, 0), miss,
                                  d.ite((e & d.lit(genmask(11, 1) | genmask(63, n))) != d.lit(0), bad, next));
      cases.add(L::classify(d, n, e, level) == want, {{"maxphyaddr", n}, {"level", level}});
    }
  }
  return cases.claim({{"entry", e}});
}

template <class L> Claim walk_indices_partition_gpa(z3::context& c) {
  Symbolic d(c);
  z3::expr gpa = d.var("gpa");
  z3::expr rebuilt = gpa & d.lit(0xFFF);
  z3::expr in_range = d.blit(true);
  for (unsigned level = 1; level <= 4; ++level) {
    z3::expr idx = L::table_index(d, gpa, level);
    in_range = in_range && d.ult(idx, d.lit(512));
    rebuilt = rebuilt | d.shl(idx, kShift[level]);
  }
  return Claim(in_range && rebuilt == (gpa & d.lit(genmask(47, 0))), {{"gpa", gpa}, {"rebuilt", rebuilt}});
}

template <class L> Claim walk_step_reads_selected_entry(z3::context& c) {
  Symbolic d(c);
  z3::expr base = d.var("table"), gpa = d.var("gpa"), gpa2 = d.var("gpa2"), k = d.var("k"), v = d.var("v");
  SymMem mem(c, "mem");
  CaseSplit cases;
  for (unsigned level = 1; level <= 4; ++level) {
    auto index = [&](const z3::expr& a) { return d.lshr(a, kShift[level]) & d.lit(511); };
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

// ---------------------------------------------------------------------------
// The catalogue, for logic L.
// ---------------------------------------------------------------------------
template <class L = SppLogic> std::vector<Lemma> sppt_lemmas() {
  std::vector<Lemma> v;
  auto add = [&](std::string name, std::string statement, LemmaBuilder b, unsigned ms = 10'000) {
    v.push_back(Lemma{kFormat, std::move(name), std::move(statement), Expect::Proved, ms, std::move(b)});
  };
  add("spp-spread-equals-reference",
      "The portable bit-spread formatter the model runs equals the seed's 32-step loop (bitmap bit i -> vector "
      "bit 2i) for every 64-bit input word, so for all 2^32 bitmaps (bits 63:32 ignored by both).",
      [](z3::context& c) { return spread_equals_reference<L>(c); });
  add("spp-vector-no-odd-bit",
      "A formatted SPP vector never has an odd (reserved) bit set, and has_odd_bit agrees, for every bitmap.",
      [](z3::context& c) { return vector_no_odd_bit<L>(c); });
  add("spp-vector-bit-2i-is-bitmap-bit-i",
      "For every bitmap and every i in 0..31, bit 2i of the formatted vector equals bitmap bit i.",
      [](z3::context& c) { return vector_bit_2i_is_bitmap_bit_i<L>(c); });
  add("spp-vector-round-trip",
      "vector_bitmap(format(b)) == b[31:0] for every b, and format(vector_bitmap(v)) == v for every vector with "
      "no odd bit.",
      [](z3::context& c) { return vector_round_trip<L>(c); });
  add("spp-check-write-needs-ept-or-subpage-bit",
      "The combined check allows a write through a leaf with W = 0 only if the leaf maps 4 KiB, has bit 61 set "
      "and the vector's bit 2i is set for sub-page i = GPA 11:7.",
      [](z3::context& c) { return write_needs_ept_or_subpage_bit<L>(c); });
  add("spp-check-write-allowed-iff-subpage-bit",
      "When SPP applies (4 KiB leaf, bit 61 = 1, W = 0), a write is allowed exactly when bit 2i of the vector is "
      "set for sub-page i = GPA 11:7, and is otherwise an SPP-induced EPT violation.",
      [](z3::context& c) { return write_allowed_iff_subpage_bit<L>(c); });
  add("spp-check-reads-executes-ignore-spp",
      "Reads and executes never consult SPP: they are allowed exactly when EPT R (resp. X) is set, and denied "
      "ones are plain EPT violations.",
      [](z3::context& c) { return reads_executes_ignore_spp<L>(c); });
  add("spp-check-w1-ignores-spp",
      "With EPT W = 1 the verdict of every access is independent of the SPP vector and equal to the verdict "
      "with bit 61 clear.",
      [](z3::context& c) { return spp_ignored_when<L>(c, true); });
  add("spp-check-large-leaf-ignores-spp",
      "Through a 2 MiB / 1 GiB leaf the verdict of every access is independent of the SPP vector and equal to "
      "the verdict with bit 61 clear.",
      [](z3::context& c) { return spp_ignored_when<L>(c, false); });
  add("spp-nonleaf-round-trip",
      "For every MAXPHYADDR 36..52 and 4 KiB-aligned table address below 2^N, make_nonleaf is valid, sets no "
      "reserved bit (11:1, 63:N) and next_table gives the address back.",
      [](z3::context& c) { return nonleaf_round_trip<L>(c); });
  add("spp-classify-entry",
      "For every MAXPHYADDR 36..52: a level 4..2 entry with bit 0 clear is an SPPT miss, a valid one with a bit "
      "in 11:1 or 63:N a misconfiguration, else the walk continues; a level-1 vector with an odd bit is a "
      "misconfiguration, else it is the result.",
      [](z3::context& c) { return classify_entry<L>(c); });
  add("spp-walk-indices-partition-gpa",
      "The four SPPT indices (GPA 47:39, 38:30, 29:21, 20:12) are each below 512 and, with the page offset, "
      "rebuild GPA bits 47:0.",
      [](z3::context& c) { return walk_indices_partition_gpa<L>(c); });
  add("spp-walk-step-reads-selected-entry",
      "Over symbolic memory, for a 4 KiB-aligned table below 2^52 and every level: entry_address is 8-aligned "
      "inside the table, two GPAs share an entry iff their index bits agree, and the walk step reads exactly "
      "the word stored at the selected index.",
      [](z3::context& c) { return walk_step_reads_selected_entry<L>(c); }, 30'000);
  return v;
}

}  // namespace ptspec::solver::sppt
