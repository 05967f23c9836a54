// TdxModule: construction, names, inspection, the locks and the SEAMCALLs.
// State rules come from tdx_sept_state.hpp (sept_transition, tracked,
// track_step); see tdx_module.hpp for the order of checks.
#include "model/x86/tdx_module.hpp"

#include <fmt/format.h>

#include "model/core/bits.hpp"
#include "model/core/errors.hpp"
#include "model/x86/tdx_gpa.hpp"
#include "model/x86/tdx_names.hpp"

namespace ptspec::x86::tdx {

namespace {

constexpr Concrete C{};
constexpr std::uint64_t kPage = 4096;

// Bytes one entry at TDX level `level` maps (tdx_sept_level_size).
std::uint64_t level_size(unsigned level) { return tdx_sept_level_size(C, std::uint64_t{level}); }
std::uint64_t align_down(std::uint64_t gpa, unsigned level) { return gpa & ~(level_size(level) - 1); }

}  // namespace

const char* tdx_lock_name(TdxLock l) {
  switch (l) {
    case TdxLock::Epoch: return "epoch";
    case TdxLock::SeptTree: return "sept";
    case TdxLock::SeptEntry: return "entry";
    case TdxLock::Pamt: return "pamt";
  }
  return "?";
}

bool tdx_lock_from_name(std::string_view s, TdxLock& out) {
  for (TdxLock l : {TdxLock::Epoch, TdxLock::SeptTree, TdxLock::SeptEntry, TdxLock::Pamt})
    if (s == tdx_lock_name(l)) {
      out = l;
      return true;
    }
  return false;
}

const char* page_owner_name(PageOwner o) {
  switch (o) {
    case PageOwner::Host: return "host";
    case PageOwner::TdPrivate: return "td-private";
    case PageOwner::SeptPage: return "sept-page";
    case PageOwner::Removed: return "removed";
  }
  return "?";
}

bool page_owner_from_name(std::string_view s, PageOwner& out) {
  return detail::enum_from_name(s, out, static_cast<unsigned>(PageOwner::Removed) + 1, page_owner_name);
}

bool seamcall_from_name(std::string_view s, Seamcall& out) {
  return detail::enum_from_name(s, out, static_cast<unsigned>(Seamcall::TdExit) + 1, seamcall_name);
}

const char* seamcall_name(Seamcall c) {
  switch (c) {
    case Seamcall::SeptAdd: return "TDH.MEM.SEPT.ADD";
    case Seamcall::PageAdd: return "TDH.MEM.PAGE.ADD";
    case Seamcall::PageAug: return "TDH.MEM.PAGE.AUG";
    case Seamcall::PageAccept: return "TDG.MEM.PAGE.ACCEPT";
    case Seamcall::RangeBlock: return "TDH.MEM.RANGE.BLOCK";
    case Seamcall::RangeUnblock: return "TDH.MEM.RANGE.UNBLOCK";
    case Seamcall::Track: return "TDH.MEM.TRACK";
    case Seamcall::PageRemove: return "TDH.MEM.PAGE.REMOVE";
    case Seamcall::SeptRemove: return "TDH.MEM.SEPT.REMOVE";
    case Seamcall::PhymemPageWbinvd: return "TDH.PHYMEM.PAGE.WBINVD";
    case Seamcall::VpEnter: return "TDH.VP.ENTER";
    case Seamcall::MrFinalize: return "TDH.MR.FINALIZE";
    case Seamcall::TdExit: return "TD exit";
  }
  return "?";
}

static std::string state_text(std::uint64_t s) {
  if (auto st = sept_state_from_code(s)) return sept_state_name(*st);
  return fmt::format("{:#x}", s);
}

std::string describe(const SeamcallRecord& r) {
  std::string who = r.vcpu >= 0 ? fmt::format("vcpu{} ", r.vcpu) : std::string();
  switch (r.call) {
    case Seamcall::TdExit:
      return fmt::format("#{} {}TD exit ({}), epoch {}", r.seq, who,
                         exit_reason_name(static_cast<ExitReason>(r.level)), r.epoch);
    case Seamcall::Track:
    case Seamcall::MrFinalize:
    case Seamcall::VpEnter:
      return fmt::format("#{} {}{} -> {}, epoch {}", r.seq, who, seamcall_name(r.call),
                         status_name(r.status), r.epoch);
    case Seamcall::PhymemPageWbinvd:
      return fmt::format("#{} {}(hpa {:#x}) -> {}", r.seq, seamcall_name(r.call), r.hpa,
                         status_name(r.status));
    default: break;
  }
  std::string out = fmt::format("#{} {}{}(gpa {:#x}, level {}", r.seq, who, seamcall_name(r.call), r.gpa, r.level);
  if (r.hpa) out += fmt::format(", hpa {:#x}", r.hpa);
  out += fmt::format(") -> {}", status_name(r.status));
  if (r.old_state == kNotAState) return out;
  if (r.old_state != r.new_state) out += fmt::format(", {} -> {}", state_text(r.old_state), state_text(r.new_state));
  else out += fmt::format(", entry {}", state_text(r.old_state));
  return out;
}

// ---------------------------------------------------------------------------

TdxModule::TdxModule(const TdConfig& cfg, std::uint64_t root_sept_hpa) : cfg_(cfg), root_hpa_(root_sept_hpa) {
  check_td_config(cfg_);
  if (root_sept_hpa == 0 || (root_sept_hpa & (kPage - 1)) || root_sept_hpa >= bit(cfg_.maxphyaddr))
    throw InputError(fmt::format("root_sept_hpa: {:#x} (must be a non-zero 4K-aligned HPA below 2^{})",
                                 root_sept_hpa, cfg_.maxphyaddr));
  vcpus_.resize(cfg_.vcpus);
  pamt_[root_hpa_] = PamtEntry{PageOwner::SeptPage, 0, cfg_.ept_levels};
  // A TD configured as finalized went through TDH.MR.FINALIZE before the
  // scenario: it is history record #0, so the history alone says when the
  // "while the TD runs" rules apply (history checkers need no config).
  if (cfg_.finalized) mr_finalize();
}

const TdxVcpu& TdxModule::vcpu(unsigned i) const {
  if (i >= vcpus_.size())
    throw InputError(fmt::format("vcpu: {} (the TD has vCPUs 0..{})", i, vcpus_.size() - 1));
  return vcpus_[i];
}

TdxVcpu& TdxModule::vcpu_mut(unsigned i) { return const_cast<TdxVcpu&>(static_cast<const TdxModule*>(this)->vcpu(i)); }

std::uint64_t TdxModule::parity_count_from_vcpus(unsigned parity) const {
  std::uint64_t n = 0;
  for (const TdxVcpu& v : vcpus_) n += v.running() && (v.epoch & 1) == (parity & 1);
  return n;
}

bool TdxModule::is_tracked(const SeptEntry& e) const {
  if (!e.blocked_once) return false;
  return tracked_counts(C, e.bepoch, epoch_, counts_[0], counts_[1]);
}

SeptEntry TdxModule::entry(unsigned level, std::uint64_t gpa) const {
  auto it = sept_.find(SeptKey{level, align_down(gpa, level)});
  return it == sept_.end() ? SeptEntry{} : it->second;
}

PamtEntry TdxModule::pamt_of(std::uint64_t hpa) const {
  auto it = pamt_.find(hpa & ~(kPage - 1));
  return it == pamt_.end() ? PamtEntry{} : it->second;
}

SeptWalk TdxModule::walk(std::uint64_t gpa, unsigned level) const {
  // The module's own (software) walk to the entry: through every entry that
  // links a SEPT page, NL_BLOCKED included (blocking a table stops the
  // guest's hardware walk, not the host's management of what is below).
  for (unsigned l = top_level(); l > level; --l) {
    const SeptEntry e = entry(l, gpa);
    if (!is_non_leaf(C, e.state)) return SeptWalk{false, l, e.state};
  }
  return SeptWalk{true, level, 0};
}

bool TdxModule::children_free(unsigned level, std::uint64_t gpa) const {
  if (level == 0) return true;
  const std::uint64_t base = align_down(gpa, level);
  auto it = sept_.lower_bound(SeptKey{level - 1, base});
  return it == sept_.end() || it->first.level != level - 1 || it->first.gpa >= base + level_size(level);
}

void TdxModule::inject_busy(TdxLock lock, unsigned count) {
  unsigned& b = busy_[static_cast<unsigned>(lock)];
  if (count > kMaxInjectedBusy || b + count > kMaxInjectedBusy)
    throw InputError(fmt::format("busy count: {} more on lock {} would queue {} (at most {})", count,
                                 tdx_lock_name(lock), b + count, kMaxInjectedBusy));
  b += count;
}

bool TdxModule::take(TdxLock lock) {
  unsigned& b = busy_[static_cast<unsigned>(lock)];
  if (b == 0) return true;
  --b;
  return false;
}

std::uint64_t TdxModule::busy_status(TdxLock lock, std::uint64_t pamt_operand) const {
  switch (lock) {
    case TdxLock::Epoch: return kOperandBusy | kOperandIdTdEpoch;
    // The SEPT entry lock reports the SEPT operand too: KVM's SEPT_BUSY
    // handling (seed 004: "Race only with TDH.VP.ENTER"; the guest's ACCEPT
    // contends on the entry) covers both.
    case TdxLock::SeptTree:
    case TdxLock::SeptEntry: return kSeptBusy;
    case TdxLock::Pamt: return kOperandBusy | pamt_operand;
  }
  return kOperandBusy;
}

void TdxModule::record(SeamcallRecord r) {
  r.seq = history_.size();
  r.epoch = epoch_;
  history_.push_back(r);
}

void TdxModule::set_entry(const SeptKey& k, const SeptEntry& e) {
  if (e.state == code(SeptState::Free)) sept_.erase(k);
  else sept_[k] = e;
}

std::uint64_t TdxModule::check_gpa(std::uint64_t gpa, unsigned level, bool table_op) const {
  // RCX carries the GPA and the level (EPT mapping information).
  const std::uint64_t bad = kOperandInvalid | kOperandIdRcx;
  if (level > top_level() || (table_op && level == 0)) return bad;
  if (route_of(cfg_.gpaw, gpa) != GpaRoute::Private) return bad;
  if (gpa & (level_size(level) - 1)) return bad;
  return kSuccess;
}

std::uint64_t TdxModule::check_hpa(std::uint64_t hpa, std::uint64_t operand) const {
  if (hpa == 0 || (hpa & (kPage - 1)) || hpa >= bit(cfg_.maxphyaddr)) return kOperandInvalid | operand;
  return kSuccess;
}

std::uint64_t TdxModule::sept_op(SeptOp op, Seamcall call, std::uint64_t gpa, unsigned level, std::uint64_t hpa,
                                 int vcpu, std::uint64_t* hpa_out) {
  SeamcallRecord r;
  r.call = call;
  r.vcpu = vcpu;
  r.gpa = gpa;
  r.level = level;
  r.hpa = hpa;
  auto done = [&](std::uint64_t status) {
    r.status = status;
    if (status != kSuccess) r.new_state = r.old_state;  // on error the entry keeps its state
    record(r);
    return status;
  };
  const bool table_op = op == SeptOp::SeptAdd || op == SeptOp::SeptRemove;
  const bool takes_page = op == SeptOp::SeptAdd || op == SeptOp::PageAdd || op == SeptOp::PageAug;
  if (std::uint64_t s = check_gpa(gpa, level, table_op)) return done(s);
  // Model limit: 4K private pages only (seed 004 tdp_max_page_level). The
  // guest's ACCEPT at a larger level meets a table entry there and gets
  // sept_transition's PAGE_SIZE_MISMATCH.
  if (op == SeptOp::PageAug && level != 0) return done(kOperandInvalid | kOperandIdRcx);
  if (takes_page) {
    if (std::uint64_t s = check_hpa(hpa, kOperandIdR8)) return done(s);
    if (!take(TdxLock::Pamt)) return done(busy_status(TdxLock::Pamt, kOperandIdR8));
    if (pamt_of(hpa).owner != PageOwner::Host) return done(kOperandPageMetadataIncorrect | kOperandIdR8);
  }
  // The guest's ACCEPT takes only the entry lock; host calls the tree lock first.
  if (op != SeptOp::PageAccept && !take(TdxLock::SeptTree)) return done(busy_status(TdxLock::SeptTree, 0));
  const SeptWalk w = walk(gpa, level);
  if (!w.reached) return done(kEptWalkFailed);
  if (!take(TdxLock::SeptEntry)) return done(busy_status(TdxLock::SeptEntry, 0));

  const SeptKey key{level, gpa};
  SeptEntry e = entry(level, gpa);
  r.old_state = e.state;
  const bool cf = table_op ? children_free(level, gpa) : true;
  const SeptStep<Concrete> step =
      sept_transition(op, e.state, finalized_, running(), is_tracked(e), cf, level == 0);
  r.new_state = step.next_state;
  if (step.status != kSuccess) return done(step.status);

  e.state = step.next_state;
  // PAMT.BEPOCH (tdx_sept_state.hpp records_block: a successful RANGE.BLOCK).
  if (records_block(C, op, step)) {
    e.bepoch = epoch_;
    e.blocked_once = true;
  }
  switch (op) {
    case SeptOp::SeptAdd:
      e = SeptEntry{e.state, hpa, 0, false};
      pamt_[hpa] = PamtEntry{PageOwner::SeptPage, gpa, level};
      break;
    case SeptOp::PageAdd:
    case SeptOp::PageAug:
      e = SeptEntry{e.state, hpa, 0, false};
      pamt_[hpa] = PamtEntry{PageOwner::TdPrivate, gpa, level};
      break;
    case SeptOp::PageRemove:
    case SeptOp::SeptRemove: {
      // The page leaves the TD; the host must WBINVD it before reuse.
      const std::uint64_t released = e.hpa;
      pamt_[released] = PamtEntry{PageOwner::Removed, gpa, level};
      r.hpa = released;
      if (hpa_out) *hpa_out = released;
      e = SeptEntry{};
      break;
    }
    case SeptOp::PageAccept:
    case SeptOp::RangeBlock:
    case SeptOp::RangeUnblock: break;
  }
  set_entry(key, e);
  return done(kSuccess);
}

std::uint64_t TdxModule::sept_add(std::uint64_t gpa, unsigned level, std::uint64_t hpa) {
  return sept_op(SeptOp::SeptAdd, Seamcall::SeptAdd, gpa, level, hpa, -1, nullptr);
}
std::uint64_t TdxModule::page_add(std::uint64_t gpa, unsigned level, std::uint64_t hpa) {
  return sept_op(SeptOp::PageAdd, Seamcall::PageAdd, gpa, level, hpa, -1, nullptr);
}
std::uint64_t TdxModule::page_aug(std::uint64_t gpa, unsigned level, std::uint64_t hpa) {
  return sept_op(SeptOp::PageAug, Seamcall::PageAug, gpa, level, hpa, -1, nullptr);
}
std::uint64_t TdxModule::range_block(std::uint64_t gpa, unsigned level) {
  return sept_op(SeptOp::RangeBlock, Seamcall::RangeBlock, gpa, level, 0, -1, nullptr);
}
std::uint64_t TdxModule::range_unblock(std::uint64_t gpa, unsigned level) {
  return sept_op(SeptOp::RangeUnblock, Seamcall::RangeUnblock, gpa, level, 0, -1, nullptr);
}
std::uint64_t TdxModule::page_remove(std::uint64_t gpa, unsigned level, std::uint64_t* hpa_out) {
  return sept_op(SeptOp::PageRemove, Seamcall::PageRemove, gpa, level, 0, -1, hpa_out);
}
std::uint64_t TdxModule::sept_remove(std::uint64_t gpa, unsigned level, std::uint64_t* hpa_out) {
  return sept_op(SeptOp::SeptRemove, Seamcall::SeptRemove, gpa, level, 0, -1, hpa_out);
}

std::uint64_t TdxModule::track() {
  SeamcallRecord r;
  r.call = Seamcall::Track;
  auto done = [&](std::uint64_t status) {
    r.status = status;
    record(r);
    return status;
  };
  if (!take(TdxLock::Epoch)) return done(busy_status(TdxLock::Epoch, 0));
  const TrackStep<Concrete> step = track_step(C, epoch_, counts_[0], counts_[1]);
  if (step.status != kSuccess) return done(step.status);
  epoch_ = step.next_epoch;
  return done(kSuccess);
}

std::uint64_t TdxModule::phymem_page_wbinvd(std::uint64_t hpa) {
  SeamcallRecord r;
  r.call = Seamcall::PhymemPageWbinvd;
  r.hpa = hpa;
  auto done = [&](std::uint64_t status) {
    r.status = status;
    record(r);
    return status;
  };
  if (std::uint64_t s = check_hpa(hpa, kOperandIdRcx)) return done(s);
  // seed 004: "TDX_OPERAND_BUSY can happen on locking PAMT entry".
  if (!take(TdxLock::Pamt)) return done(busy_status(TdxLock::Pamt, kOperandIdRcx));
  const PamtEntry p = pamt_of(hpa);
  // A page still assigned to the TD (or holding its SEPT) cannot be handed
  // back; a removed page becomes the host's; a host page has nothing to flush.
  if (p.owner == PageOwner::TdPrivate || p.owner == PageOwner::SeptPage)
    return done(kOperandPageMetadataIncorrect | kOperandIdRcx);
  if (p.owner == PageOwner::Removed) pamt_.erase(hpa);
  return done(kSuccess);
}

std::uint64_t TdxModule::mr_finalize() {
  SeamcallRecord r;
  r.call = Seamcall::MrFinalize;
  r.status = finalized_ ? kTdFinalized : kSuccess;
  finalized_ = true;
  record(r);
  return r.status;
}

std::uint64_t TdxModule::vp_enter(unsigned v) {
  TdxVcpu& vc = vcpu_mut(v);
  if (vc.running()) throw InputError(fmt::format("vcpu {}: already running (VP.ENTER needs it outside)", v));
  SeamcallRecord r;
  r.call = Seamcall::VpEnter;
  r.vcpu = static_cast<int>(v);
  auto done = [&](std::uint64_t status) {
    r.status = status;
    record(r);
    return status;
  };
  if (!finalized_) return done(kTdNotFinalized);
  if (!take(TdxLock::Epoch)) return done(busy_status(TdxLock::Epoch, 0));
  // seed 004 "TLB shoot down procedure": an older local epoch takes the TD
  // epoch and flushes the TLB.
  if (!vc.entered || vc.epoch < epoch_) {
    if (!vc.tlb.empty()) ++vc.tlb_flushes;
    vc.tlb.clear();
  }
  vc.epoch = epoch_;
  vc.entered = true;
  vc.state = VcpuState::Running;
  vc.last_exit = ExitReason::None;
  ++vc.enters;
  ++counts_[epoch_ & 1];
  return done(kSuccess);
}

bool TdxModule::td_exit(unsigned v, ExitReason why) {
  TdxVcpu& vc = vcpu_mut(v);
  if (!vc.running()) return false;
  --counts_[vc.epoch & 1];
  vc.state = VcpuState::Outside;
  vc.last_exit = why;
  ++vc.exits;
  SeamcallRecord r;
  r.call = Seamcall::TdExit;
  r.vcpu = static_cast<int>(v);
  r.level = static_cast<unsigned>(why);
  record(r);
  return true;
}

std::uint64_t TdxModule::page_accept(unsigned v, std::uint64_t gpa, unsigned level, bool* exited) {
  if (exited) *exited = false;
  if (!vcpu(v).running()) throw InputError(fmt::format("vcpu {}: not running (TDG.MEM.PAGE.ACCEPT is a guest call)", v));
  const std::uint64_t status = sept_op(SeptOp::PageAccept, Seamcall::PageAccept, gpa, level, 0, static_cast<int>(v), nullptr);
  // The module turns "nothing to accept here" into an EPT-violation TD exit
  // so the host can map the page (lazy AUG); the model reads the walk
  // failure and EPT_ENTRY_STATE_INCORRECT as that exit.
  const std::uint64_t cls = status_class(status);
  if (cls == kEptWalkFailed || cls == kEptEntryStateIncorrect) {
    td_exit(v, ExitReason::EptViolation);
    if (exited) *exited = true;
  }
  return status;
}

}  // namespace ptspec::x86::tdx
