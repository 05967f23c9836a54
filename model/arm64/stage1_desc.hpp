// arm64 stage-1 (EL1&0 regime) descriptor fields and their encoders /
// decoders, written once over a Domain so the model and the solver run the
// same code; the shape (valid/type, classification, OA, walk step) is the
// shared VMSAv8-64 machinery of vmsa_desc.hpp.
//
// Sources: Arm ARM DDI 0487 D8.3.1 (table descriptor: NSTable 63,
// APTable 62:61, UXNTable/XNTable 60, PXNTable 59; bits 11:2 and 58:51
// ignored), D8.3.2 (stage-1 block/page attributes: AttrIndx 4:2, NS 5,
// AP[2:1] 7:6, SH 9:8, AF 10, nG 11, Contiguous 52, PXN 53, UXN/XN 54,
// software 58:55), D8.4 (AP[2:1] meaning; the decision itself is
// stage1_perms.hpp); kvm-unit-tests lib/arm64/asm/pgtable-hwdef.h names
// PTE_USER = AP[1] (bit 6) and PTE_RDONLY = AP[2] (bit 7); seed
// 001_7298466646d93dd3.txt ("lib: arm/arm64: Teach mmu_clear_user about
// block mappings": mmu_clear_user clears PTE_USER in the page *or block*
// descriptor that maps the address).
#pragma once

#include <cstdint>

#include "model/arm64/stage2_geometry.hpp"
#include "model/arm64/vmsa_desc.hpp"
#include "model/core/bits.hpp"
#include "model/core/domain.hpp"

