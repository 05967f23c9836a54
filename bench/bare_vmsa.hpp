// The bare VMSAv8-64 walk both arm64 walk benchmarks (bench/walk.cpp for
// stage 2, bench/stage1.cpp for stage 1) measure the model against: read the
// entry, check valid, table or leaf, extract the output address, next level.
// No fault classification, AF or permission check -- what a hardware walker
// must do at least over this memory layout. Stage 1 and stage 2 share the
// descriptor shape (model/arm64/vmsa_desc.hpp), so one loop serves both.
#pragma once

#include <cstdint>

#include "model/arm64/stage2_geometry.hpp"
#include "model/arm64/vmsa_desc.hpp"
#include "model/core/physmem.hpp"

namespace ptspec::bench {

// Everything the walk needs, precomputed once: per-level shift and index
// mask, and the output-address mask.
struct BareGeometry {
  unsigned start_level;
  unsigned shift[4];
  std::uint64_t index_mask[4];
  std::uint64_t oa_mask;
};

inline BareGeometry bare_geometry(const arm64::Geometry& g) {
  BareGeometry b{};
  b.start_level = g.start_level;
  for (unsigned l = g.start_level; l <= arm64::kMaxLevel; ++l) {
    b.shift[l] = g.level_shift(l);
    b.index_mask[l] = g.index_mask(l);
  }
  b.oa_mask = arm64::vmsa::oa_field(g.granule_shift).mask();
  return b;
}

// The output address for `ia` from the table at `root`, or ~0 at an invalid
// entry.
inline std::uint64_t bare_walk(const PhysMem& mem, const BareGeometry& b, std::uint64_t root, std::uint64_t ia) {
  std::uint64_t table = root;
  for (unsigned level = b.start_level;; ++level) {
    const std::uint64_t pte = *mem.find(table + (((ia >> b.shift[level]) & b.index_mask[level]) << 3));
    if (!(pte & 1)) return ~std::uint64_t{0};
    const std::uint64_t oa = pte & b.oa_mask;
    if (level < arm64::kMaxLevel && (pte & 2)) {
      table = oa;
      continue;
    }
    const std::uint64_t size_mask = (std::uint64_t{1} << b.shift[level]) - 1;
    return (oa & ~size_mask) | (ia & size_mask);
  }
}

}  // namespace ptspec::bench
