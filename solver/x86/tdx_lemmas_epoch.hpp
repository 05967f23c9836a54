// The x86.tdx lemma builders about TLB epochs: the module's per-parity vCPU
// counts against each vCPU's own epoch, with a bounded number of vCPUs (the
// configuration's maximum, 8) modelled symbolically -- each with a
// "running" flag and an epoch -- under the invariant the counts rely on:
// every running vCPU is in the TD epoch e or in e - 1. Over a logic L
// (tdx_lemmas_common.hpp).
#pragma once

#include <z3++.h>

#include <cstdint>
#include <string>
#include <vector>

#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"
#include "solver/x86/tdx_lemmas_common.hpp"

namespace ptspec::solver::tdx {

inline constexpr unsigned kMaxVcpus = 8;  // TdConfig's vCPU bound

struct Vcpus {
  std::vector<z3::expr> running;  // Booleans
  std::vector<z3::expr> epoch;    // the epoch each entered in: e or e - 1
  z3::expr count0, count1;        // running vCPUs per epoch parity, as the module counts them
  std::vector<Reported> report;
};
// The window invariant by construction: vCPU i's epoch is e - 1 when its free
// Boolean prev_i is set, else e (64-bit arithmetic, so e = 0 gives 2^64 - 1).
// The counts are summed in 4 bits (at most 8) and zero-extended to the
// model's 64-bit word, which is exact.
inline Vcpus vcpus(const Symbolic& d, const z3::expr& e) {
  Vcpus v{{}, {}, d.lit(0), d.lit(0), {}};
  z3::expr n0 = d.ctx.bv_val(0, 4), n1 = d.ctx.bv_val(0, 4);
  const z3::expr one = d.ctx.bv_val(1, 4), zero = d.ctx.bv_val(0, 4);
  for (unsigned i = 0; i < kMaxVcpus; ++i) {
    v.running.push_back(d.bvar("running" + std::to_string(i)));
    v.epoch.push_back(d.ite(d.bvar("prev" + std::to_string(i)), e - d.lit(1), e));
    z3::expr odd = spec::bit_of(v.epoch[i], 0);
    n0 = n0 + z3::ite(v.running[i] && !odd, one, zero);
    n1 = n1 + z3::ite(v.running[i] && odd, one, zero);
    v.report.push_back({"running" + std::to_string(i), spec::b01(d, v.running[i])});
    v.report.push_back({"epoch" + std::to_string(i), v.epoch[i]});
  }
  v.count0 = z3::zext(n0, 60);
  v.count1 = z3::zext(n1, 60);
  return v;
}
// Every running vCPU is in epoch e or e - 1 (64-bit arithmetic).
inline z3::expr in_window(const Symbolic& d, const Vcpus& v, const z3::expr& e) {
  z3::expr ok = d.blit(true);
  for (unsigned i = 0; i < kMaxVcpus; ++i)
    ok = ok && d.implies(v.running[i], v.epoch[i] == e || v.epoch[i] == e - d.lit(1));
  return ok;
}

// One vCPU in epoch e or e - 1, a block at b < e: the vCPU entered after the
// block iff the block is two epochs old or the vCPU's epoch has the other
// parity (the fact the per-parity counts stand on).
inline z3::expr entered_after_by_parity(const Symbolic& d, const z3::expr& e, const z3::expr& b, const z3::expr& ep) {
  return d.implies(d.ult(b, e), d.ugt(ep, b) == (d.ult(b + d.lit(1), e) || spec::bit_of(ep, 0) != spec::bit_of(b, 0)));
}

// tracked(bepoch, e, counts) equals "the block is older than the TD epoch and
// every running vCPU entered after it" (bepoch < e and epoch_i > bepoch for
// every running i), for all 64-bit e and bepoch. Proved in two obligations
// (a single claim over 8 vCPUs took 7-10 s in Z3): part 0 proves the
// per-vCPU parity fact for one vCPU with free e, bepoch and epoch choice;
// part 1 proves the claim for 8 vCPUs given that fact for each of them (an
// instance of part 0), which leaves Z3 the counting (0.1-0.2 s).
template <class L> Claim tracked_count_form_matches_vcpus(z3::context& c) {
  Symbolic d(c);
  z3::expr e = d.var("td_epoch"), b = d.var("bepoch");
  Vcpus v = vcpus(d, e);
  z3::expr by_vcpu = d.ult(b, e);
  z3::expr facts = d.blit(true);
  for (unsigned i = 0; i < kMaxVcpus; ++i) {
    by_vcpu = by_vcpu && d.implies(v.running[i], d.ugt(v.epoch[i], b));
    facts = facts && entered_after_by_parity(d, e, b, v.epoch[i]);
  }
  z3::expr t = L::tracked(d, b, e, v.count0, v.count1);
  CaseSplit parts;
  parts.add(entered_after_by_parity(d, e, b, d.ite(d.bvar("prev"), e - d.lit(1), e)), {{"part", 0}});
  parts.add(d.implies(facts, t == by_vcpu), {{"part", 1}});
  std::vector<Reported> rep = {{"td_epoch", e}, {"bepoch", b}, {"tracked", spec::b01(d, t)},
                               {"count0", v.count0}, {"count1", v.count1}};
  for (Reported& r : v.report) rep.push_back(std::move(r));
  return parts.claim(rep);
}

// TRACK succeeds (epoch + 1, SUCCESS) exactly when no running vCPU is still
// in epoch e - 1, else PREVIOUS_TLB_EPOCH_BUSY with the epoch unchanged; so a
// successful TRACK keeps the window invariant for the new epoch.
template <class L> Claim track_refused_while_previous_epoch_runs(z3::context& c) {
  Symbolic d(c);
  z3::expr e = d.var("td_epoch");
  Vcpus v = vcpus(d, e);
  Track t = L::track_step(d, e, v.count0, v.count1);
  z3::expr none_prev = d.blit(true);
  for (unsigned i = 0; i < kMaxVcpus; ++i) none_prev = none_prev && !(v.running[i] && v.epoch[i] != e);
  z3::expr ok = t.status == d.lit(spec::SUCCESS);
  z3::expr holds = ok == none_prev &&
                   d.implies(ok, t.next_epoch == e + d.lit(1) && in_window(d, v, t.next_epoch)) &&
                   d.implies(!ok, t.status == d.lit(spec::PREVIOUS_TLB_EPOCH_BUSY) && t.next_epoch == e);
  std::vector<Reported> rep = {{"td_epoch", e}, {"next_epoch", t.next_epoch}, {"status", t.status},
                               {"count0", v.count0}, {"count1", v.count1}};
  for (Reported& r : v.report) rep.push_back(std::move(r));
  return Claim(holds, rep);
}

// The safety property at the level of one entry: while the TD runs, a
// successful PAGE.REMOVE -- with "tracked" computed by tracked() from the
// per-parity counts of 8 symbolic vCPUs in e / e-1 -- implies the entry was
// fully blocked (BLOCKED or PENDING_BLOCKED) and every running vCPU entered
// in an epoch after the block epoch, so none can still use a translation
// cached before the block. Two obligations as above (part 0 the per-vCPU
// parity fact, part 1 the claim given it for every vCPU).
template <class L> Claim remove_safe_for_every_vcpu(z3::context& c) {
  Symbolic d(c);
  z3::expr e = d.var("td_epoch"), b = d.var("bepoch");
  Vcpus v = vcpus(d, e);
  StepVars sv = step_vars(d);
  z3::expr t = L::tracked(d, b, e, v.count0, v.count1);
  Step s = L::transition(d, SeptOp::PageRemove, sv.state, sv.finalized, d.blit(true), t, sv.children_free,
                         sv.leaf_level);
  z3::expr safe = spec::one_of(d, sv.state, {spec::BLOCKED, spec::PENDING_BLOCKED});
  z3::expr facts = d.blit(true);
  for (unsigned i = 0; i < kMaxVcpus; ++i) {
    safe = safe && d.implies(v.running[i], d.ugt(v.epoch[i], b));
    facts = facts && entered_after_by_parity(d, e, b, v.epoch[i]);
  }
  CaseSplit parts;
  parts.add(entered_after_by_parity(d, e, b, d.ite(d.bvar("prev"), e - d.lit(1), e)), {{"part", 0}});
  parts.add(d.implies(facts && s.status == d.lit(spec::SUCCESS), safe), {{"part", 1}});
  std::vector<Reported> rep = {{"td_epoch", e},     {"bepoch", b},          {"state", sv.state},
                               {"status", s.status}, {"count0", v.count0}, {"count1", v.count1}};
  for (Reported& r : v.report) rep.push_back(std::move(r));
  return parts.claim(rep);
}

// Why KVM must TRACK and then kick: a block made in epoch e (bepoch = e) is
// never tracked in e; after a successful TRACK to e+1 it is tracked exactly
// when no vCPU still runs in e; once every vCPU that ran in e has exited and
// re-entered (now in e+1) it is tracked. For all 64-bit e below 2^64-1 and 8
// symbolic vCPUs in e / e-1.
template <class L> Claim block_needs_track_and_reentry(z3::context& c) {
  Symbolic d(c);
  z3::expr e = d.var("td_epoch");
  Vcpus v = vcpus(d, e);
  Track t = L::track_step(d, e, v.count0, v.count1);
  z3::expr ok = t.status == d.lit(spec::SUCCESS);
  z3::expr none_in_e = d.blit(true);
  for (unsigned i = 0; i < kMaxVcpus; ++i) none_in_e = none_in_e && !(v.running[i] && v.epoch[i] == e);
  // After the kick every running vCPU re-entered in the new epoch e+1: the
  // counts of e+1's parity hold all of them, the other parity none.
  z3::expr n = d.lit(0);
  for (unsigned i = 0; i < kMaxVcpus; ++i) n = n + d.ite(v.running[i], d.lit(1), d.lit(0));
  z3::expr odd_next = spec::bit_of(e + d.lit(1), 0);
  z3::expr after0 = d.ite(odd_next, d.lit(0), n), after1 = d.ite(odd_next, n, d.lit(0));
  z3::expr holds = d.implies(
      e != d.lit(~std::uint64_t{0}),
      !L::tracked(d, e, e, v.count0, v.count1) &&
          d.implies(ok, t.next_epoch == e + d.lit(1) &&
                            L::tracked(d, e, t.next_epoch, v.count0, v.count1) == none_in_e &&
                            L::tracked(d, e, t.next_epoch, after0, after1)));
  std::vector<Reported> rep = {{"td_epoch", e}, {"status", t.status}, {"count0", v.count0}, {"count1", v.count1}};
  for (Reported& r : v.report) rep.push_back(std::move(r));
  return Claim(holds, rep);
}

}  // namespace ptspec::solver::tdx
