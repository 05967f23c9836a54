// The one generic walker of KVM's pgtable.c, written from its described
// semantics (reference/arm64-stage2.md; STYLE.md "one walker, many small
// visitors"). It visits every entry whose input range intersects
// [addr, end), calling the visitor at TABLE_PRE (a table entry, before its
// children), LEAF (a non-table entry; the walk re-reads the entry afterwards
// and descends if the visitor installed a table) and TABLE_POST (after the
// children). A non-zero visitor return aborts the walk.
#pragma once

#include <cstdint>

#include "model/arm64/stage2.hpp"

namespace ptspec::arm64 {

enum WalkFlag : unsigned { kTablePre = 1, kLeaf = 2, kTablePost = 4 };

// What a visitor sees (kvm_pgtable_visit_ctx): the entry's old value, its
// address, the level, the current input address and the end of the range.
struct VisitCtx {
  Stage2& pgt;
  std::uint64_t addr;
  std::uint64_t end;
  unsigned level;
  std::uint64_t ptep;
  std::uint64_t old;
  WalkFlag flag;
};

namespace detail {

template <class V> struct Walk {
  Stage2& pgt;
  V& visitor;
  std::uint64_t addr;
  std::uint64_t end;

  int entry(std::uint64_t ptep, unsigned level) {
    const Geometry& g = pgt.geo();
    const std::uint64_t at = addr;
    std::uint64_t pte = pgt.load(ptep);
    bool table = s2::is_table(Concrete{}, pte, level);
    int ret = 0;
    if (table && (V::kFlags & kTablePre))
      ret = visitor(VisitCtx{pgt, at, end, level, ptep, pte, kTablePre});
    if (!table && (V::kFlags & kLeaf)) {
      ret = visitor(VisitCtx{pgt, at, end, level, ptep, pte, kLeaf});
      pte = pgt.load(ptep);
      table = s2::is_table(Concrete{}, pte, level);
    }
    if (ret) return ret;
    if (!table) {
      // Continue at the next entry of this level (aligned down first: the
      // walk may have entered this entry in the middle of its range).
      std::uint64_t size = g.block_size(level);
      addr = (addr & ~(size - 1)) + size;
      return 0;
    }
    // Descend into the table this entry pointed to when the visit began (a
    // TABLE_PRE visitor may have cleared the entry; the map walker's
    // "anchor" relies on still walking the old subtree).
    ret = table_walk(s2::oa_of(Concrete{}, g, pte), level + 1);
    if (ret) return ret;
    if (V::kFlags & kTablePost)
      ret = visitor(VisitCtx{pgt, at, end, level, ptep, pgt.load(ptep), kTablePost});
    return ret;
  }

  int table_walk(std::uint64_t table, unsigned level) {
    const Geometry& g = pgt.geo();
    // Each entry visited is the one the proved walk step selects for the
    // current address (s2::entry_address); the walk moves `addr` on.
    const std::uint64_t first = s2::table_index(Concrete{}, g, addr, level);
    for (std::uint64_t idx = first; idx < g.entries(level) && addr < end; ++idx) {
      int ret = entry(s2::entry_address(Concrete{}, g, table, addr, level), level);
      if (ret) return ret;
    }
    return 0;
  }
};

}  // namespace detail

// Walks [addr, addr + size); the range has been checked by the caller.
template <class V> int stage2_walk(Stage2& pgt, std::uint64_t addr, std::uint64_t size, V& visitor) {
  detail::Walk<V> w{pgt, visitor, addr, addr + size};
  return w.table_walk(pgt.pgd(), pgt.geo().start_level);
}

}  // namespace ptspec::arm64
