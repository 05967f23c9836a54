// x86.tdx: the TDX module's side of one TD -- the Secure EPT with each
// entry's state, HPA and block epoch; the TD epoch and the per-parity counts
// of running vCPUs; the locks that make SEAMCALLs return OPERAND_BUSY; the
// PAMT-like ownership of physical pages; and every SEAMCALL the issue names.
//
// Sources: ../shared/reference/x86-tdx-sept.md (states, SEAMCALLs, epochs,
// contention, error codes); the TDX module's api_calls/tdh_mem_*.c as that
// reference summarises them; seed 004_913031b64eea2a8b.txt. Every state rule
// is the pure transition of tdx_sept_state.hpp (sept_transition, tracked,
// track_step) -- this file only takes the locks, walks to the entry, and
// applies the step.
//
// Representation: the Secure EPT lives in TD-private memory the host cannot
// read (it is encrypted with the TD's key), so everything observable about
// it is the module's per-entry state/HPA/bepoch through SEAMCALL statuses.
// The model therefore keeps it as a map keyed by (TDX level, GPA of the
// entry) instead of SEPT pages on a PhysMem: same observable behaviour, no
// invented SEPT entry bit layout, and the whole module is a value (copy =
// snapshot; the property runner probes and rolls back by copying). A FREE
// entry is absent from the map. The root SEPT page (level ept_levels - 1
// entries) exists from TD creation.
//
// Levels are TDX SEPT levels: 0 = 4K leaf, 1 = 2M, 2 = 1G, 3 = 512G, 4 = 256T
// (KVM's pg_level - 1). Only 4K leaves are modelled (seed 004:
// tdp_max_page_level = PG_LEVEL_4K): PAGE.AUG at another level gives
// OPERAND_INVALID|RCX; PAGE.ADD's and ACCEPT's level checks are
// sept_transition's (OPERAND_INVALID, PAGE_SIZE_MISMATCH).
//
// Every SEAMCALL checks, in this order (the module validates operands, then
// locks and checks the page's PAMT entry, then walks and locks the SEPT
// entry): operands (GPA aligned to the level, private route, level in
// range; HPA 4K-aligned below 2^MAXPHYADDR) -> OPERAND_INVALID|operand; the
// locks (see TdxLock) -> OPERAND_BUSY|operand id; the PAMT of an HPA operand
// -> OPERAND_PAGE_METADATA_INCORRECT|operand (statuses: tdx_status.hpp, status_name); the host-side walk to the
// entry -> EPT_WALK_FAILED; then sept_transition. A failing SEAMCALL changes
// nothing but the injected-BUSY budget it consumed and the history.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/x86/tdx_config.hpp"
#include "model/x86/tdx_sept_state.hpp"
#include "model/x86/tdx_status.hpp"
#include "model/x86/tdx_vcpu.hpp"

