// x86.tdx: Secure-EPT entry states, the state transition of every SEAMCALL
// that changes one entry, the TLB-epoch rules ("tracked", TRACK), and KVM's
// pg_level -> TDX SEPT level. Written once over a Domain (DESIGN.md "One
// definition, two domains"): the stateful model (model/x86/tdx_module.*) runs
// these with Concrete after taking its locks and walking to the entry; the
// solver proves the tdx-* lemmas about the very same templates.
//
// Sources: ../shared/reference/x86-tdx-sept.md ("SEPT entry states",
// "SEAMCALLs"); the TDX module's sept_state_lookup and api_calls
// tdh_mem_range_block.c (MAPPED/BLOCKEDW -> BLOCKED, PENDING/PENDING_BLOCKEDW
// -> PENDING_BLOCKED, an already blocked entry -> GPA_RANGE_ALREADY_BLOCKED,
// anything else -> EPT_ENTRY_STATE_INCORRECT, all with operand id RCX),
// tdh_mem_page_remove.c (a leaf; "while the TD may run" it must be *BLOCKED,
// else GPA_RANGE_NOT_BLOCKED, and tracked, else TLB_TRACKING_NOT_DONE; ->
// FREE), tdh_mem_track.c; seed 004_913031b64eea2a8b.txt
// (pg_level_to_tdx_sept_level = level - 1, WARN on PG_LEVEL_NONE).
//
// Readings (where the reference is silent; each is a named choice):
//  - "*BLOCKED" for PAGE.REMOVE / SEPT.REMOVE / RANGE.UNBLOCK means
//    NL_BLOCKED, BLOCKED, PENDING_BLOCKED; the write-blocked BLOCKEDW states
//    (migration) still allow reads, so they do not count.
//  - PAGE.REMOVE while running needs block + track for every leaf state,
//    also PENDING ones (the module may skip tracking for a never-accepted
//    page; requiring it is the conservative choice).
//  - RANGE.UNBLOCK needs "tracked" whether or not the TD runs.
//  - Lifecycle checks (PAGE.ADD before finalize, AUG/ACCEPT after) come
//    first, as the module checks the TD before walking to the entry, with
//    the seed-era codes TD_FINALIZED / TD_NOT_FINALIZED (TDX 1.5 reports
//    OP_STATE_INCORRECT); a word that is not a state code then gives
//    EPT_ENTRY_STATE_INCORRECT|RCX.
//  - The guest's TDG.MEM.PAGE.ACCEPT on a non-PENDING, non-accepted entry
//    is reported as EPT_ENTRY_STATE_INCORRECT|RCX (the module would exit to
//    the host with an EPT violation; the model keeps one status per outcome).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/core/bits.hpp"
#include "model/core/domain.hpp"
#include "model/core/errors.hpp"
#include "model/x86/tdx_status.hpp"

