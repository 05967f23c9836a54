// The VMSAv8-64 descriptor machinery both translation stages share, written
// once over a Domain ("one definition, two domains", DESIGN.md): valid and
// type bits, table / block / page classification per level and granule, the
// output-address field per granule, AF, SH, the contiguous hint, the shape of
// a table and of a leaf descriptor, and the walk step. Stage-specific fields
// live in stage1_desc.hpp (AP/XN/AttrIndx, table attributes) and
// stage2_desc.hpp (S2AP/MemAttr, owner annotations).
//
// Sources: Arm ARM DDI 0487 D8.3 "Translation table descriptor formats"
// (D8.3.1 table descriptors, D8.3.2 block and page descriptors: bit 0 valid,
// bit 1 table/page vs block; level 3 bit 1 = 0 is reserved = invalid; no
// block at level 0, nor at level 1 for 16K/64K granules without FEAT_LPA2),
// D8.2 (granule sizes, index bits per level), D8.6.1 (Contiguous bit 52);
// reference/arm64-stage2.md "Descriptor".
#pragma once

#include <cstdint>

#include "model/arm64/stage2_geometry.hpp"
#include "model/core/bits.hpp"
#include "model/core/domain.hpp"
#include "model/core/memory.hpp"

namespace ptspec::arm64::vmsa {

// ---- fields common to both stages (Arm ARM D8.3) ----
inline constexpr Field kValid{0, 0};
inline constexpr Field kType{1, 1};         // 1: table (L0-2) or page (L3); 0: block
inline constexpr Field kSh{9, 8};           // shareability (leaf)
inline constexpr Field kAf{10, 10};         // access flag (leaf)
inline constexpr Field kContiguous{52, 52}; // contiguous hint (leaf, D8.6.1)
inline constexpr unsigned kOaHi = 47;       // 48-bit output addresses (52-bit PA not modelled)
inline constexpr std::uint64_t kShInner = 3;  // SH = 0b11 inner shareable

// Output-address field for a granule: bits 47:granule_shift (D8.3.1/D8.3.2;
// a block's OA is the top bits of this field, the rest must be zero).
constexpr Field oa_field(unsigned granule_shift) { return Field{kOaHi, granule_shift}; }

// What a descriptor is at a level (concrete classification; the Domain
// predicates below decide the same thing bit for bit).
enum class DescKind : std::uint8_t {
  Invalid,   // bit 0 clear
  Table,     // levels 0-2, bits 1:0 = 11
  Block,     // a block level of the granule, bits 1:0 = 01
  Page,      // level 3, bits 1:0 = 11
  Reserved,  // valid but meaningless here: L3 with bit 1 clear, block at a level without blocks
};
inline const char* desc_kind_name(DescKind k) {
  switch (k) {
    case DescKind::Invalid: return "invalid";
    case DescKind::Table: return "table";
    case DescKind::Block: return "block";
    case DescKind::Page: return "page";
    case DescKind::Reserved: return "reserved";
  }
  return "?";
}

// ---- predicates ----
template <Domain D> BoolOf<D> is_valid(const D& d, WordOf<D> pte) {
  return (pte & d.lit(kValid.mask())) != d.lit(0);
}
template <Domain D> BoolOf<D> type_bit(const D& d, WordOf<D> pte) {
  return (pte & d.lit(kType.mask())) != d.lit(0);
}

// A table descriptor exists only at levels 0-2; at level 3 the type bit
// means "page" (D8.3.1).
template <Domain D> BoolOf<D> is_table(const D& d, WordOf<D> pte, unsigned level) {
  if (level >= kMaxLevel) return d.blit(false);
  return is_valid(d, pte) && type_bit(d, pte);
}

// A block: bits 1:0 = 01 at a level where the granule has blocks (D8.3.2).
template <Domain D> BoolOf<D> is_block(const D& d, const Geometry& g, WordOf<D> pte, unsigned level) {
  if (level >= kMaxLevel || !g.level_supports_block(level)) return d.blit(false);
  return is_valid(d, pte) && !type_bit(d, pte);
}

// A page: bits 1:0 = 11 at level 3.
template <Domain D> BoolOf<D> is_page(const D& d, WordOf<D> pte, unsigned level) {
  if (level != kMaxLevel) return d.blit(false);
  return is_valid(d, pte) && type_bit(d, pte);
}

// A valid entry the hardware treats as a leaf at `level`: a page at level 3,
// or a block where the granule allows one. Other valid encodings that are not
// tables are translation faults (D8.3: level-3 descriptor with bit 1 clear,
// block descriptor at a level without blocks).
template <Domain D> BoolOf<D> is_leaf(const D& d, const Geometry& g, WordOf<D> pte, unsigned level) {
  return is_page(d, pte, level) || is_block(d, g, pte, level);
}

inline DescKind classify(const Geometry& g, std::uint64_t pte, unsigned level) {
  constexpr Concrete C{};
  if (!is_valid(C, pte)) return DescKind::Invalid;
  if (is_table(C, pte, level)) return DescKind::Table;
  if (is_page(C, pte, level)) return DescKind::Page;
  if (is_block(C, g, pte, level)) return DescKind::Block;
  return DescKind::Reserved;
}

// ---- output address ----
template <Domain D> WordOf<D> oa_of(const D& d, const Geometry& g, WordOf<D> pte) {
  return pte & d.lit(oa_field(g.granule_shift).mask());
}

// The output address of `ia` through a leaf at `level`: the leaf's OA with
// the bits below the leaf's size taken from the input address.
template <Domain D>
WordOf<D> leaf_output(const D& d, const Geometry& g, WordOf<D> pte, WordOf<D> ia, unsigned level) {
  const std::uint64_t off = g.block_size(level) - 1;
  return (oa_of(d, g, pte) & d.lit(~off)) | (ia & d.lit(off));
}

// ---- descriptor shapes ----
// A table descriptor: next-level table address plus TABLE|VALID, then the
// stage's table attributes (`attr`, masked to `attr_mask`; stage 2 has none).
template <Domain D>
WordOf<D> make_table(const D& d, const Geometry& g, WordOf<D> table_pa, WordOf<D> attr, std::uint64_t attr_mask) {
  return (table_pa & d.lit(oa_field(g.granule_shift).mask())) | (attr & d.lit(attr_mask)) |
         d.lit(kType.mask() | kValid.mask());
}

// A leaf: output address, the stage's attribute bits (masked to
// `attr_mask`), type (page at level 3, block above) and valid.
template <Domain D>
WordOf<D> make_leaf(const D& d, const Geometry& g, WordOf<D> pa, WordOf<D> attr, std::uint64_t attr_mask,
                    unsigned level) {
  std::uint64_t type = level == kMaxLevel ? kType.mask() : 0;
  return (pa & d.lit(oa_field(g.granule_shift).mask())) | (attr & d.lit(attr_mask)) |
         d.lit(type | kValid.mask());
}

// ---- walk step ----
// The index of `ia` in the table at `level` (at the stage-2 start level this
// spans the concatenated tables).
template <Domain D> WordOf<D> table_index(const D& d, const Geometry& g, WordOf<D> ia, unsigned level) {
  return d.lshr(ia, g.level_shift(level)) & d.lit(g.index_mask(level));
}

// Address of the entry for `ia` in the table at `table_pa` (the one memory
// access a walk makes per level).
template <Domain D>
WordOf<D> entry_address(const D& d, const Geometry& g, WordOf<D> table_pa, WordOf<D> ia, unsigned level) {
  return table_pa + d.shl(table_index(d, g, ia, level), 3);
}

// One step of a walk: the entry for `ia` in the table at `table_pa`, read
// from `mem` (PhysMem/WalkMem with Concrete, a Z3 array with Symbolic).
template <Domain D, class M>
  requires MemoryFor<M, D>
WordOf<D> walk_step(const D& d, const M& mem, const Geometry& g, const WordOf<D>& table_pa, const WordOf<D>& ia,
                    unsigned level) {
  return mem_load(d, mem, entry_address(d, g, table_pa, ia, level));
}

}  // namespace ptspec::arm64::vmsa