namespace ptspec::arm64::s1 {

// The shared shape, under stage-1 names too (s1::is_valid, s1::oa_of ...).
using vmsa::classify;
using vmsa::DescKind;
using vmsa::entry_address;
using vmsa::is_block;
using vmsa::is_leaf;
using vmsa::is_page;
using vmsa::is_table;
using vmsa::is_valid;
using vmsa::kAf;
using vmsa::kContiguous;
using vmsa::kShInner;
using vmsa::kSh;
using vmsa::kType;
using vmsa::kValid;
using vmsa::leaf_output;
using vmsa::oa_field;
using vmsa::oa_of;
using vmsa::table_index;
using vmsa::walk_step;

// ---- leaf (block/page) fields, D8.3.2 ----
inline constexpr Field kAttrIndx{4, 2};  // index into MAIR_EL1
inline constexpr Field kNs{5, 5};        // non-secure (ignored in Non-secure state)
inline constexpr Field kAp{7, 6};        // AP[2:1]: AP[1] = bit 6, AP[2] = bit 7
inline constexpr Field kApUser{6, 6};    // AP[1]: EL0 access (kvm-unit-tests PTE_USER)
inline constexpr Field kApRdonly{7, 7};  // AP[2]: read-only (kvm-unit-tests PTE_RDONLY)
inline constexpr Field kNg{11, 11};      // not global (ASID-tagged)
inline constexpr Field kPxn{53, 53};     // privileged execute-never
inline constexpr Field kUxn{54, 54};     // unprivileged execute-never (XN)
inline constexpr Field kSw{58, 55};      // reserved for software use

// ---- table descriptor attributes, D8.3.1 / D8.4 hierarchical control ----
inline constexpr Field kPxnTable{59, 59};
inline constexpr Field kUxnTable{60, 60};
inline constexpr Field kApTable{62, 61};  // APTable[1:0]: bit 61 no EL0, bit 62 no write
inline constexpr Field kNsTable{63, 63};

inline constexpr std::uint64_t kLeafAttrMask = kAttrIndx.mask() | kNs.mask() | kAp.mask() | kSh.mask() |
                                                kAf.mask() | kNg.mask() | kContiguous.mask() | kPxn.mask() |
                                                kUxn.mask() | kSw.mask();
inline constexpr std::uint64_t kTableAttrMask =
    kPxnTable.mask() | kUxnTable.mask() | kApTable.mask() | kNsTable.mask();

// MAIR_EL1 indices kvm-unit-tests programs (lib/arm64/asm/pgtable-hwdef.h
// MT_DEVICE_nGnRnE .. MT_NORMAL_WT; arm/cstart64.S MAIR setup).
inline constexpr std::uint64_t kMtDeviceNgnrne = 0;
inline constexpr std::uint64_t kMtDeviceNgnre = 1;
inline constexpr std::uint64_t kMtNormalNc = 3;
inline constexpr std::uint64_t kMtNormal = 4;

// Every stage-1 leaf field, decoded. Multi-bit fields are words (shifted
// down), single bits are booleans.
template <Domain D> struct LeafFields {
  WordOf<D> attr_indx;  // 3 bits
  BoolOf<D> ns;
  WordOf<D> ap;  // AP[2:1], 2 bits (bit 0 = AP[1] EL0 access, bit 1 = AP[2] read-only)
  WordOf<D> sh;  // 2 bits
  BoolOf<D> af, ng, contiguous, pxn, uxn;
  WordOf<D> sw;  // 4 bits
};

template <Domain D> struct TableFields {
  WordOf<D> ap_table;  // APTable[1:0] (bit 0 = no EL0 access, bit 1 = no write)
  BoolOf<D> pxn_table, uxn_table, ns_table;
};

namespace detail {
template <Domain D> WordOf<D> flag(const D& d, const BoolOf<D>& b, Field f) {
  return d.ite(b, d.lit(f.mask()), d.lit(0));
}
template <Domain D> BoolOf<D> test(const D& d, const WordOf<D>& w, Field f) {
  return (w & d.lit(f.mask())) != d.lit(0);
}
}  // namespace detail

// The attribute bits of a leaf (nothing outside kLeafAttrMask; fields wider
// than their width are truncated).
template <Domain D> WordOf<D> encode_leaf_fields(const D& d, const LeafFields<D>& f) {
  return field_prep(d, f.attr_indx, kAttrIndx) | detail::flag(d, f.ns, kNs) | field_prep(d, f.ap, kAp) |
         field_prep(d, f.sh, kSh) | detail::flag(d, f.af, kAf) | detail::flag(d, f.ng, kNg) |
         detail::flag(d, f.contiguous, kContiguous) | detail::flag(d, f.pxn, kPxn) | detail::flag(d, f.uxn, kUxn) |
         field_prep(d, f.sw, kSw);
}

template <Domain D> LeafFields<D> decode_leaf_fields(const D& d, const WordOf<D>& pte) {
  return {field_get(d, pte, kAttrIndx), detail::test(d, pte, kNs),   field_get(d, pte, kAp),
          field_get(d, pte, kSh),       detail::test(d, pte, kAf),   detail::test(d, pte, kNg),
          detail::test(d, pte, kContiguous), detail::test(d, pte, kPxn), detail::test(d, pte, kUxn),
          field_get(d, pte, kSw)};
}

template <Domain D> WordOf<D> encode_table_fields(const D& d, const TableFields<D>& f) {
  return field_prep(d, f.ap_table, kApTable) | detail::flag(d, f.pxn_table, kPxnTable) |
         detail::flag(d, f.uxn_table, kUxnTable) | detail::flag(d, f.ns_table, kNsTable);
}

template <Domain D> TableFields<D> decode_table_fields(const D& d, const WordOf<D>& pte) {
  return {field_get(d, pte, kApTable), detail::test(d, pte, kPxnTable), detail::test(d, pte, kUxnTable),
          detail::test(d, pte, kNsTable)};
}

// A stage-1 page (level 3) or block descriptor for `pa` with `f`.
template <Domain D>
WordOf<D> make_leaf(const D& d, const Geometry& g, const WordOf<D>& pa, const LeafFields<D>& f, unsigned level) {
  return vmsa::make_leaf(d, g, pa, encode_leaf_fields(d, f), kLeafAttrMask, level);
}

// A stage-1 table descriptor pointing at `table_pa` with `f`
// (kvm-unit-tests' pgd/pmd_populate use no table attributes: all zero).
template <Domain D>
WordOf<D> make_table(const D& d, const Geometry& g, const WordOf<D>& table_pa, const TableFields<D>& f) {
  return vmsa::make_table(d, g, table_pa, encode_table_fields(d, f), kTableAttrMask);
}

// ---- the user bit (mmu_clear_user) ----
template <Domain D> BoolOf<D> is_user(const D& d, const WordOf<D>& pte) { return detail::test(d, pte, kApUser); }

// The entry update of mmu_clear_user: AP[1] (PTE_USER) cleared, every other
// bit kept. The fixed library applies it to the page *or block* descriptor
// that maps the address (seed 001, "Teach mmu_clear_user about block
// mappings").
template <Domain D> WordOf<D> clear_user(const D& d, const WordOf<D>& pte) {
  return pte & d.lit(~kApUser.mask());
}

// Concrete convenience: a leaf's fields with everything off.
inline LeafFields<Concrete> no_leaf_fields() { return {0, false, 0, 0, false, false, false, false, false, 0}; }
inline TableFields<Concrete> no_table_fields() { return {0, false, false, false}; }

}  // namespace ptspec::arm64::s1
