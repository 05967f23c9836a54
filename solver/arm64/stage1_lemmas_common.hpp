// Shared by the arm64.stage1 lemma headers (stage1_lemmas.hpp assembles the
// catalogue): the logic type the lemmas are written over, the model's own
// logic Stage1Logic, and the independent description the statements are
// checked against.
//
// Like the stage-2 lemmas (solver/arm64/stage2_lemmas_common.hpp), each
// statement is checked against a description written here from the Arm ARM
// (DDI 0487 D8.2 levels, D8.3 descriptor formats, D8.4 permissions) and the
// seed 001_7298466646d93dd3.txt, not against the model's own constants where
// that would make the claim circular. Mutation tests
// (tests/solver/stage1_mutation_test.cpp) derive from Stage1Logic and replace
// one function each.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/arm64/stage1_config.hpp"
#include "model/arm64/stage1_desc.hpp"
#include "model/arm64/stage1_perms.hpp"
#include "model/arm64/stage1_walk.hpp"
#include "model/arm64/stage2_geometry.hpp"
#include "model/core/bits.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/symmem.hpp"

namespace ptspec::solver::stage1 {

using arm64::Geometry;
namespace s1 = arm64::s1;
using s1::Access;
using s1::El;

inline constexpr const char* kFormat = "arm64.stage1";

// ---- the independent description (Arm ARM DDI 0487 D8) ----
namespace spec {
inline constexpr std::uint64_t kValidBit = bit(0);
inline constexpr std::uint64_t kTypeBit = bit(1);
// D8.3.2 stage-1 block/page attributes: {lo bit, width}.
struct Pos {
  unsigned lo, width;
  constexpr std::uint64_t mask() const { return genmask(lo + width - 1, lo); }
};
inline constexpr Pos kAttrIndx{2, 3}, kNs{5, 1}, kAp{6, 2}, kSh{8, 2}, kAf{10, 1}, kNg{11, 1},
    kContiguous{52, 1}, kPxn{53, 1}, kUxn{54, 1}, kSw{55, 4};
// D8.3.1 table descriptor attributes.
inline constexpr Pos kPxnTable{59, 1}, kUxnTable{60, 1}, kApTable{61, 2}, kNsTable{63, 1};
inline constexpr std::uint64_t kUserBit = bit(6);  // AP[1], kvm-unit-tests PTE_USER
inline constexpr std::uint64_t kLeafAttrs = kAttrIndx.mask() | kNs.mask() | kAp.mask() | kSh.mask() | kAf.mask() |
                                            kNg.mask() | kContiguous.mask() | kPxn.mask() | kUxn.mask() |
                                            kSw.mask();
inline constexpr std::uint64_t kTableAttrs = kPxnTable.mask() | kUxnTable.mask() | kApTable.mask() | kNsTable.mask();
inline constexpr unsigned kGranuleShifts[] = {12, 14, 16};
constexpr std::uint64_t oa_mask(unsigned gs) { return genmask(47, gs); }
constexpr unsigned level_shift(unsigned gs, unsigned level) { return gs + (3 - level) * (gs - 3); }
// D8.3.1 (no FEAT_LPA2): blocks at levels 1 and 2 with 4K (1 GiB, 2 MiB), at
// level 2 with 16K (32 MiB) and 64K (512 MiB); pages at level 3.
constexpr bool leaf_level(unsigned gs, unsigned level) {
  return level == 3 || level == 2 || (level == 1 && gs == 12);
}
// The bytes a leaf maps, written out (D8.3.1 / D8.2 tables of block sizes).
constexpr std::uint64_t leaf_size(unsigned gs, unsigned level) {
  if (gs == 12) return level == 1 ? bit(30) : level == 2 ? bit(21) : bit(12);
  if (gs == 14) return level == 2 ? bit(25) : bit(14);
  return level == 2 ? bit(29) : bit(16);
}
inline std::string granule_name(unsigned gs) { return gs == 12 ? "4k" : gs == 14 ? "16k" : "64k"; }

// Stage-1 data/execute permissions, one row per (EL, AP[2:1]), from Table
// D8-49 and the execute-never rules of AArch64.CheckPermission (D8.4; see
// model/arm64/stage1_perms.hpp for the sources). Columns: data read/write
// without PAN, with PSTATE.PAN = 1, and execute with the EL's own XN bit
// (UXN at EL0, PXN at EL1) clear, without and with SCTLR_EL1.WXN. With the
// EL's own XN bit set nothing is executable; the other EL's XN bit never
// matters.
struct PermRow {
  El el;
  std::uint64_t ap;
  bool r, w, r_pan, w_pan, x, x_wxn;
};
inline constexpr PermRow kPermTable[] = {
    //  el       ap    r  w  r(PAN) w(PAN)  x  x(WXN)
    {El::El0, 0b00, 0, 0, 0, 0, 1, 1},  // EL0 none (execute-only possible)
    {El::El0, 0b01, 1, 1, 1, 1, 1, 0},  // EL0 RW: WXN makes it XN
    {El::El0, 0b10, 0, 0, 0, 0, 1, 1},
    {El::El0, 0b11, 1, 0, 1, 0, 1, 1},  // EL0 RO
    {El::El1, 0b00, 1, 1, 1, 1, 1, 0},  // EL1 RW, EL0 none
    {El::El1, 0b01, 1, 1, 0, 0, 0, 0},  // EL0-writable: never EL1-executable; PAN hides it
    {El::El1, 0b10, 1, 0, 1, 0, 1, 1},  // EL1 RO
    {El::El1, 0b11, 1, 0, 0, 0, 1, 1},  // EL0 readable: PAN hides it from data accesses
};
}  // namespace spec

// The VA sizes the lemmas cover: T0SZ 16..39 (Arm ARM D8.2, without FEAT_LVA/TTST).
inline constexpr unsigned kVaBitsMin = 25;
inline constexpr unsigned kVaBitsMax = 48;

inline std::vector<Geometry> granule_geometries(unsigned va_bits = 48) {
  std::vector<Geometry> out;
  for (unsigned gs : spec::kGranuleShifts) out.push_back(s1::make_stage1_geometry(1u << gs, va_bits, 48));
  return out;
}

// The model's stage-1 logic, instantiated with Symbolic.
struct Stage1Logic {
  using S = Symbolic;
  using W = z3::expr;
  using Leaf = s1::LeafFields<S>;
  using Table = s1::TableFields<S>;

