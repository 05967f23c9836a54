// Explains one stage-2 descriptor field by field.
#pragma once

#include <cstdint>

#include "model/arm64/stage2_config.hpp"
#include "model/core/decoded.hpp"

namespace ptspec::arm64 {

// `level` < 0: unknown; the entry is explained as a leaf of the last level if
// bit 1 is set ("table or page") and as a block otherwise.
DecodedEntry decode_stage2(const Stage2Config& cfg, std::uint64_t pte, int level);

}  // namespace ptspec::arm64
