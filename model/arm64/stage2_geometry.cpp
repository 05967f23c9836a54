#include "model/arm64/stage2_geometry.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"

namespace ptspec::arm64 {

unsigned granule_shift_of(unsigned granule, std::string_view stage) {
  switch (granule) {
    case 4096: return 12;
    case 16384: return 14;
    case 65536: return 16;
    default:
      throw InputError(fmt::format("config.granule: {} is not a {} granule (4096, 16384, 65536)", granule, stage));
  }
}

unsigned kvm_start_level(unsigned granule_shift, unsigned ia_bits) {
  // ARM64_HW_PGTABLE_LEVELS(va) = (va - 4) / (PAGE_SHIFT - 3), applied to
  // ia_bits - 4 so that up to 16 tables are concatenated at the start level.
  unsigned levels = ((ia_bits - 4) - 4) / (granule_shift - 3);
  if (levels < 2) levels = 2;
  return 4 - levels;
}

bool sl0_allows(unsigned granule_shift, unsigned level) {
  if (granule_shift == 12) return level <= 2;
  return level >= 1 && level <= 3;
}

Geometry make_geometry(unsigned granule, unsigned ia_bits, int start_level, unsigned pa_bits) {
  Geometry g;
  g.granule_shift = granule_shift_of(granule, "stage-2");
  if (ia_bits < 32 || ia_bits > 48)
    throw InputError(fmt::format("config.ia_bits: {} outside 32..48", ia_bits));
  if (pa_bits < 32 || pa_bits > 48)
    throw InputError(fmt::format("config.pa_bits: {} outside 32..48", pa_bits));
  g.ia_bits = ia_bits;
  g.pa_bits = pa_bits;
  if (start_level < 0) {
    g.start_level = kvm_start_level(g.granule_shift, ia_bits);
  } else {
    auto sl = static_cast<unsigned>(start_level);
    if (sl > kMaxLevel || !sl0_allows(g.granule_shift, sl))
      throw InputError(fmt::format("config.start_level: level {} cannot be encoded in VTCR_EL2.SL0 for a {} granule",
                                   start_level, granule));
    g.start_level = sl;
  }
  // The start level must resolve at least one input bit and at most
  // stride + 4 (16 concatenated tables) -- Arm ARM D8.2, the stage-2
  // "inconsistent SL0/T0SZ" rule.
  unsigned shift = g.level_shift(g.start_level);
  if (ia_bits <= shift)
    throw InputError(fmt::format("config.start_level: level {} indexes bits above {} but ia_bits is {}",
                                 g.start_level, shift, ia_bits));
  unsigned bits = ia_bits - shift;
  if (bits > g.stride() + 4)
    throw InputError(fmt::format(
        "config.start_level: level {} with ia_bits {} needs {} concatenated tables (at most 16)",
        g.start_level, ia_bits, 1u << (bits - g.stride())));
  g.pgd_pages = bits > g.stride() ? 1u << (bits - g.stride()) : 1u;
  return g;
}

}  // namespace ptspec::arm64