  // ---- geometry: the model's start level for a VA size (stage1_config) ----
  static Geometry geometry(unsigned gs, unsigned va_bits) {
    return s1::make_stage1_geometry(1u << gs, va_bits, 48);
  }

  // ---- descriptor fields (stage1_desc.hpp) ----
  static W encode_leaf_fields(const S& d, const Leaf& f) { return s1::encode_leaf_fields(d, f); }
  static Leaf decode_leaf_fields(const S& d, const W& pte) { return s1::decode_leaf_fields(d, pte); }
  static W encode_table_fields(const S& d, const Table& f) { return s1::encode_table_fields(d, f); }
  static Table decode_table_fields(const S& d, const W& pte) { return s1::decode_table_fields(d, pte); }
  static W make_leaf(const S& d, const Geometry& g, const W& pa, const Leaf& f, unsigned level) {
    return s1::make_leaf(d, g, pa, f, level);
  }
  static W make_table(const S& d, const Geometry& g, const W& pa, const Table& f) {
    return s1::make_table(d, g, pa, f);
  }
  static W clear_user(const S& d, const W& pte) { return s1::clear_user(d, pte); }
  static W is_user(const S& d, const W& pte) { return s1::is_user(d, pte); }

  // ---- the shared VMSAv8-64 shape (vmsa_desc.hpp) ----
  static W is_valid(const S& d, const W& pte) { return s1::is_valid(d, pte); }
  static W is_table(const S& d, const W& pte, unsigned level) { return s1::is_table(d, pte, level); }
  static W is_block(const S& d, const Geometry& g, const W& pte, unsigned level) {
    return s1::is_block(d, g, pte, level);
  }
  static W is_page(const S& d, const W& pte, unsigned level) { return s1::is_page(d, pte, level); }
  static W is_leaf(const S& d, const Geometry& g, const W& pte, unsigned level) {
    return s1::is_leaf(d, g, pte, level);
  }
  static W oa_of(const S& d, const Geometry& g, const W& pte) { return s1::oa_of(d, g, pte); }
  static W leaf_output(const S& d, const Geometry& g, const W& pte, const W& va, unsigned level) {
    return s1::leaf_output(d, g, pte, va, level);
  }
  static W table_index(const S& d, const Geometry& g, const W& va, unsigned level) {
    return s1::table_index(d, g, va, level);
  }
  static W entry_address(const S& d, const Geometry& g, const W& table, const W& va, unsigned level) {
    return s1::entry_address(d, g, table, va, level);
  }
  template <class M>
  static W walk_step(const S& d, const M& mem, const Geometry& g, const W& table, const W& va, unsigned level) {
    return s1::walk_step(d, mem, g, table, va, level);
  }

