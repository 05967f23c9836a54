// The x86.tdx lemma builders about SEPT entry states and the per-entry
// SEAMCALL transition (sept_transition), over every 64-bit state word and
// every combination of the flags the module has established. Over a logic L
// (tdx_lemmas_common.hpp); the expected states and statuses are the literal
// codes of spec.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <vector>

#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/x86/tdx_lemmas_common.hpp"

namespace ptspec::solver::tdx {

// The ten codes are distinct; state_index(code_i) = i and state_code(i) =
// code_i; for every word w, is_state_code(w) iff w is one of the ten iff
// state_index(w) < 10, and then state_code(state_index(w)) = w.
template <class L> Claim state_encoding_round_trip(z3::context& c) {
  Symbolic d(c);
  z3::expr w = d.var("word");
  z3::expr holds = d.blit(true);
  for (unsigned i = 0; i < 10; ++i) {
    for (unsigned j = i + 1; j < 10; ++j) holds = holds && d.lit(spec::kStates[i]) != d.lit(spec::kStates[j]);
    holds = holds && L::state_index(d, d.lit(spec::kStates[i])) == d.lit(i) &&
            L::state_code(d, d.lit(i)) == d.lit(spec::kStates[i]);
  }
  z3::expr idx = L::state_index(d, w);
  holds = holds && L::is_state_code(d, w) == spec::is_state(d, w) && L::is_state_code(d, w) == d.ult(idx, d.lit(10)) &&
          d.implies(L::is_state_code(d, w), L::state_code(d, idx) == w);
  return Claim(holds, {{"word", w}, {"index", idx}, {"code_of_index", L::state_code(d, idx)}});
}

// Total and closed: for every op, 64-bit state word and flags, the one
// (next, status) pair has a status from the op's list; SUCCESS leads from a
// state code to a state code; any other status leaves the state as it was.
template <class L> Claim transition_closed(z3::context& c) {
  Symbolic d(c);
  StepVars v = step_vars(d);
  CaseSplit cases;
  for (SeptOp op : xt::kAllSeptOps) {
    Step s = step_of<L>(d, op, v);
    z3::expr listed = d.blit(false);
    for (std::uint64_t st : spec::statuses_of(op)) listed = listed || s.status == d.lit(st);
    z3::expr ok = s.status == d.lit(spec::SUCCESS);
    cases.add(listed && d.implies(ok, spec::is_state(d, v.state) && spec::is_state(d, s.next_state)) &&
                  d.implies(!ok, s.next_state == v.state),
              {{"op", static_cast<std::uint64_t>(op)}});
  }
  return cases.claim({{"state", v.state},
                      {"finalized", spec::b01(d, v.finalized)},
                      {"running", spec::b01(d, v.running)},
                      {"tracked", spec::b01(d, v.tracked)},
                      {"children_free", spec::b01(d, v.children_free)},
                      {"leaf_level", spec::b01(d, v.leaf_level)}});
}

// A word that is not a state code never moves: for every op and flags the
// status is an error (bit 63) and the next state is the word itself.
template <class L> Claim non_state_rejected(z3::context& c) {
  Symbolic d(c);
  StepVars v = step_vars(d);
  CaseSplit cases;
  for (SeptOp op : xt::kAllSeptOps) {
    Step s = step_of<L>(d, op, v);
    cases.add(d.implies(!spec::is_state(d, v.state), spec::bit_of(s.status, 63) && s.next_state == v.state),
              {{"op", static_cast<std::uint64_t>(op)}});
  }
  return cases.claim({{"state", v.state},
                      {"finalized", spec::b01(d, v.finalized)},
                      {"running", spec::b01(d, v.running)},
                      {"tracked", spec::b01(d, v.tracked)}});
}

// PAGE.REMOVE: success only on a leaf; while the TD runs only if the entry is
// BLOCKED / PENDING_BLOCKED and tracked; the entry becomes FREE. When the TD
// does not run, every leaf state is removable.
template <class L> Claim page_remove_needs_block_and_track(z3::context& c) {
  Symbolic d(c);
  StepVars v = step_vars(d);
  Step s = step_of<L>(d, SeptOp::PageRemove, v);
  z3::expr ok = s.status == d.lit(spec::SUCCESS);
  z3::expr holds =
      d.implies(ok, spec::leaf(d, v.state) && s.next_state == d.lit(spec::FREE)) &&
      d.implies(ok && v.running, spec::one_of(d, v.state, {spec::BLOCKED, spec::PENDING_BLOCKED}) && v.tracked) &&
      d.implies(!v.running && spec::leaf(d, v.state), ok);
  return Claim(holds, step_report(d, v, s));
}

// RANGE.BLOCK succeeds exactly on the unblocked present states (NL_MAPPED,
// MAPPED, BLOCKEDW, PENDING, PENDING_BLOCKEDW), leaves the matching blocked
// state (NL_BLOCKED, BLOCKED, BLOCKED, PENDING_BLOCKED, PENDING_BLOCKED) and
// records the block (records_block) exactly then; an already blocked entry
// gives GPA_RANGE_ALREADY_BLOCKED (not an error) and stays.
template <class L> Claim range_block_blocks(z3::context& c) {
  Symbolic d(c);
  StepVars v = step_vars(d);
  Step s = step_of<L>(d, SeptOp::RangeBlock, v);
  z3::expr ok = s.status == d.lit(spec::SUCCESS);
  using namespace spec;
  auto from_to = [&](std::uint64_t a, std::uint64_t b) {
    return d.implies(v.state == d.lit(a), ok && s.next_state == d.lit(b));
  };
  z3::expr holds = ok == one_of(d, v.state, {NL_MAPPED, MAPPED, BLOCKEDW, PENDING, PENDING_BLOCKEDW}) &&
                   from_to(NL_MAPPED, NL_BLOCKED) && from_to(MAPPED, BLOCKED) && from_to(BLOCKEDW, BLOCKED) &&
                   from_to(PENDING, PENDING_BLOCKED) && from_to(PENDING_BLOCKEDW, PENDING_BLOCKED) &&
                   d.implies(ok, blocked(d, s.next_state)) && L::records_block(d, SeptOp::RangeBlock, s) == ok &&
                   d.implies(blocked(d, v.state), s.status == d.lit(GPA_RANGE_ALREADY_BLOCKED | RCX) &&
                                                      s.next_state == v.state && !bit_of(s.status, 63));
  return Claim(holds, step_report(d, v, s));
}

// The guest's ACCEPT succeeds exactly from PENDING (TD finalized, 4K level)
// and leaves MAPPED; an accepted page (MAPPED, BLOCKEDW) gives
// PAGE_ALREADY_ACCEPTED without change.
template <class L> Claim page_accept_only_pending(z3::context& c) {
  Symbolic d(c);
  StepVars v = step_vars(d);
  Step s = step_of<L>(d, SeptOp::PageAccept, v);
  z3::expr ok = s.status == d.lit(spec::SUCCESS);
  z3::expr holds =
      ok == (v.state == d.lit(spec::PENDING) && v.finalized && v.leaf_level) &&
      d.implies(ok, s.next_state == d.lit(spec::MAPPED)) &&
      d.implies(v.finalized && v.leaf_level && spec::one_of(d, v.state, {spec::MAPPED, spec::BLOCKEDW}),
                s.status == d.lit(spec::PAGE_ALREADY_ACCEPTED | spec::RCX) && s.next_state == v.state);
  return Claim(holds, step_report(d, v, s));
}

// The adding calls: SEPT.ADD exactly FREE -> NL_MAPPED; PAGE.ADD exactly
// FREE -> MAPPED, before finalize and at the 4K level; PAGE.AUG exactly
// FREE/REMOVED -> PENDING, after finalize.
template <class L> Claim add_aug_only_free(z3::context& c) {
  Symbolic d(c);
  StepVars v = step_vars(d);
  Step sa = step_of<L>(d, SeptOp::SeptAdd, v);
  Step pa = step_of<L>(d, SeptOp::PageAdd, v);
  Step au = step_of<L>(d, SeptOp::PageAug, v);
  auto ok = [&](const Step& s) { return s.status == d.lit(spec::SUCCESS); };
  z3::expr holds = ok(sa) == (v.state == d.lit(spec::FREE)) && d.implies(ok(sa), sa.next_state == d.lit(spec::NL_MAPPED)) &&
                   ok(pa) == (v.state == d.lit(spec::FREE) && !v.finalized && v.leaf_level) &&
                   d.implies(ok(pa), pa.next_state == d.lit(spec::MAPPED)) &&
                   ok(au) == (spec::one_of(d, v.state, {spec::FREE, spec::REMOVED}) && v.finalized) &&
                   d.implies(ok(au), au.next_state == d.lit(spec::PENDING));
  std::vector<Reported> rep = step_report(d, v, au);
  rep.push_back({"sept_add_status", sa.status});
  rep.push_back({"page_add_status", pa.status});
  return Claim(holds, rep);
}

// SEPT.REMOVE succeeds only on a non-leaf entry whose 512 children are all
// FREE, and while the TD runs only from NL_BLOCKED with the block tracked;
// the entry becomes FREE.
template <class L> Claim sept_remove_needs_free_children(z3::context& c) {
  Symbolic d(c);
  StepVars v = step_vars(d);
  Step s = step_of<L>(d, SeptOp::SeptRemove, v);
  z3::expr ok = s.status == d.lit(spec::SUCCESS);
  z3::expr holds =
      d.implies(ok, spec::one_of(d, v.state, {spec::NL_MAPPED, spec::NL_BLOCKED}) && v.children_free &&
                        s.next_state == d.lit(spec::FREE)) &&
      d.implies(ok && v.running, v.state == d.lit(spec::NL_BLOCKED) && v.tracked) &&
      d.implies(v.state == d.lit(spec::NL_BLOCKED) && v.tracked && v.children_free, ok);
  return Claim(holds, step_report(d, v, s));
}

// RANGE.UNBLOCK succeeds exactly on a blocked entry whose block is tracked,
// and restores the unblocked state (NL_BLOCKED -> NL_MAPPED, BLOCKED ->
// MAPPED, PENDING_BLOCKED -> PENDING).
template <class L> Claim range_unblock_needs_track(z3::context& c) {
  Symbolic d(c);
  StepVars v = step_vars(d);
  Step s = step_of<L>(d, SeptOp::RangeUnblock, v);
  z3::expr ok = s.status == d.lit(spec::SUCCESS);
  using namespace spec;
  auto from_to = [&](std::uint64_t a, std::uint64_t b) {
    return d.implies(ok && v.state == d.lit(a), s.next_state == d.lit(b));
  };
  z3::expr holds = ok == (blocked(d, v.state) && v.tracked) && from_to(NL_BLOCKED, NL_MAPPED) &&
                   from_to(BLOCKED, MAPPED) && from_to(PENDING_BLOCKED, PENDING);
  return Claim(holds, step_report(d, v, s));
}

}  // namespace ptspec::solver::tdx
