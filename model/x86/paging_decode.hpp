// Explains one guest paging-structure entry field by field, for a paging
// mode and level (what `ptspec decode x86.paging` will print).
#pragma once

#include <cstdint>

#include "model/core/decoded.hpp"
#include "model/x86/paging_entry.hpp"

namespace ptspec::x86 {

// `level`: 1 = PTE .. f.levels() (PAE level 3 = the PDPTE of Table 4-8).
// Every reserved bit that is set is named in `problems` with the rule that
// reserves it. Throws InputError for mode None, a level outside 1..levels,
// or a 32-bit-paging value wider than 32 bits.
DecodedEntry decode_paging(const paging::Format& f, std::uint64_t pte, unsigned level);

}  // namespace ptspec::x86
