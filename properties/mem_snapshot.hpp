// The "unchanged" invariant, shared by every format whose tables live in a
// PhysMem (DESIGN.md invariant "errors return with the tables unchanged"):
// a snapshot of every live page before an op, compared after a failed op.
// Moved here from arm64/stage2_checks so x86.ept does not copy it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/core/physmem.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {

// A failed op left every live page bit-for-bit, every refcount, and (in
// manual mode) the page cache as they were. The snapshot is a copy of every
// live page (one memcpy each), taken before every op since its outcome is
// not known beforehand; after a failed op each page is compared with
// memcmp, word by word only where that finds a difference.
struct MemSnapshot {
  std::vector<std::uint64_t> pages;   // live pages, ascending
  std::vector<std::uint32_t> counts;  // their refcounts
  std::vector<std::uint64_t> words;   // their contents, page i at [i * words_per_page, ...)
  std::size_t words_per_page = 0;
  std::size_t cache_size = 0;
  bool cache_auto = true;
  bool destroyed = false;  // the format's own "table freed" state
};

void take_mem_snapshot(const PhysMem& mem, bool destroyed, MemSnapshot& into);  // reuses into's buffers
void check_mem_unchanged(const MemSnapshot& before, const PhysMem& mem, bool destroyed, std::vector<Violation>& out);

}  // namespace ptspec::props