namespace ptspec::x86::tdx {

// The locks a SEAMCALL takes (reference "Contention"); each is a point
// where OPERAND_BUSY can be injected. An injected BUSY stays queued until an
// acquisition of that lock consumes it (clear_busy drops them). VP.ENTER's
// 0-step mitigation (SEPT tree lock exclusive) is not modelled: VP.ENTER
// takes only the epoch lock. Realistic injection points for KVM's flows:
// Epoch before VP.ENTER / TRACK, SeptTree / SeptEntry before any SEPT op,
// Pamt before a zap (WBINVD's PAMT lock, BUSY|RCX, retried). A Pamt BUSY
// left for SEPT.ADD / PAGE.AUG (BUSY|R8) is something seed-era KVM does not
// handle: KVM_BUG_ON.
enum class TdxLock : std::uint8_t {
  Epoch,      // TD epoch lock: shared by VP.ENTER, exclusive for TRACK -> BUSY|TD_EPOCH
  SeptTree,   // SEPT tree lock: SEPT.ADD/PAGE.ADD/AUG/REMOVE shared, BLOCK/UNBLOCK/SEPT.REMOVE exclusive -> BUSY|SEPT
  // The target entry's lock (host ops vs the guest's ACCEPT) -> BUSY|SEPT as
  // well: KVM's SEPT_BUSY handling is what meets entry contention (reading:
  // the seed retries/-EAGAINs only TDX_ERROR_SEPT_BUSY for every SEPT op).
  SeptEntry,
  Pamt,       // the PAMT entry of an HPA operand (SEPT.ADD/PAGE.ADD/AUG: R8; WBINVD: RCX) -> BUSY|that register
};
inline constexpr unsigned kNumLocks = 4;
const char* tdx_lock_name(TdxLock l);
bool tdx_lock_from_name(std::string_view s, TdxLock& out);
// The most BUSY results one inject_busy call may queue: KVM's retry loops
// spin until the lock is free, so the budget must be finite and modest.
inline constexpr unsigned kMaxInjectedBusy = 64;

// PAMT page ownership (PT_NDA / PT_REG / PT_EPT), plus the state between
// PAGE.REMOVE / SEPT.REMOVE and PHYMEM.PAGE.WBINVD: the page is no longer
// the TD's, but its cache lines may still hold TD-keyed data, so the host
// must not reuse it yet (reference "The safety property").
enum class PageOwner : std::uint8_t { Host, TdPrivate, SeptPage, Removed };
const char* page_owner_name(PageOwner o);
bool page_owner_from_name(std::string_view s, PageOwner& out);

struct PamtEntry {
  PageOwner owner = PageOwner::Host;
  std::uint64_t gpa = 0;   // TdPrivate / SeptPage / Removed: the GPA (of the entry) it served
  unsigned level = 0;      // TDX level of that entry
  bool operator==(const PamtEntry&) const = default;
};

struct SeptKey {
  unsigned level = 0;     // TDX level of the entry
  std::uint64_t gpa = 0;  // first GPA it maps (aligned to the level's size)
  auto operator<=>(const SeptKey&) const = default;
};

struct SeptEntry {
  std::uint64_t state = code(SeptState::Free);
  std::uint64_t hpa = 0;     // leaf: the page; non-leaf: the child SEPT page
  std::uint64_t bepoch = 0;  // TD epoch at the last successful RANGE.BLOCK
  bool blocked_once = false; // bepoch is meaningful
  bool operator==(const SeptEntry&) const = default;
};

// What the history records. Every SEAMCALL, the guest's ACCEPT, TD exits
// and finalize.
enum class Seamcall : std::uint8_t {
  SeptAdd, PageAdd, PageAug, PageAccept, RangeBlock, RangeUnblock, Track, PageRemove, SeptRemove,
  PhymemPageWbinvd, VpEnter, MrFinalize,
  TdExit,  // not a SEAMCALL: a vCPU left TDX non-root mode (status 0; `level` holds the ExitReason)
};
const char* seamcall_name(Seamcall c);  // "TDH.MEM.PAGE.AUG", ...
bool seamcall_from_name(std::string_view s, Seamcall& out);

struct SeamcallRecord {
  std::uint64_t seq = 0;        // index in the history
  Seamcall call = Seamcall::Track;
  int vcpu = -1;                // VP.ENTER / ACCEPT / TdExit: the vCPU; -1 for host calls
  std::uint64_t gpa = 0;
  unsigned level = 0;           // TDX level (TdExit: ExitReason)
  std::uint64_t hpa = 0;        // HPA operand, or the HPA PAGE/SEPT.REMOVE released
  std::uint64_t status = kSuccess;
  // The target entry's state before / after (SEPT ops that got as far as
  // reading the entry); kNotAState when the call never read it (operand
  // check, BUSY on a lock, walk failure) or is no SEPT op.
  std::uint64_t old_state = kNotAState;
  std::uint64_t new_state = kNotAState;
  std::uint64_t epoch = 0;      // the TD epoch after the call
  bool operator==(const SeamcallRecord&) const = default;
};
std::string describe(const SeamcallRecord& r);

// Result of the host-side walk to (level, gpa).
struct SeptWalk {
  bool reached = false;    // every entry above `level` links a SEPT page
  unsigned stop_level = 0; // when not reached: the level whose entry does not link a table
  std::uint64_t stop_state = 0;
};

class TdxModule {
 public:
  // `root_sept_hpa`: the page KVM gave for the root SEPT page at TD creation
  // (TDH.MNG.CREATE/ADDCX; PAMT SeptPage). Throws InputError for a bad
  // config or an unaligned / out-of-range root HPA. With cfg.finalized the
  // history starts with a successful TDH.MR.FINALIZE (record #0).
  TdxModule(const TdConfig& cfg, std::uint64_t root_sept_hpa);

  const TdConfig& config() const { return cfg_; }

  // ---- host SEAMCALLs: each returns the TDX status ----
  std::uint64_t sept_add(std::uint64_t gpa, unsigned level, std::uint64_t hpa);   // TDH.MEM.SEPT.ADD
  std::uint64_t page_add(std::uint64_t gpa, unsigned level, std::uint64_t hpa);   // TDH.MEM.PAGE.ADD (before finalize)
  std::uint64_t page_aug(std::uint64_t gpa, unsigned level, std::uint64_t hpa);   // TDH.MEM.PAGE.AUG
  std::uint64_t range_block(std::uint64_t gpa, unsigned level);                   // TDH.MEM.RANGE.BLOCK
  std::uint64_t range_unblock(std::uint64_t gpa, unsigned level);                 // TDH.MEM.RANGE.UNBLOCK
  std::uint64_t track();                                                          // TDH.MEM.TRACK
  // TDH.MEM.PAGE.REMOVE / TDH.MEM.SEPT.REMOVE: on success *hpa_out = the page released.
  std::uint64_t page_remove(std::uint64_t gpa, unsigned level, std::uint64_t* hpa_out = nullptr);
  std::uint64_t sept_remove(std::uint64_t gpa, unsigned level, std::uint64_t* hpa_out = nullptr);
  std::uint64_t phymem_page_wbinvd(std::uint64_t hpa);                            // TDH.PHYMEM.PAGE.WBINVD
  std::uint64_t mr_finalize();                                                    // TDH.MR.FINALIZE
  // TDH.VP.ENTER: the vCPU runs in the TD epoch (flushing its TLB when its
  // epoch is older). InputError for a vCPU out of range or already running.
  std::uint64_t vp_enter(unsigned vcpu);

