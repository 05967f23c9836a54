// arm64 stage-2 descriptor layout and the entry-level logic of KVM's
// pgtable.c, written once over a Domain so the model and the solver run the
// same code (DESIGN.md "One definition, two domains").
//
// Sources: ../shared/reference/arm64-stage2.md; Arm ARM D8 (VMSAv8-64
// translation table format descriptors, stage 2 attribute fields);
// seed 003_7e51df5ae3eb03b2.txt (owner annotations, counted entries,
// stage2_pte_needs_update, kvm_block_mapping_supported with invalid PA).
#pragma once

#include <cstdint>

#include "model/arm64/stage2_geometry.hpp"
#include "model/arm64/vmsa_desc.hpp"
#include "model/core/bits.hpp"
#include "model/core/domain.hpp"
#include "model/core/memory.hpp"

namespace ptspec::arm64::s2 {

// ---- descriptor fields (Arm ARM D8.3, stage-2 block/page descriptors) ----
// Valid, type, SH, AF and the OA field are common to both stages
// (vmsa_desc.hpp); the rest is stage 2's own.
using vmsa::kAf;
using vmsa::kOaHi;
using vmsa::kSh;
using vmsa::kType;
using vmsa::kValid;
inline constexpr Field kMemAttr{5, 2};   // stage-2 MemAttr[3:0]
inline constexpr Field kS2apR{6, 6};     // S2AP[0]: read
inline constexpr Field kS2apW{7, 7};     // S2AP[1]: write
inline constexpr Field kXn{54, 54};      // execute never (XN[1] with FEAT_XNX; KVM sets bit 54)
inline constexpr Field kSw{58, 55};      // software bits (KVM_PTE_LEAF_ATTR_HI_SW)
inline constexpr Field kAttrLo{10, 2};   // KVM_PTE_LEAF_ATTR_LO
inline constexpr Field kAttrHi{63, 51};  // KVM_PTE_LEAF_ATTR_HI
inline constexpr Field kTableHi{63, 59}; // NSTable/APTable/XNTable/PXNTable: RES0 at stage 2

// Permission bits: what stage2_pte_needs_update ignores (seed 003,
// KVM_PTE_LEAF_ATTR_S2_PERMS).
inline constexpr std::uint64_t kPermsMask = kS2apR.mask() | kS2apW.mask() | kXn.mask();

// Stage-2 MemAttr encodings without FEAT_S2FWB (Arm ARM D8.5.5; kvm_mmu.h
// MT_S2_NORMAL / MT_S2_DEVICE_nGnRE).
inline constexpr std::uint64_t kMemAttrNormal = 0xf;
inline constexpr std::uint64_t kMemAttrDevice = 0x1;
using vmsa::kShInner;  // KVM_PTE_LEAF_ATTR_LO_S2_SH_IS

// Owner annotation in invalid entries: seed 003 puts it in 63:56
// (KVM_INVALID_PTE_OWNER_MASK = GENMASK(63, 56)); from v5.15 it lives in 9:2
// (fix "KVM: arm64: Don't overwrite software bits with owner id") because
// 63:56 overlaps the software bits 58:55.
enum class OwnerLayout : std::uint8_t { Upstream, Seed };
constexpr Field owner_field(OwnerLayout l) {
  return l == OwnerLayout::Seed ? Field{63, 56} : Field{9, 2};
}

// Output-address field for a granule: bits 47:granule_shift.
using vmsa::oa_field;

// kvm_phys_is_valid: KVM_PHYS_INVALID (all ones) marks "no PA" (set_owner).
inline constexpr std::uint64_t kPhysInvalid = ~std::uint64_t{0};

// ---- predicates (shared VMSAv8-64 classification, vmsa_desc.hpp) ----
using vmsa::is_leaf;
using vmsa::is_table;
using vmsa::is_valid;

// stage2_pte_is_counted (seed 003): valid entries and invalid entries that
// carry an annotation -- i.e. every non-zero entry.
template <Domain D> BoolOf<D> is_counted(const D& d, WordOf<D> pte) { return pte != d.lit(0); }

// stage2_pte_needs_update (seed 003): true unless both are valid and differ
// only in permission bits.
template <Domain D> BoolOf<D> needs_update(const D& d, WordOf<D> old_pte, WordOf<D> new_pte) {
  return !is_valid(d, old_pte) || !is_valid(d, new_pte) ||
         ((old_pte ^ new_pte) & d.lit(~kPermsMask)) != d.lit(0);
}

// ---- owner annotation ----
template <Domain D> WordOf<D> make_owner(const D& d, OwnerLayout l, WordOf<D> owner_id) {
  return field_prep(d, owner_id, owner_field(l));
}
template <Domain D> WordOf<D> owner_of(const D& d, OwnerLayout l, WordOf<D> pte) {
  return field_get(d, pte, owner_field(l));
}
// Software bits (58:55) of an entry.
template <Domain D> WordOf<D> sw_of(const D& d, WordOf<D> pte) { return field_get(d, pte, kSw); }
template <Domain D> WordOf<D> with_sw(const D& d, WordOf<D> pte, WordOf<D> sw) {
  return pte | field_prep(d, sw, kSw);
}

// ---- output address ----
using vmsa::oa_of;

// kvm_set_table_pte: next-level table address plus TABLE|VALID (stage-2
// table descriptors carry no attributes: 63:59 are RES0).
template <Domain D> WordOf<D> make_table(const D& d, const Geometry& g, WordOf<D> table_pa) {
  return vmsa::make_table(d, g, table_pa, d.lit(0), 0);
}

// kvm_init_valid_leaf_pte: output address, the attribute bits, type (page at
// level 3, block above) and valid.
template <Domain D>
WordOf<D> make_leaf(const D& d, const Geometry& g, WordOf<D> pa, WordOf<D> attr, unsigned level) {
  return vmsa::make_leaf(d, g, pa, attr, kAttrLo.mask() | kAttrHi.mask(), level);
}

// ---- permissions (enum kvm_pgtable_prot <-> S2AP/XN/MemAttr) ----
template <Domain D> struct Prot {
  BoolOf<D> r, w, x, device;
};

// stage2_map_set_prot_attr: the attribute bits for `prot`, and whether the
// request is legal (executable device memory is refused with -EINVAL).
template <Domain D> struct ProtAttr {
  WordOf<D> attr;
  BoolOf<D> ok;
};
template <Domain D> ProtAttr<D> prot_to_attr(const D& d, const Prot<D>& p) {
  WordOf<D> memattr = d.ite(p.device, d.lit(fprep(kMemAttrDevice, kMemAttr)),
                            d.lit(fprep(kMemAttrNormal, kMemAttr)));
  WordOf<D> attr = memattr | d.ite(p.x, d.lit(0), d.lit(kXn.mask())) |
                   d.ite(p.r, d.lit(kS2apR.mask()), d.lit(0)) |
                   d.ite(p.w, d.lit(kS2apW.mask()), d.lit(0)) |
                   d.lit(fprep(kShInner, kSh) | kAf.mask());
  return {attr, !(p.device && p.x)};
}

// The inverse: what a leaf allows and whether it is device memory.
template <Domain D> Prot<D> attr_to_prot(const D& d, WordOf<D> pte) {
  return {(pte & d.lit(kS2apR.mask())) != d.lit(0), (pte & d.lit(kS2apW.mask())) != d.lit(0),
          (pte & d.lit(kXn.mask())) == d.lit(0),
          (pte & d.lit(kMemAttr.mask())) == d.lit(fprep(kMemAttrDevice, kMemAttr))};
}

// kvm_phys_is_valid (seed 003): below the PA size.
template <Domain D> BoolOf<D> phys_is_valid(const D& d, const Geometry& g, WordOf<D> phys) {
  return d.ult(phys, d.lit(bit(g.pa_bits)));
}

// kvm_block_mapping_supported (seed 003): a leaf at `level` needs a level
// that has blocks, a range covering the whole block, the IPA aligned and --
// only when the PA is valid -- the PA aligned.
template <Domain D>
BoolOf<D> block_mapping_supported(const D& d, const Geometry& g, unsigned level, WordOf<D> addr,
                                  WordOf<D> end, WordOf<D> phys) {
  if (!g.level_supports_block(level)) return d.blit(false);
  std::uint64_t gran = g.block_size(level);
  BoolOf<D> fits = d.ule(d.lit(gran), end - addr);
  BoolOf<D> pa_ok = !phys_is_valid(d, g, phys) || is_aligned(d, phys, gran);
  return fits && pa_ok && is_aligned(d, addr, gran);
}

// ---- walk step (vmsa_desc.hpp) ----
// Stage2::translate runs walk_step; the solver's walk-step lemma proves it.
using vmsa::entry_address;
using vmsa::table_index;
using vmsa::walk_step;

}  // namespace ptspec::arm64::s2
