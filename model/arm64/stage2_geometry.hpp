// Translation geometry of a stage-2 table: granule, input (IPA) size, start
// level, concatenated start-level tables, output (PA) size.
//
// Arm ARM D8.2 (VMSAv8-64 translation regime, stage 2): T0SZ = 64 - ia_bits;
// the start level comes from VTCR_EL2.SL0; up to 16 tables may be
// concatenated at the start level. KVM picks
// levels = ARM64_HW_PGTABLE_LEVELS(ia_bits - 4) (stage2_pgtable_levels),
// i.e. it concatenates whenever that saves a level (reference/arm64-stage2.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ptspec::arm64 {

inline constexpr unsigned kMaxLevel = 3;  // KVM_PGTABLE_MAX_LEVELS - 1

struct Geometry {
  unsigned granule_shift = 12;  // 12, 14, 16
  unsigned ia_bits = 40;        // 32..48
  unsigned start_level = 1;
  unsigned pa_bits = 48;        // 32..48 (52-bit PA not modelled)
  unsigned pgd_pages = 1;       // concatenated start-level tables (1..16)

  constexpr unsigned stride() const { return granule_shift - 3; }
  constexpr std::uint64_t granule() const { return std::uint64_t{1} << granule_shift; }
  // Lowest input bit the table at `level` indexes.
  constexpr unsigned level_shift(unsigned level) const {
    return granule_shift + (kMaxLevel - level) * stride();
  }
  // Bytes mapped by one entry at `level` (kvm_granule_size).
  constexpr std::uint64_t block_size(unsigned level) const {
    return std::uint64_t{1} << level_shift(level);
  }
  // Index bits of the table at `level`; the start level spans all remaining
  // input bits (the concatenated tables form one larger table).
  constexpr unsigned index_bits(unsigned level) const {
    return level == start_level ? ia_bits - level_shift(level) : stride();
  }
  constexpr std::uint64_t index_mask(unsigned level) const {
    return (std::uint64_t{1} << index_bits(level)) - 1;
  }
  constexpr std::uint64_t entries(unsigned level) const { return index_mask(level) + 1; }
  constexpr std::uint64_t entries_per_page() const { return std::uint64_t{1} << stride(); }
  constexpr std::uint64_t ia_limit() const { return std::uint64_t{1} << ia_bits; }
  // kvm_level_supports_block_mapping: never at level 0; with 16K/64K granules
  // never at level 1 either (Arm ARM D8.3.1, no 64 GiB / 4 TiB blocks without
  // FEAT_LPA2/52-bit).
  constexpr bool level_supports_block(unsigned level) const {
    if (level == kMaxLevel) return true;  // pages
    if (level == 0) return false;
    if (level == 1) return granule_shift == 12;
    return true;
  }
};

// KVM's start level for an IPA size: levels = HW_LEVELS(ia_bits - 4),
// at least 2 (reference/arm64-stage2.md).
unsigned kvm_start_level(unsigned granule_shift, unsigned ia_bits);

// log2 of a VMSAv8-64 translation granule (4K/16K/64K, Arm ARM D8.2); any
// other size throws InputError "config.granule: ... is not a <stage> granule".
unsigned granule_shift_of(unsigned granule, std::string_view stage);

// Builds and checks a geometry. `start_level` < 0 means "as KVM picks it".
// Throws InputError naming the offending field when VTCR_EL2 cannot express
// the combination.
Geometry make_geometry(unsigned granule, unsigned ia_bits, int start_level, unsigned pa_bits);

// Start levels VTCR_EL2.SL0 can encode for a granule (Arm ARM D8.2.x):
// 4K: SL0 = 2/1/0 -> level 0/1/2; 16K and 64K: SL0 = 2/1/0 -> level 1/2/3.
bool sl0_allows(unsigned granule_shift, unsigned level);

}  // namespace ptspec::arm64