  // ---- the guest ----
  // TDG.MEM.PAGE.ACCEPT by running `vcpu` (InputError otherwise). PENDING ->
  // MAPPED. A walk failure or EPT_ENTRY_STATE_INCORRECT is, in the module,
  // an EPT-violation TD exit so the host can AUG: the vCPU leaves
  // (`*exited` = true); other statuses return to the guest.
  std::uint64_t page_accept(unsigned vcpu, std::uint64_t gpa, unsigned level, bool* exited = nullptr);
  // The vCPU leaves TDX non-root mode (no-op with `false` when not running).
  bool td_exit(unsigned vcpu, ExitReason why);

  // ---- BUSY injection: the next `count` acquisitions of `lock` fail ----
  void inject_busy(TdxLock lock, unsigned count);  // InputError above kMaxInjectedBusy pending
  unsigned busy_pending(TdxLock lock) const { return busy_[static_cast<unsigned>(lock)]; }
  void clear_busy() { busy_ = {}; }  // drop every injected BUSY not yet consumed

  // ---- inspection (checkers) ----
  bool finalized() const { return finalized_; }
  // "The TD may have running vCPUs": the conditions PAGE/SEPT.REMOVE apply
  // while the TD runs hold once it is finalized (VP.ENTER needs it; TD
  // teardown, which would end them, is not modelled).
  bool running() const { return finalized_; }
  std::uint64_t epoch() const { return epoch_; }
  // The module's per-parity counts of running vCPUs (TDCS), and the same
  // recomputed from the vCPUs (a checker compares them).
  std::uint64_t parity_count(unsigned parity) const { return counts_[parity & 1]; }
  std::uint64_t parity_count_from_vcpus(unsigned parity) const;
  bool is_tracked(const SeptEntry& e) const;  // tracked(bepoch, epoch, count of bepoch's parity)
  std::uint64_t root_sept_hpa() const { return root_hpa_; }
  unsigned top_level() const { return cfg_.ept_levels - 1; }  // level of the root page's entries
  const std::map<SeptKey, SeptEntry>& sept() const { return sept_; }
  SeptEntry entry(unsigned level, std::uint64_t gpa) const;   // FREE if absent
  std::uint64_t state_of(unsigned level, std::uint64_t gpa) const { return entry(level, gpa).state; }
  SeptWalk walk(std::uint64_t gpa, unsigned level) const;      // host-side walk (through NL_MAPPED and NL_BLOCKED)
  bool children_free(unsigned level, std::uint64_t gpa) const; // all 512 children of a level >= 1 entry FREE
  const std::map<std::uint64_t, PamtEntry>& pamt() const { return pamt_; }  // non-Host pages only
  PamtEntry pamt_of(std::uint64_t hpa) const;
  const std::vector<TdxVcpu>& vcpus() const { return vcpus_; }
  const TdxVcpu& vcpu(unsigned i) const;
  const std::vector<SeamcallRecord>& history() const { return history_; }
  void clear_history() { history_.clear(); }

  // The vCPU, mutable: guest_access fills its TLB (tdx_vcpu.cpp).
  TdxVcpu& vcpu_mut(unsigned i);

  bool operator==(const TdxModule&) const = default;

 private:
  struct OpCtx;  // one SEPT SEAMCALL in progress (tdx_module.cpp)
  std::uint64_t sept_op(SeptOp op, Seamcall call, std::uint64_t gpa, unsigned level, std::uint64_t hpa,
                        int vcpu, std::uint64_t* hpa_out);
  std::uint64_t check_gpa(std::uint64_t gpa, unsigned level, bool table_op) const;
  std::uint64_t check_hpa(std::uint64_t hpa, std::uint64_t operand) const;
  bool take(TdxLock lock);  // false: an injected BUSY was consumed
  std::uint64_t busy_status(TdxLock lock, std::uint64_t pamt_operand) const;
  void record(SeamcallRecord r);
  void set_entry(const SeptKey& k, const SeptEntry& e);  // erases FREE entries

  TdConfig cfg_;
  std::uint64_t root_hpa_ = 0;
  bool finalized_ = false;
  std::uint64_t epoch_ = 0;
  std::array<std::uint64_t, 2> counts_{};
  std::array<unsigned, kNumLocks> busy_{};
  std::map<SeptKey, SeptEntry> sept_;
  std::map<std::uint64_t, PamtEntry> pamt_;
  std::vector<TdxVcpu> vcpus_;
  std::vector<SeamcallRecord> history_;
};

}  // namespace ptspec::x86::tdx
