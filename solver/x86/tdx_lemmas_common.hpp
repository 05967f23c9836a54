// Shared by the x86.tdx lemma headers (tdx_lemmas.hpp assembles the
// catalogue): the logic type the lemmas are written over, the model's own
// logic TdxLogic, and the independent description the statements are checked
// against.
//
// The lemmas call only L's static functions. The catalogue instantiates them
// with TdxLogic, which forwards to the model's templates in
// model/x86/tdx_{gpa,sept_state,mmio}.hpp with the Symbolic domain;
// tests/solver/tdx_mutation_test.cpp instantiates them with a TdxLogic that
// has one function broken.
//
// The description in `spec` is written here from
// ../shared/reference/x86-tdx-sept.md and seed 004: state codes, status codes
// and bit positions as literal numbers, never the model's enum, Field
// constants or masks, so a claim is not circular.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "model/core/bits.hpp"
#include "model/x86/ept_entry.hpp"
#include "model/x86/ept_geometry.hpp"
#include "model/x86/tdx_gpa.hpp"
#include "model/x86/tdx_mmio.hpp"
#include "model/x86/tdx_sept_state.hpp"
#include "model/x86/tdx_status.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"

namespace ptspec::solver::tdx {

namespace xt = x86::tdx;
using x86::EptConfig;
using xt::SeptOp;
using Step = xt::SeptStep<Symbolic>;
using Track = xt::TrackStep<Symbolic>;

inline constexpr const char* kFormat = "x86.tdx";

// The model's logic, instantiated with Symbolic.
struct TdxLogic {
  using S = Symbolic;
  using W = z3::expr;
  // GPA
  static std::uint64_t shared_gfn_constant(unsigned gpaw) { return xt::shared_gfn_constant(gpaw); }
  static W shared_gpa_mask(const S& d, unsigned gpaw) { return xt::shared_gpa_mask(d, gpaw); }
  static W gpa_route(const S& d, unsigned gpaw, const W& gpa) { return xt::gpa_route(d, gpaw, gpa); }
  static W gpa_strip_shared(const S& d, unsigned gpaw, const W& gpa) { return xt::gpa_strip_shared(d, gpaw, gpa); }
  // states
  static W is_state_code(const S& d, const W& w) { return xt::is_state_code(d, w); }
  static W state_index(const S& d, const W& w) { return xt::state_index(d, w); }
  static W state_code(const S& d, const W& idx) { return xt::state_code(d, idx); }
  static W is_blocked(const S& d, const W& w) { return xt::is_blocked(d, w); }
  static W is_leaf(const S& d, const W& w) { return xt::is_leaf(d, w); }
  // the transition
  static Step transition(const S& d, SeptOp op, const W& state, const W& finalized, const W& running,
                         const W& tracked, const W& children_free, const W& leaf_level) {
    return xt::sept_transition(d, op, state, finalized, running, tracked, children_free, leaf_level);
  }
  static W records_block(const S& d, SeptOp op, const Step& s) { return xt::records_block(d, op, s); }
  // epochs
  static W tracked(const S& d, const W& bepoch, const W& epoch, const W& count0, const W& count1) {
    return xt::tracked_counts(d, bepoch, epoch, count0, count1);
  }
  static Track track_step(const S& d, const W& epoch, const W& count0, const W& count1) {
    return xt::track_step(d, epoch, count0, count1);
  }
  // levels
  static W pg_level_supported(const S& d, const W& level, unsigned ept_levels) {
    return xt::pg_level_supported(d, level, ept_levels);
  }
  static W pg_to_tdx_level(const S& d, const W& level) { return xt::pg_level_to_tdx_sept_level(d, level); }
  static W tdx_level_size(const S& d, const W& tdx_level) { return xt::tdx_sept_level_size(d, tdx_level); }
  // MMIO
  static W mmio_spte(const S& d, const EptConfig& c, const W& gpa) { return xt::mmio_spte(d, c, gpa); }
  static W initial_spte(const S& d) { return xt::initial_spte(d); }
  static W violation_becomes_ve(const S& d, const EptConfig& c, const W& spte) {
    return xt::violation_becomes_ve(d, c, spte);
  }
};

// ---- the independent description ----
namespace spec {

inline z3::expr bit_of(const z3::expr& w, unsigned n) { return w.extract(n, n) == w.ctx().bv_val(1, 1); }
inline z3::expr bits_zero(const z3::expr& w, unsigned hi, unsigned lo) {
  return w.extract(hi, lo) == w.ctx().bv_val(0, hi - lo + 1);
}
inline z3::expr b01(const Symbolic& d, const z3::expr& b) { return d.ite(b, d.lit(1), d.lit(0)); }

// SEPT state codes (reference "SEPT entry states").
inline constexpr std::uint64_t FREE = 0xe, REMOVED = 0xc, NL_MAPPED = 0x0, NL_BLOCKED = 0x8, MAPPED = 0x60,
                               BLOCKED = 0x68, BLOCKEDW = 0x64, PENDING = 0x70, PENDING_BLOCKED = 0x78,
                               PENDING_BLOCKEDW = 0x74;
// In the model's index order (tdx_sept_state.hpp kAllSeptStates).
inline constexpr std::uint64_t kStates[10] = {FREE,    REMOVED,  NL_MAPPED, NL_BLOCKED,      MAPPED,
                                              BLOCKED, BLOCKEDW, PENDING,   PENDING_BLOCKED, PENDING_BLOCKEDW};

// Status codes (reference "Error codes"; TDX module / Linux tdx_errno.h),
// with operand id RCX (0x01) where the module reports the entry.
inline constexpr std::uint64_t SUCCESS = 0;
inline constexpr std::uint64_t RCX = 0x01;
inline constexpr std::uint64_t OPERAND_INVALID = 0xC000010000000000;
inline constexpr std::uint64_t PREVIOUS_TLB_EPOCH_BUSY = 0x8000020100000000;
inline constexpr std::uint64_t TD_NOT_FINALIZED = 0xC000060200000000;
inline constexpr std::uint64_t TD_FINALIZED = 0xC000060300000000;
inline constexpr std::uint64_t EPT_ENTRY_NOT_FREE = 0xC0000B0200000000;
inline constexpr std::uint64_t GPA_RANGE_NOT_BLOCKED = 0xC0000B0600000000;
inline constexpr std::uint64_t GPA_RANGE_ALREADY_BLOCKED = 0x00000B0700000000;
inline constexpr std::uint64_t TLB_TRACKING_NOT_DONE = 0xC0000B0800000000;
inline constexpr std::uint64_t PAGE_ALREADY_ACCEPTED = 0x00000B0A00000000;
inline constexpr std::uint64_t PAGE_SIZE_MISMATCH = 0xC0000B0B00000000;
inline constexpr std::uint64_t EPT_ENTRY_STATE_INCORRECT = 0xC0000B0D00000000;
inline constexpr std::uint64_t EPT_PAGE_NOT_FREE = 0xC0000B0E00000000;

// w is one of the listed values.
inline z3::expr one_of(const Symbolic& d, const z3::expr& w, std::initializer_list<std::uint64_t> vs) {
  z3::expr any = d.blit(false);
  for (std::uint64_t v : vs) any = any || w == d.lit(v);
  return any;
}
inline z3::expr is_state(const Symbolic& d, const z3::expr& w) {
  return one_of(d, w, {FREE, REMOVED, NL_MAPPED, NL_BLOCKED, MAPPED, BLOCKED, BLOCKEDW, PENDING, PENDING_BLOCKED,
                       PENDING_BLOCKEDW});
}
inline z3::expr leaf(const Symbolic& d, const z3::expr& w) {
  return one_of(d, w, {MAPPED, BLOCKED, BLOCKEDW, PENDING, PENDING_BLOCKED, PENDING_BLOCKEDW});
}
inline z3::expr blocked(const Symbolic& d, const z3::expr& w) {
  return one_of(d, w, {NL_BLOCKED, BLOCKED, PENDING_BLOCKED});
}

// The statuses each op may return (with the operand id the model gives).
inline std::vector<std::uint64_t> statuses_of(SeptOp op) {
  const std::uint64_t esi = EPT_ENTRY_STATE_INCORRECT | RCX;
  switch (op) {
    case SeptOp::SeptAdd: return {SUCCESS, esi, EPT_ENTRY_NOT_FREE | RCX};
    case SeptOp::PageAdd: return {SUCCESS, esi, TD_FINALIZED, OPERAND_INVALID | RCX, EPT_ENTRY_NOT_FREE | RCX};
    case SeptOp::PageAug: return {SUCCESS, esi, TD_NOT_FINALIZED, EPT_ENTRY_NOT_FREE | RCX};
    case SeptOp::PageAccept:
      return {SUCCESS, esi, TD_NOT_FINALIZED, PAGE_SIZE_MISMATCH | RCX, PAGE_ALREADY_ACCEPTED | RCX};
    case SeptOp::RangeBlock: return {SUCCESS, esi, GPA_RANGE_ALREADY_BLOCKED | RCX};
    case SeptOp::RangeUnblock: return {SUCCESS, esi, GPA_RANGE_NOT_BLOCKED | RCX, TLB_TRACKING_NOT_DONE | RCX};
    case SeptOp::PageRemove: return {SUCCESS, esi, GPA_RANGE_NOT_BLOCKED | RCX, TLB_TRACKING_NOT_DONE | RCX};
    case SeptOp::SeptRemove:
      return {SUCCESS, esi, GPA_RANGE_NOT_BLOCKED | RCX, TLB_TRACKING_NOT_DONE | RCX, EPT_PAGE_NOT_FREE | RCX};
  }
  return {};
}

}  // namespace spec

// The free inputs of one transition: a 64-bit state word and the five flags.
struct StepVars {
  z3::expr state, finalized, running, tracked, children_free, leaf_level;
};
inline StepVars step_vars(const Symbolic& d) {
  return {d.var("state"),   d.bvar("finalized"),     d.bvar("running"),
          d.bvar("tracked"), d.bvar("children_free"), d.bvar("leaf_level")};
}
template <class L> Step step_of(const Symbolic& d, SeptOp op, const StepVars& v) {
  return L::transition(d, op, v.state, v.finalized, v.running, v.tracked, v.children_free, v.leaf_level);
}
inline std::vector<Reported> step_report(const Symbolic& d, const StepVars& v, const Step& s) {
  return {{"state", v.state},
          {"finalized", spec::b01(d, v.finalized)},
          {"running", spec::b01(d, v.running)},
          {"tracked", spec::b01(d, v.tracked)},
          {"children_free", spec::b01(d, v.children_free)},
          {"leaf_level", spec::b01(d, v.leaf_level)},
          {"next_state", s.next_state},
          {"status", s.status}};
}

}  // namespace ptspec::solver::tdx