  // ---- the walk and mmu_clear_user's store (stage1_walk.hpp) ----
  template <class M>
  static s1::LeafWalk<S> walk_leaf(const S& d, const M& mem, const Geometry& g, const W& root, const W& va) {
    return s1::walk_leaf(d, mem, g, root, va);
  }
  static s1::EntryStore<S> clear_user_store(const S& d, const SymMem& mem, const Geometry& g, const W& root,
                                            const W& va, s1::ClearUser variant) {
    return s1::clear_user_store(d, mem, g, root, va, variant);
  }
  static s1::Stage1Perms<S> leaf_perms(const S& d, const W& pte, const W& table_attrs, El el, const W& pan,
                                       const W& wxn) {
    return s1::leaf_perms(d, pte, table_attrs, el, pan, wxn);
  }

  // ---- permissions (stage1_perms.hpp) ----
  static s1::Stage1Perms<S> perms(const S& d, const W& ap, const W& pxn, const W& uxn, El el, const W& pan,
                                  const W& wxn) {
    return s1::stage1_perms(d, ap, pxn, uxn, el, pan, wxn);
  }
  static W access_allowed(const S& d, const W& ap, const W& pxn, const W& uxn, El el, const W& pan, const W& wxn,
                          Access a) {
    return s1::stage1_access_allowed(d, ap, pxn, uxn, el, pan, wxn, a);
  }
  static s1::LeafPermFields<S> apply_table_attrs(const S& d, const s1::LeafPermFields<S>& leaf,
                                                 const s1::TableAttrs<S>& t) {
    return s1::apply_table_attrs(d, leaf, t);
  }
};

// Symbolic memory after one store, read as "the stored word at the stored
// address, the old word elsewhere" -- the same function as
// SymMem::store(addr, value), spelt as an ite over selects of the unchanged
// array. Z3 decides the re-walk through it in well under a second per
// configuration, where the equivalent array store timed out (> 120 s even
// for a two-level 64K walk of stage1-clear-user-hits-mapping-descriptor).
class SymMemAfterStore {
 public:
  SymMemAfterStore(SymMem base, z3::expr addr, z3::expr value)
      : base_(std::move(base)), addr_(std::move(addr)), value_(std::move(value)) {}
  z3::expr load(const Symbolic& d, const z3::expr& a) const { return d.ite(a == addr_, value_, base_.load(a)); }

 private:
  SymMem base_;
  z3::expr addr_, value_;
};
static_assert(MemoryFor<SymMemAfterStore, Symbolic>);

// Symbolic leaf / table fields, each a fresh named variable ("<prefix>attr_indx" ...).
inline s1::LeafFields<Symbolic> leaf_vars(const Symbolic& d, const std::string& p = "") {
  return {d.var(p + "attr_indx"), d.bvar(p + "ns"),  d.var(p + "ap"),  d.var(p + "sh"),
          d.bvar(p + "af"),       d.bvar(p + "ng"),  d.bvar(p + "contiguous"), d.bvar(p + "pxn"),
          d.bvar(p + "uxn"),      d.var(p + "sw")};
}
inline s1::TableFields<Symbolic> table_vars(const Symbolic& d, const std::string& p = "") {
  return {d.var(p + "ap_table"), d.bvar(p + "pxn_table"), d.bvar(p + "uxn_table"), d.bvar(p + "ns_table")};
}

}  // namespace ptspec::solver::stage1
