// x86.sppt: the sub-page permission table's entries and one walk step
// (reference/x86-ept-spp.md, "SPP"; seeds 000 and 001).
//
// The SPPT is a 4-level table walked with the guest-physical address, like a
// 4-level EPT: level 4 indexes GPA 47:39, level 3 38:30, level 2 29:21 and
// level 1 20:12. Levels 4..2 hold non-leaf entries -- bit 0 valid, bits 11:1
// reserved, N-1:12 the next table's address, 63:N reserved for MAXPHYADDR N.
// Level 1 holds the leaf: the 64-bit write-permission vector of one 4 KiB page
// (model/x86/spp_vector.hpp), odd bits reserved; it has no valid bit.
//
// Walk outcomes: the vector; an SPPT miss (a non-present non-leaf entry, exit
// qualification bit 11 = 1); an SPPT misconfiguration (a reserved bit in a
// present non-leaf entry or an odd bit in the leaf, bit 11 = 0).
#pragma once

#include <cstdint>

#include "model/core/bits.hpp"
#include "model/core/domain.hpp"
#include "model/core/memory.hpp"
#include "model/x86/spp_vector.hpp"

namespace ptspec::x86::sppt {

inline constexpr unsigned kLevels = 4;  // 4 = root (L4E) .. 1 = leaf (L1E)
inline constexpr unsigned kLeafLevel = 1;
inline constexpr unsigned kIndexBits = 9;
inline constexpr unsigned kPageShift = 12;
inline constexpr std::uint64_t kValid = bit(0);
inline constexpr Field kNonLeafReservedLow{11, 1};
inline constexpr unsigned kMinMaxPhyAddr = 36;
inline constexpr unsigned kMaxMaxPhyAddr = 52;

// The GPA bit where level `level`'s index starts (level 1 -> 12 ... 4 -> 39).
constexpr unsigned level_shift(unsigned level) { return kPageShift + kIndexBits * (level - 1); }
// The GPA bits that index a table at `level`.
constexpr Field index_field(unsigned level) { return Field{level_shift(level) + kIndexBits - 1, level_shift(level)}; }
// The next-table address field of a non-leaf entry, for MAXPHYADDR n.
constexpr Field next_table_field(unsigned maxphyaddr) { return Field{maxphyaddr - 1, kPageShift}; }
// Every reserved bit of a non-leaf entry: 11:1 and 63:N.
constexpr std::uint64_t nonleaf_reserved_mask(unsigned maxphyaddr) {
  return kNonLeafReservedLow.mask() | genmask(63, maxphyaddr);
}

// What a walk step decides about the entry it read.
enum class Step : std::uint8_t {
  Next = 0,         // valid non-leaf entry: continue at its table (or, at level 1, the vector)
  Miss = 1,         // non-present non-leaf entry: SPPT miss
  Misconfig = 2,    // reserved bit set: SPPT misconfiguration
};

// ---- non-leaf entries ----

template <Domain D> BoolOf<D> is_valid(const D& d, const WordOf<D>& e) { return bit_test(d, e, 0); }

// A valid non-leaf entry pointing at the table at `table_pa` (its bits outside
// N-1:12 are dropped).
template <Domain D> WordOf<D> make_nonleaf(const D& d, unsigned maxphyaddr, const WordOf<D>& table_pa) {
  return (table_pa & d.lit(next_table_field(maxphyaddr).mask())) | d.lit(kValid);
}

template <Domain D> WordOf<D> next_table(const D& d, unsigned maxphyaddr, const WordOf<D>& e) {
  return e & d.lit(next_table_field(maxphyaddr).mask());
}

template <Domain D> BoolOf<D> nonleaf_reserved(const D& d, unsigned maxphyaddr, const WordOf<D>& e) {
  return (e & d.lit(nonleaf_reserved_mask(maxphyaddr))) != d.lit(0);
}

// KVM's lazy mode: an L2E made invalid but still holding its table address,
// so the next write walk misses and the miss handler can re-validate it.
template <Domain D> WordOf<D> invalidate(const D& d, const WordOf<D>& e) { return e & d.lit(~kValid); }

// ---- one walk step ----

template <Domain D> WordOf<D> table_index(const D& d, const WordOf<D>& gpa, unsigned level) {
  return field_get(d, gpa, index_field(level));
}

// Where the entry for `gpa` lives in the table at `table_pa` (4 KiB-aligned).
template <Domain D> WordOf<D> entry_address(const D& d, const WordOf<D>& table_pa, const WordOf<D>& gpa,
                                            unsigned level) {
  return table_pa + d.shl(table_index(d, gpa, level), 3);
}

// The one memory access of a walk step, for either memory (PhysMem/WalkMem or SymMem).
template <Domain D, class M>
  requires MemoryFor<M, D>
WordOf<D> walk_step(const D& d, const M& mem, const WordOf<D>& table_pa, const WordOf<D>& gpa, unsigned level) {
  return mem_load(d, mem, entry_address(d, table_pa, gpa, level));
}

// What the walk does with entry `e` read at `level`, as a Step code.
template <Domain D> WordOf<D> classify(const D& d, unsigned maxphyaddr, const WordOf<D>& e, unsigned level) {
  const WordOf<D> next = d.lit(static_cast<std::uint64_t>(Step::Next));
  const WordOf<D> miss = d.lit(static_cast<std::uint64_t>(Step::Miss));
  const WordOf<D> bad = d.lit(static_cast<std::uint64_t>(Step::Misconfig));
  if (level == kLeafLevel) return d.ite(spp::has_odd_bit(d, e), bad, next);
  return d.ite(!is_valid(d, e), miss, d.ite(nonleaf_reserved(d, maxphyaddr, e), bad, next));
}

// ---- the whole walk (concrete) ----

struct WalkResult {
  Step outcome = Step::Next;  // Next: `vector` is the leaf's permission vector
  unsigned level = 0;         // where a miss or misconfiguration was found
  std::uint64_t vector = 0;
  std::uint64_t entry = 0;    // the entry that ended the walk
};

// Walks from the SPPT root (SPPTP, 4 KiB aligned) for `gpa`.
template <class M>
  requires MemoryFor<M, Concrete>
WalkResult walk(const M& mem, unsigned maxphyaddr, std::uint64_t root, std::uint64_t gpa) {
  const Concrete d;
  std::uint64_t table = root & ~(bit(kPageShift) - 1);
  for (unsigned level = kLevels; level >= kLeafLevel; --level) {
    const std::uint64_t e = walk_step(d, mem, table, gpa, level);
    const auto s = static_cast<Step>(classify(d, maxphyaddr, e, level));
    if (s != Step::Next) return WalkResult{s, level, 0, e};
    if (level == kLeafLevel) return WalkResult{Step::Next, level, e, e};
    table = next_table(d, maxphyaddr, e);
  }
  return WalkResult{};
}

}  // namespace ptspec::x86::sppt
