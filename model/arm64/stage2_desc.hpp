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
#include "model/core/bits.hpp"
#include "model/core/domain.hpp"
#include "model/core/memory.hpp"

namespace ptspec::arm64::s2 {

// ---- descriptor fields (Arm ARM D8.3, stage-2 block/page descriptors) ----
inline constexpr Field kValid{0, 0};
inline constexpr Field kType{1, 1};      // 1: table (L0-2) or page (L3); 0: block
inline constexpr Field kMemAttr{5, 2};   // stage-2 MemAttr[3:0]
inline constexpr Field kS2apR{6, 6};     // S2AP[0]: read
inline constexpr Field kS2apW{7, 7};     // S2AP[1]: write
inline constexpr Field kSh{9, 8};        // shareability
inline constexpr Field kAf{10, 10};      // access flag
inline constexpr Field kXn{54, 54};      // execute never (XN[1] with FEAT_XNX; KVM sets bit 54)
inline constexpr Field kSw{58, 55};      // software bits (KVM_PTE_LEAF_ATTR_HI_SW)
inline constexpr Field kAttrLo{10, 2};   // KVM_PTE_LEAF_ATTR_LO
inline constexpr Field kAttrHi{63, 51};  // KVM_PTE_LEAF_ATTR_HI
inline constexpr Field kTableHi{63, 59}; // NSTable/APTable/XNTable/PXNTable: RES0 at stage 2
inline constexpr unsigned kOaHi = 47;    // 48-bit output addresses (52-bit PA not modelled)

// Permission bits: what stage2_pte_needs_update ignores (seed 003,
// KVM_PTE_LEAF_ATTR_S2_PERMS).
inline constexpr std::uint64_t kPermsMask = kS2apR.mask() | kS2apW.mask() | kXn.mask();

// Stage-2 MemAttr encodings without FEAT_S2FWB (Arm ARM D8.5.5; kvm_mmu.h
// MT_S2_NORMAL / MT_S2_DEVICE_nGnRE).
inline constexpr std::uint64_t kMemAttrNormal = 0xf;
inline constexpr std::uint64_t kMemAttrDevice = 0x1;
inline constexpr std::uint64_t kShInner = 3;  // KVM_PTE_LEAF_ATTR_LO_S2_SH_IS

// Owner annotation in invalid entries: seed 003 puts it in 63:56
// (KVM_INVALID_PTE_OWNER_MASK = GENMASK(63, 56)); from v5.15 it lives in 9:2
// (fix "KVM: arm64: Don't overwrite software bits with owner id") because
// 63:56 overlaps the software bits 58:55.
enum class OwnerLayout : std::uint8_t { Upstream, Seed };
constexpr Field owner_field(OwnerLayout l) {
  return l == OwnerLayout::Seed ? Field{63, 56} : Field{9, 2};
}

// Output-address field for a granule: bits 47:granule_shift.
constexpr Field oa_field(unsigned granule_shift) { return Field{kOaHi, granule_shift}; }

// kvm_phys_is_valid: KVM_PHYS_INVALID (all ones) marks "no PA" (set_owner).
inline constexpr std::uint64_t kPhysInvalid = ~std::uint64_t{0};

// ---- predicates ----
template <Domain D> BoolOf<D> is_valid(const D& d, WordOf<D> pte) {
  return (pte & d.lit(kValid.mask())) != d.lit(0);
}

// A table descriptor exists only at levels 0-2; at level 3 the type bit
// means "page" (Arm ARM D8.3.1).
template <Domain D> BoolOf<D> is_table(const D& d, WordOf<D> pte, unsigned level) {
  if (level >= kMaxLevel) return d.blit(false);
  return is_valid(d, pte) && (pte & d.lit(kType.mask())) != d.lit(0);
}

// A valid entry the hardware treats as a leaf at `level`: a page at level 3
// (type bit set), or a block at a level where the granule allows one. Other
// encodings are translation faults (Arm ARM D8.3: a level-3 descriptor with
// bit 1 clear, or a block descriptor at a level without blocks, is invalid).
template <Domain D> BoolOf<D> is_leaf(const D& d, const Geometry& g, WordOf<D> pte, unsigned level) {
  BoolOf<D> type = (pte & d.lit(kType.mask())) != d.lit(0);
  if (level == kMaxLevel) return is_valid(d, pte) && type;
  if (!g.level_supports_block(level)) return d.blit(false);
  return is_valid(d, pte) && !type;
}

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
template <Domain D> WordOf<D> oa_of(const D& d, const Geometry& g, WordOf<D> pte) {
  return pte & d.lit(oa_field(g.granule_shift).mask());
}

// kvm_set_table_pte: next-level table address plus TABLE|VALID.
template <Domain D> WordOf<D> make_table(const D& d, const Geometry& g, WordOf<D> table_pa) {
  return (table_pa & d.lit(oa_field(g.granule_shift).mask())) | d.lit(kType.mask() | kValid.mask());
}

// kvm_init_valid_leaf_pte: output address, the attribute bits, type (page at
// level 3, block above) and valid.
template <Domain D>
WordOf<D> make_leaf(const D& d, const Geometry& g, WordOf<D> pa, WordOf<D> attr, unsigned level) {
  std::uint64_t type = level == kMaxLevel ? kType.mask() : 0;
  return (pa & d.lit(oa_field(g.granule_shift).mask())) |
         (attr & d.lit(kAttrLo.mask() | kAttrHi.mask())) | d.lit(type | kValid.mask());
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

// ---- walk step ----
// The index of `ia` in the table at `level` (at the start level this spans
// the concatenated tables).
template <Domain D> WordOf<D> table_index(const D& d, const Geometry& g, WordOf<D> ia, unsigned level) {
  return d.lshr(ia, g.level_shift(level)) & d.lit(g.index_mask(level));
}

// Address of the entry for `ia` in the table at `table_pa` (the one memory
// access a walk makes per level).
template <Domain D>
WordOf<D> entry_address(const D& d, const Geometry& g, WordOf<D> table_pa, WordOf<D> ia, unsigned level) {
  return table_pa + d.shl(table_index(d, g, ia, level), 3);
}

// One step of the walk: the entry for `ia` in the table at `table_pa`, read
// from `mem` (PhysMem/WalkMem with Concrete, a Z3 array with Symbolic).
// Stage2::translate runs this; the solver's walk-step lemma proves it.
template <Domain D, class M>
  requires MemoryFor<M, D>
WordOf<D> walk_step(const D& d, const M& mem, const Geometry& g, const WordOf<D>& table_pa, const WordOf<D>& ia,
                    unsigned level) {
  return mem_load(d, mem, entry_address(d, g, table_pa, ia, level));
}

}  // namespace ptspec::arm64::s2