namespace ptspec::x86::tdx {

// ---- states (TDX module SEPT state encodings) ----
enum class SeptState : std::uint64_t {
  Free = 0xe,
  Removed = 0xc,
  NlMapped = 0x0,
  NlBlocked = 0x8,
  Mapped = 0x60,
  Blocked = 0x68,
  BlockedW = 0x64,
  Pending = 0x70,
  PendingBlocked = 0x78,
  PendingBlockedW = 0x74,
};
inline constexpr unsigned kNumSeptStates = 10;
inline constexpr SeptState kAllSeptStates[kNumSeptStates] = {
    SeptState::Free,    SeptState::Removed,  SeptState::NlMapped, SeptState::NlBlocked,      SeptState::Mapped,
    SeptState::Blocked, SeptState::BlockedW, SeptState::Pending,  SeptState::PendingBlocked, SeptState::PendingBlockedW};
// A word that is no state's code (what state_code gives for a bad index).
inline constexpr std::uint64_t kNotAState = 0xff;

constexpr std::uint64_t code(SeptState s) { return static_cast<std::uint64_t>(s); }

constexpr const char* sept_state_name(SeptState s) {
  switch (s) {
    case SeptState::Free: return "FREE";
    case SeptState::Removed: return "REMOVED";
    case SeptState::NlMapped: return "NL_MAPPED";
    case SeptState::NlBlocked: return "NL_BLOCKED";
    case SeptState::Mapped: return "MAPPED";
    case SeptState::Blocked: return "BLOCKED";
    case SeptState::BlockedW: return "BLOCKEDW";
    case SeptState::Pending: return "PENDING";
    case SeptState::PendingBlocked: return "PENDING_BLOCKED";
    case SeptState::PendingBlockedW: return "PENDING_BLOCKEDW";
  }
  return "?";
}

constexpr std::optional<SeptState> sept_state_from_code(std::uint64_t c) {
  for (SeptState s : kAllSeptStates)
    if (code(s) == c) return s;
  return std::nullopt;
}
constexpr std::optional<SeptState> sept_state_from_name(std::string_view n) {
  for (SeptState s : kAllSeptStates)
    if (n == sept_state_name(s)) return s;
  return std::nullopt;
}

// ---- predicates over a state word ----
template <Domain D> BoolOf<D> is_state(const D& d, const WordOf<D>& w, SeptState s) { return w == d.lit(code(s)); }

template <Domain D, class... S> BoolOf<D> in_states(const D& d, const WordOf<D>& w, S... s) {
  return (d.blit(false) || ... || is_state(d, w, s));
}

// `w` is one of the ten state codes.
template <Domain D> BoolOf<D> is_state_code(const D& d, const WordOf<D>& w) {
  using enum SeptState;
  return in_states(d, w, Free, Removed, NlMapped, NlBlocked, Mapped, Blocked, BlockedW, Pending, PendingBlocked,
                   PendingBlockedW);
}
// The entry maps a page (any leaf state).
template <Domain D> BoolOf<D> is_leaf(const D& d, const WordOf<D>& w) {
  using enum SeptState;
  return in_states(d, w, Mapped, Blocked, BlockedW, Pending, PendingBlocked, PendingBlockedW);
}
// The entry links a SEPT page.
template <Domain D> BoolOf<D> is_non_leaf(const D& d, const WordOf<D>& w) {
  using enum SeptState;
  return in_states(d, w, NlMapped, NlBlocked);
}
// Fully blocked (RWX cleared): what REMOVE and UNBLOCK need.
template <Domain D> BoolOf<D> is_blocked(const D& d, const WordOf<D>& w) {
  using enum SeptState;
  return in_states(d, w, NlBlocked, Blocked, PendingBlocked);
}
// Write-blocked only (migration).
template <Domain D> BoolOf<D> is_write_blocked(const D& d, const WordOf<D>& w) {
  using enum SeptState;
  return in_states(d, w, BlockedW, PendingBlockedW);
}
// Augmented but not yet accepted by the guest.
template <Domain D> BoolOf<D> is_pending(const D& d, const WordOf<D>& w) {
  using enum SeptState;
  return in_states(d, w, Pending, PendingBlocked, PendingBlockedW);
}
// Maps a page or links a table (not FREE/REMOVED, and a state code).
template <Domain D> BoolOf<D> is_present(const D& d, const WordOf<D>& w) {
  return is_leaf(d, w) || is_non_leaf(d, w);
}
// The guest may read / write through the entry (a leaf it accepted and that
// is not blocked; BLOCKEDW reads only).
template <Domain D> BoolOf<D> guest_readable(const D& d, const WordOf<D>& w) {
  using enum SeptState;
  return in_states(d, w, Mapped, BlockedW);
}
template <Domain D> BoolOf<D> guest_writable(const D& d, const WordOf<D>& w) {
  return is_state(d, w, SeptState::Mapped);
}

// ---- encode / decode as an index 0..9 (the order of kAllSeptStates) ----
// The index of the state `w` is, or kNumSeptStates for a non-state word.
template <Domain D> WordOf<D> state_index(const D& d, const WordOf<D>& w) {
  WordOf<D> idx = d.lit(kNumSeptStates);
  for (unsigned i = kNumSeptStates; i-- > 0;) idx = d.ite(is_state(d, w, kAllSeptStates[i]), d.lit(i), idx);
  return idx;
}
// The code of state number `idx`, or kNotAState for idx >= 10.
template <Domain D> WordOf<D> state_code(const D& d, const WordOf<D>& idx) {
  WordOf<D> c = d.lit(kNotAState);
  for (unsigned i = kNumSeptStates; i-- > 0;) c = d.ite(idx == d.lit(i), d.lit(code(kAllSeptStates[i])), c);
  return c;
}

// ---- the SEAMCALL transition of one entry ----
enum class SeptOp : std::uint8_t { SeptAdd, PageAdd, PageAug, PageAccept, RangeBlock, RangeUnblock, PageRemove, SeptRemove };
inline constexpr SeptOp kAllSeptOps[8] = {SeptOp::SeptAdd,    SeptOp::PageAdd,      SeptOp::PageAug,
                                          SeptOp::PageAccept, SeptOp::RangeBlock,   SeptOp::RangeUnblock,
                                          SeptOp::PageRemove, SeptOp::SeptRemove};

constexpr const char* sept_op_name(SeptOp op) {
  switch (op) {
    case SeptOp::SeptAdd: return "TDH.MEM.SEPT.ADD";
    case SeptOp::PageAdd: return "TDH.MEM.PAGE.ADD";
    case SeptOp::PageAug: return "TDH.MEM.PAGE.AUG";
    case SeptOp::PageAccept: return "TDG.MEM.PAGE.ACCEPT";
    case SeptOp::RangeBlock: return "TDH.MEM.RANGE.BLOCK";
    case SeptOp::RangeUnblock: return "TDH.MEM.RANGE.UNBLOCK";
    case SeptOp::PageRemove: return "TDH.MEM.PAGE.REMOVE";
    case SeptOp::SeptRemove: return "TDH.MEM.SEPT.REMOVE";
  }
  return "?";
}

// The outcome: the entry's next state and the status. On any status other
// than SUCCESS, next_state == state.
template <Domain D> struct SeptStep {
  WordOf<D> next_state;
  WordOf<D> status;
};

namespace detail {
// If `bad`, fail with `status` leaving `state`; else `rest`.
template <Domain D>
SeptStep<D> guard(const D& d, const WordOf<D>& state, const BoolOf<D>& bad, std::uint64_t status, const SeptStep<D>& rest) {
  return {d.ite(bad, state, rest.next_state), d.ite(bad, d.lit(status), rest.status)};
}
template <Domain D> SeptStep<D> success(const D& d, const WordOf<D>& next) { return {next, d.lit(kSuccess)}; }
template <Domain D> WordOf<D> st(const D& d, SeptState s) { return d.lit(code(s)); }
}  // namespace detail

// Inputs the module has already established (locks taken, walk done):
//   state         the target entry's state code (any word; non-state words
//                 give EPT_ENTRY_STATE_INCORRECT|RCX, never a transition)
//   finalized     the TD is finalized (PAGE.ADD only before; AUG/ACCEPT after)
//   running       the TD may have running vCPUs
//   tracked       the entry's block epoch is tracked (tracked() below)
//   children_free (SEPT.REMOVE) all 512 children FREE
//   leaf_level    the op targets a 4K leaf (PAGE.ADD is 4K only; ACCEPT at
//                 another level is a size mismatch)
template <Domain D>
SeptStep<D> sept_transition(const D& d, SeptOp op, const WordOf<D>& state, const BoolOf<D>& finalized,
                            const BoolOf<D>& running, const BoolOf<D>& tracked, const BoolOf<D>& children_free,
                            const BoolOf<D>& leaf_level) {
  using enum SeptState;
  using detail::guard, detail::success, detail::st;
  constexpr std::uint64_t rcx = kOperandIdRcx;
  const BoolOf<D> bad_code = !is_state_code(d, state);
  auto g = [&](const BoolOf<D>& bad, std::uint64_t status, const SeptStep<D>& rest) {
    return guard(d, state, bad, status, rest);
  };
  switch (op) {
    case SeptOp::SeptAdd:  // FREE -> NL_MAPPED
      return g(bad_code, kEptEntryStateIncorrect | rcx,
               g(!is_state(d, state, Free), kEptEntryNotFree | rcx, success(d, st(d, NlMapped))));
    case SeptOp::PageAdd:  // FREE -> MAPPED, 4K, before finalize
      return g(finalized, kTdFinalized,
               g(!leaf_level, kOperandInvalid | rcx,
                 g(bad_code, kEptEntryStateIncorrect | rcx,
                   g(!is_state(d, state, Free), kEptEntryNotFree | rcx, success(d, st(d, Mapped))))));
    case SeptOp::PageAug:  // FREE/REMOVED -> PENDING, after finalize
      return g(!finalized, kTdNotFinalized,
               g(bad_code, kEptEntryStateIncorrect | rcx,
                 g(!in_states(d, state, Free, Removed), kEptEntryNotFree | rcx, success(d, st(d, Pending)))));
    case SeptOp::PageAccept:  // PENDING -> MAPPED (guest)
      return g(!finalized, kTdNotFinalized,
               g(bad_code, kEptEntryStateIncorrect | rcx,
                 g(!leaf_level, kPageSizeMismatch | rcx,
                   g(in_states(d, state, Mapped, BlockedW), kPageAlreadyAccepted | rcx,
                     g(!is_state(d, state, Pending), kEptEntryStateIncorrect | rcx, success(d, st(d, Mapped)))))));
    case SeptOp::RangeBlock: {
      const WordOf<D> next = d.ite(is_state(d, state, NlMapped), st(d, NlBlocked),
                                   d.ite(in_states(d, state, Mapped, BlockedW), st(d, Blocked), st(d, PendingBlocked)));
      return g(bad_code, kEptEntryStateIncorrect | rcx,
               g(is_blocked(d, state), kGpaRangeAlreadyBlocked | rcx,
                 g(!in_states(d, state, NlMapped, Mapped, BlockedW, Pending, PendingBlockedW),
                   kEptEntryStateIncorrect | rcx, success(d, next))));
    }
    case SeptOp::RangeUnblock: {
      const WordOf<D> next = d.ite(is_state(d, state, NlBlocked), st(d, NlMapped),
                                   d.ite(is_state(d, state, Blocked), st(d, Mapped), st(d, Pending)));
      return g(bad_code, kEptEntryStateIncorrect | rcx,
               g(!is_blocked(d, state), kGpaRangeNotBlocked | rcx,
                 g(!tracked, kTlbTrackingNotDone | rcx, success(d, next))));
    }
    case SeptOp::PageRemove:  // leaf -> FREE; while running: blocked and tracked
      return g(bad_code, kEptEntryStateIncorrect | rcx,
               g(!is_leaf(d, state), kEptEntryStateIncorrect | rcx,
                 g(running && !is_blocked(d, state), kGpaRangeNotBlocked | rcx,
                   g(running && !tracked, kTlbTrackingNotDone | rcx, success(d, st(d, Free))))));
    case SeptOp::SeptRemove:  // non-leaf -> FREE; while running: NL_BLOCKED and tracked; children FREE
      return g(bad_code, kEptEntryStateIncorrect | rcx,
               g(!is_non_leaf(d, state), kEptEntryStateIncorrect | rcx,
                 g(running && !is_state(d, state, NlBlocked), kGpaRangeNotBlocked | rcx,
                   g(running && !tracked, kTlbTrackingNotDone | rcx,
                     g(!children_free, kEptPageNotFree | rcx, success(d, st(d, Free)))))));
  }
  return {state, d.lit(kEptEntryStateIncorrect | rcx)};  // not reached: every op is handled
}

// A successful RANGE.BLOCK: the caller records the TD epoch as the entry's
// block epoch (PAMT.BEPOCH).
template <Domain D> BoolOf<D> records_block(const D& d, SeptOp op, const SeptStep<D>& s) {
  return d.blit(op == SeptOp::RangeBlock) && s.status == d.lit(kSuccess);
}

// ---- TLB epochs (reference "TRACK", "Tracked") ----
// vCPUs enter in the TD epoch; the module counts running vCPUs per epoch
// parity (a vCPU still running is in epoch e or e-1).
template <Domain D> WordOf<D> epoch_parity(const D& d, const WordOf<D>& e) { return e & d.lit(1); }
// The count of the parity of epoch `e`, given the counts of parity 0 and 1.
template <Domain D>
WordOf<D> count_in_parity(const D& d, const WordOf<D>& e, const WordOf<D>& count0, const WordOf<D>& count1) {
  return d.ite(epoch_parity(d, e) == d.lit(0), count0, count1);
}

// "Tracked": bepoch < epoch - 1, or bepoch == epoch - 1 and no vCPU still
// runs in epoch bepoch. Written without epoch - 1 so that it cannot wrap:
// bepoch < epoch && (bepoch + 1 < epoch || no vCPU in bepoch's parity).
template <Domain D>
BoolOf<D> tracked(const D& d, const WordOf<D>& bepoch, const WordOf<D>& epoch, const WordOf<D>& vcpus_in_parity_of_bepoch) {
  return d.ult(bepoch, epoch) && (d.ult(bepoch + d.lit(1), epoch) || vcpus_in_parity_of_bepoch == d.lit(0));
}
// The same from the two parity counts.
template <Domain D>
BoolOf<D> tracked_counts(const D& d, const WordOf<D>& bepoch, const WordOf<D>& epoch, const WordOf<D>& count0,
                         const WordOf<D>& count1) {
  return tracked(d, bepoch, epoch, count_in_parity(d, bepoch, count0, count1));
}

// TRACK may advance the epoch only when no vCPU still runs in the previous
// epoch (the other parity's count is 0), else PREVIOUS_TLB_EPOCH_BUSY.
template <Domain D> BoolOf<D> track_allowed(const D& d, const WordOf<D>& /*epoch*/, const WordOf<D>& count_of_other_parity) {
  return count_of_other_parity == d.lit(0);
}

template <Domain D> struct TrackStep {
  WordOf<D> next_epoch;
  WordOf<D> status;
};
// TRACK with the epoch lock held: epoch + 1, or PREVIOUS_TLB_EPOCH_BUSY and
// no change. The other parity is that of epoch - 1, i.e. of epoch + 1.
template <Domain D>
TrackStep<D> track_step(const D& d, const WordOf<D>& epoch, const WordOf<D>& count0, const WordOf<D>& count1) {
  const BoolOf<D> ok = track_allowed(d, epoch, count_in_parity(d, epoch + d.lit(1), count0, count1));
  return {d.ite(ok, epoch + d.lit(1), epoch), d.ite(ok, d.lit(kSuccess), d.lit(kPreviousTlbEpochBusy))};
}

// ---- KVM's pg_level -> TDX SEPT level (seed 004) ----
// enum pg_level: NONE 0, 4K 1, 2M 2, 1G 3, 512G 4. TDX levels: 0 = 4K ... 3 = 512G.
inline constexpr unsigned kPgLevelNone = 0, kPgLevel4K = 1, kPgLevel2M = 2, kPgLevel1G = 3, kPgLevel512G = 4;

// 1..4, or 1..5 with a 5-level EPT (KVM's PML5 root has role.level 5 and its
// entries are linked with link_private_spt at that level).
inline constexpr unsigned kPgLevel5 = 5;
template <Domain D> BoolOf<D> pg_level_supported(const D& d, const WordOf<D>& level, unsigned ept_levels = 4) {
  return d.ule(d.lit(kPgLevel4K), level) && d.ule(level, d.lit(ept_levels >= 5 ? kPgLevel5 : kPgLevel512G));
}
template <Domain D> WordOf<D> pg_level_to_tdx_sept_level(const D& d, const WordOf<D>& level) {
  return level - d.lit(1);
}
// Bytes one entry at TDX SEPT level `tdx_level` maps: 4 KiB << 9 * level.
template <Domain D> WordOf<D> tdx_sept_level_size(const D& d, const WordOf<D>& tdx_level) {
  return d.shl_var(d.lit(4096), d.shl(tdx_level, 3) + tdx_level);
}

// Concrete, with KVM's WARN on PG_LEVEL_NONE as an error: throws InputError
// for a level outside 1..4 (1..5 when `ept_levels` is 5).
inline unsigned pg_level_to_tdx_sept_level(unsigned pg_level, unsigned ept_levels = 4) {
  if (!pg_level_supported(Concrete{}, pg_level, ept_levels))
    throw InputError("pg_level: " + std::to_string(pg_level) + " is not a KVM page level (1 = 4K .. " +
                     (ept_levels >= 5 ? "5 = PML5 root" : "4 = 512G") + ")");
  return static_cast<unsigned>(pg_level_to_tdx_sept_level(Concrete{}, pg_level));
}

// ---- concrete shorthands ----
inline SeptStep<Concrete> sept_transition(SeptOp op, std::uint64_t state, bool finalized, bool running, bool tracked_,
                                          bool children_free, bool leaf_level) {
  return sept_transition(Concrete{}, op, state, finalized, running, tracked_, children_free, leaf_level);
}

}  // namespace ptspec::x86::tdx
