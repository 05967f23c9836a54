// The stage-1 (EL1&0 regime) permission decision of VMSAv8-64, written once
// over a Domain (DESIGN.md "One definition, two domains") and over *decoded*
// descriptor fields, so it does not depend on the descriptor layout header:
// the translate code (model/arm64/stage1_translate.cpp) extracts AP[2:1],
// PXN and UXN from the leaf and the table attributes from the walk, and asks
// this file; the solver proves it equal to the Arm ARM's permission table
// (solver/arm64/stage1_lemmas*).
//
// Sources (Arm ARM DDI 0487, D8.4 "Memory access control" -- D5.4 in the
// v8.x issues; pseudocode AArch64.CheckPermission / AArch64.S1DirectBasePermissions):
//  - Data access permissions AP[2:1] for a regime with two privilege levels
//    (Table D8-49 "Stage 1 data access permissions", K.a):
//      00  EL1 read/write   EL0 none
//      01  EL1 read/write   EL0 read/write
//      10  EL1 read-only    EL0 none
//      11  EL1 read-only    EL0 read-only
//    AP[1] ("EL0 access") is bit 0 of the 2-bit word, AP[2] ("read-only")
//    bit 1.
//  - Execute-never: UXN applies to EL0, PXN to EL1. Memory writable at EL0
//    is never executable at EL1 (implicit PXN: "priv_xn = pxn || user_w ||
//    ..." in AArch64.CheckPermission). EL0 may execute memory it cannot read
//    (AP = 00/10 with UXN = 0): AArch64 has EL0 execute-only memory.
//  - SCTLR_EL1.WXN (D8.4.x "Preventing execution from writable locations"):
//    memory writable at an EL is execute-never at that EL.
//  - PSTATE.PAN (FEAT_PAN, D8.4.x "Privileged access never"): an EL1 data
//    read or write of memory that EL0 can access (AP[1] = 1) faults;
//    instruction fetches are not affected (AArch64.CheckPermission
//    applies PAN only to loads/stores; QEMU's get_S1prot fix of 2020-03,
//    P. Maydell: PAN "should only affect the privileged read and write
//    permissions"). FEAT_PAN3's EPAN (also blocking EL0-executable memory) is not
//    modelled.
//  - Hierarchical attributes in table descriptors (D8.4.x "Hierarchical
//    control of data access permissions"), folded in by
//    apply_table_attrs(): APTable[0] (bit 61) = 1 removes EL0 access (AP[1]
//    forced 0), APTable[1] (bit 62) = 1 removes write access (AP[2] forced
//    1), PXNTable / UXNTable force PXN / UXN. FEAT_HPDS's disable is not
//    modelled (kvm-unit-tests does not set TCR_EL1.HPD).
#pragma once

#include <cstdint>
#include <string>

#include "model/core/bits.hpp"
#include "model/core/domain.hpp"

