// Shared by the arm64.stage2 lemma headers (stage2_lemmas.hpp assembles the
// catalogue): the logic type the lemmas are written over, the model's own
// logic Stage2Logic, and the independent description the statements are
// checked against.
//
// Each statement is checked against an independent description written here
// from the Arm ARM / reference/arm64-stage2.md (bit positions, block levels,
// level shifts), not against the model's own constants where that would make
// the claim circular.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/arm64/stage2_desc.hpp"
#include "model/arm64/stage2_geometry.hpp"
#include "model/core/bits.hpp"
#include "model/core/errors.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/symmem.hpp"

namespace ptspec::solver::stage2 {

using arm64::Geometry;
using arm64::s2::OwnerLayout;
namespace s2 = arm64::s2;

inline constexpr const char* kFormat = "arm64.stage2";

// One step of a stage-2 walk: the model's own step (s2::walk_step), under
// the name the mutation tests override.
template <Domain D, class M>
  requires MemoryFor<M, D>
WordOf<D> walk_step_read(const D& d, const M& mem, const Geometry& g, const WordOf<D>& table,
                         const WordOf<D>& ia, unsigned level) {
  return s2::walk_step(d, mem, g, table, ia, level);
}

// The model's entry logic, instantiated with Symbolic.
struct Stage2Logic {
  using S = Symbolic;
  using W = z3::expr;
  static W is_valid(const S& d, const W& pte) { return s2::is_valid(d, pte); }
  static W is_table(const S& d, const W& pte, unsigned level) { return s2::is_table(d, pte, level); }
  static W is_leaf(const S& d, const Geometry& g, const W& pte, unsigned level) {
    return s2::is_leaf(d, g, pte, level);
  }
  static W is_counted(const S& d, const W& pte) { return s2::is_counted(d, pte); }
  static W needs_update(const S& d, const W& o, const W& n) { return s2::needs_update(d, o, n); }
  static W make_owner(const S& d, OwnerLayout l, const W& id) { return s2::make_owner(d, l, id); }
  static W owner_of(const S& d, OwnerLayout l, const W& pte) { return s2::owner_of(d, l, pte); }
  static W with_sw(const S& d, const W& pte, const W& sw) { return s2::with_sw(d, pte, sw); }
  static W oa_of(const S& d, const Geometry& g, const W& pte) { return s2::oa_of(d, g, pte); }
  static W make_table(const S& d, const Geometry& g, const W& pa) { return s2::make_table(d, g, pa); }
  static W make_leaf(const S& d, const Geometry& g, const W& pa, const W& attr, unsigned level) {
    return s2::make_leaf(d, g, pa, attr, level);
  }
  static s2::ProtAttr<S> prot_to_attr(const S& d, const s2::Prot<S>& p) { return s2::prot_to_attr(d, p); }
  static s2::Prot<S> attr_to_prot(const S& d, const W& pte) { return s2::attr_to_prot(d, pte); }
  static W block_mapping_supported(const S& d, const Geometry& g, unsigned level, const W& addr,
                                   const W& end, const W& phys) {
    return s2::block_mapping_supported(d, g, level, addr, end, phys);
  }
  static W table_index(const S& d, const Geometry& g, const W& ia, unsigned level) {
    return s2::table_index(d, g, ia, level);
  }
  static W entry_address(const S& d, const Geometry& g, const W& table, const W& ia, unsigned level) {
    return s2::entry_address(d, g, table, ia, level);
  }
  static W walk_step_read(const S& d, const SymMem& mem, const Geometry& g, const W& table, const W& ia,
                          unsigned level) {
    return stage2::walk_step_read(d, mem, g, table, ia, level);
  }
};

// ---- the independent description (Arm ARM D8, reference/arm64-stage2.md) ----
namespace spec {
inline constexpr std::uint64_t kValidBit = bit(0);
inline constexpr std::uint64_t kTypeBit = bit(1);
inline constexpr std::uint64_t kAttrLo = genmask(10, 2);   // MemAttr, S2AP, SH, AF
inline constexpr std::uint64_t kAttrHi = genmask(63, 51);  // XN, SW, ...
inline constexpr std::uint64_t kMemAttr = genmask(5, 2);
inline constexpr std::uint64_t kSh = genmask(9, 8);
inline constexpr std::uint64_t kAf = bit(10);
inline constexpr std::uint64_t kSw = genmask(58, 55);
inline constexpr std::uint64_t kPerms = bit(6) | bit(7) | bit(54);  // S2AP[0], S2AP[1], XN
inline constexpr std::uint64_t kOwnerIdMax = 0xff;                  // u8 owner_id
inline constexpr std::uint64_t kSwMax = 0xf;                        // four software bits
inline constexpr unsigned kGranuleShifts[] = {12, 14, 16};
constexpr std::uint64_t oa_mask(unsigned gs) { return genmask(47, gs); }
constexpr unsigned level_shift(unsigned gs, unsigned level) { return gs + (3 - level) * (gs - 3); }
// Blocks: 4K at levels 1 and 2; 16K/64K at level 2; pages at level 3.
constexpr bool leaf_level(unsigned gs, unsigned level) {
  return level == 3 || level == 2 || (level == 1 && gs == 12);
}
inline std::string granule_name(unsigned gs) { return gs == 12 ? "4k" : gs == 14 ? "16k" : "64k"; }
}  // namespace spec

// Geometries of the three granules (48-bit IPA and PA unless told).
inline std::vector<Geometry> granule_geometries(unsigned ia_bits = 48, unsigned pa_bits = 48) {
  std::vector<Geometry> out;
  for (unsigned gs : spec::kGranuleShifts)
    out.push_back(arm64::make_geometry(1u << gs, ia_bits, -1, pa_bits));
  return out;
}

// Every (ia_bits, start level) make_geometry accepts for a granule.
inline std::vector<Geometry> all_geometries(unsigned granule_shift, unsigned ia_lo = 32, unsigned ia_hi = 48,
                                            unsigned ia_step = 1) {
  std::vector<Geometry> out;
  for (unsigned ia = ia_lo; ia <= ia_hi; ia += ia_step)
    for (int sl = 0; sl <= 3; ++sl) {
      try {
        out.push_back(arm64::make_geometry(1u << granule_shift, ia, sl, 48));
      } catch (const InputError&) {
        // VTCR_EL2 cannot express this combination: not a configuration.
      }
    }
  return out;
}

inline const char* layout_name(OwnerLayout l) { return l == OwnerLayout::Seed ? "seed" : "upstream"; }

}  // namespace ptspec::solver::stage2
