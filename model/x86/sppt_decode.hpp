// Explains one SPPT entry field by field (what `ptspec decode x86.sppt`
// prints). Layout: model/x86/sppt_entry.hpp and spp_vector.hpp
// (reference/x86-ept-spp.md "SPP"; seed 000 patch 03/11).
#pragma once

#include <cstdint>

#include "model/core/decoded.hpp"

namespace ptspec::x86 {

// `level` 1 = the leaf vector (the 32 sub-pages, each with its byte range
// and whether it is writable; odd bits reserved); 2..4 = a non-leaf entry
// (valid, next-table address, reserved bits 11:1 and 63:N). `level` < 0:
// both readings, the summary saying what the value would be at each level.
// Every reserved bit that is set is named in `problems` (with "as L1E:" /
// "as L2E..L4E:" prefixes when the level is unknown). Throws InputError for
// a level outside 1..4 or a MAXPHYADDR outside 36..52.
DecodedEntry decode_sppt(unsigned maxphyaddr, std::uint64_t value, int level);

}  // namespace ptspec::x86