namespace ptspec::arm64::s1 {

enum class El : std::uint8_t { El0, El1 };
enum class Access : std::uint8_t { Read, Write, Fetch };

inline const char* el_name(El el) { return el == El::El0 ? "el0" : "el1"; }
inline const char* access_name(Access a) {
  return a == Access::Read ? "read" : a == Access::Write ? "write" : "fetch";
}

// AP[2:1] as a 2-bit word (only bits 1:0 are read).
inline constexpr std::uint64_t kApEl0 = bit(0);      // AP[1]: EL0 may access
inline constexpr std::uint64_t kApReadOnly = bit(1); // AP[2]: no write at any EL
inline constexpr std::uint64_t kApMask = kApEl0 | kApReadOnly;

// APTable[1:0] as a 2-bit word (only bits 1:0 are read).
inline constexpr std::uint64_t kApTableNoEl0 = bit(0);  // APTable[0]
inline constexpr std::uint64_t kApTableNoWrite = bit(1); // APTable[1]

template <Domain D> struct Stage1Perms {
  BoolOf<D> read, write, exec;
};

// The permission-relevant fields of a leaf (or of the effective leaf after
// the table attributes are folded in).
template <Domain D> struct LeafPermFields {
  WordOf<D> ap;  // AP[2:1]
  BoolOf<D> pxn, uxn;
};

// The table attributes accumulated along a walk: each level's APTable bits
// ORed together, PXNTable/UXNTable ORed (a restriction at any level holds for
// the whole subtree, Arm ARM D8.4.x hierarchical permissions).
template <Domain D> struct TableAttrs {
  WordOf<D> ap_table;  // APTable[1:0]
  BoolOf<D> pxn_table, uxn_table;
};

// What EL0 / EL1 may read and write from AP[2:1] alone (Table D8-49).
template <Domain D> BoolOf<D> ap_el0_access(const D& d, const WordOf<D>& ap) {
  return (ap & d.lit(kApEl0)) != d.lit(0);
}
template <Domain D> BoolOf<D> ap_read_only(const D& d, const WordOf<D>& ap) {
  return (ap & d.lit(kApReadOnly)) != d.lit(0);
}
// user_w: AP[2:1] = 01.
template <Domain D> BoolOf<D> ap_el0_writable(const D& d, const WordOf<D>& ap) {
  return (ap & d.lit(kApMask)) == d.lit(kApEl0);
}

// The effective leaf fields once the walk's table attributes are applied.
template <Domain D>
LeafPermFields<D> apply_table_attrs(const D& d, const LeafPermFields<D>& leaf, const TableAttrs<D>& t) {
  WordOf<D> no_el0 = d.ite((t.ap_table & d.lit(kApTableNoEl0)) != d.lit(0), d.lit(kApEl0), d.lit(0));
  WordOf<D> ro = d.ite((t.ap_table & d.lit(kApTableNoWrite)) != d.lit(0), d.lit(kApReadOnly), d.lit(0));
  WordOf<D> ap = ((leaf.ap & d.lit(kApMask)) & ~no_el0) | ro;
  return {ap, leaf.pxn || t.pxn_table, leaf.uxn || t.uxn_table};
}

// What an access at `el` may do with a leaf's (effective) AP[2:1], PXN and
// UXN, under PSTATE.PAN = pan and SCTLR_EL1.WXN = wxn.
template <Domain D>
Stage1Perms<D> stage1_perms(const D& d, const WordOf<D>& ap, const BoolOf<D>& pxn, const BoolOf<D>& uxn,
                            El el, const BoolOf<D>& pan, const BoolOf<D>& wxn) {
  const BoolOf<D> user_r = ap_el0_access(d, ap);
  const BoolOf<D> user_w = ap_el0_writable(d, ap);
  const BoolOf<D> priv_w = !ap_read_only(d, ap);
  if (el == El::El0) return {user_r, user_w, !(uxn || (user_w && wxn))};
  // EL1: always readable unless PAN hides EL0-accessible memory from data
  // accesses; the execute decision uses the permissions before PAN.
  const BoolOf<D> pan_blocks = pan && user_r;
  return {!pan_blocks, priv_w && !pan_blocks, !(pxn || user_w || (priv_w && wxn))};
}

template <Domain D>
BoolOf<D> stage1_access_allowed(const D& d, const WordOf<D>& ap, const BoolOf<D>& pxn, const BoolOf<D>& uxn,
                                El el, const BoolOf<D>& pan, const BoolOf<D>& wxn, Access access) {
  Stage1Perms<D> p = stage1_perms(d, ap, pxn, uxn, el, pan, wxn);
  return access == Access::Read ? p.read : access == Access::Write ? p.write : p.exec;
}

// "rwx" with '-' for a missing permission (traces, CLI, Python).
inline std::string perms_letters(const Stage1Perms<Concrete>& p) {
  return std::string{p.read ? 'r' : '-', p.write ? 'w' : '-', p.exec ? 'x' : '-'};
}

}  // namespace ptspec::arm64::s1
