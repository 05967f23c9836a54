// Explains one EPT paging-structure entry field by field (what
// `ptspec decode x86.ept` prints).
#pragma once

#include <cstdint>

#include "model/core/decoded.hpp"
#include "model/x86/ept_geometry.hpp"

namespace ptspec::x86 {

// `level`: 1 = PTE .. 5 = PML5E (at most cfg.levels). `level` < 0: unknown;
// the entry is explained as a PDE if bit 7 is set (a 2 MiB leaf) and as a PTE
// otherwise. Every reserved bit that is set, and every misconfiguration rule
// the entry breaks, is named in `problems`. Throws InputError for a level
// outside 1..cfg.levels.
DecodedEntry decode_ept(const EptConfig& cfg, std::uint64_t pte, int level);

}  // namespace ptspec::x86
