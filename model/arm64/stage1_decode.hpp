// Explains one stage-1 descriptor field by field (`ptspec decode
// arm64.stage1`, Python's decode dict), from the same field constants and
// templates the model and the solver use (stage1_desc.hpp, stage1_walk.hpp).
#pragma once

#include <cstdint>

#include "model/arm64/stage1_config.hpp"
#include "model/core/decoded.hpp"

namespace ptspec::arm64::s1 {

// `level` < 0: unknown; bit 1 set is explained as a level-3 page, clear as a
// level-2 block. Levels above 3 are an InputError.
DecodedEntry decode_stage1(const Stage1Config& cfg, std::uint64_t pte, int level);

}  // namespace ptspec::arm64::s1
