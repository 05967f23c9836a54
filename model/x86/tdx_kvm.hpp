// x86.tdx: KVM's side of a TD, as seed 004 (004_913031b64eea2a8b.txt,
// "[PATCH v10 058/108] KVM: TDX: TDP MMU TDX support") writes it: the
// mirror of the private table in KVM's TDP MMU, the private-page hooks
// that propagate its changes to the Secure EPT through SEAMCALLs, the TLB
// flush hooks, the shared EPT (an ordinary x86.ept EptMmu), the host page
// pool, and the vCPU run loop (enter / access / exit / kick).
//
// Each hook performs exactly this sequence (seed function and lines):
//
// link_private_spt(gfn, level, spt)       tdx_sept_link_private_spt
//   err = TDH.MEM.SEPT.ADD(gpa, pg_level_to_tdx_sept_level(level), spt)
//   err == TDX_ERROR_SEPT_BUSY -> -EAGAIN; KVM_BUG_ON(err) -> -EIO; else 0.
// set_private_spte(gfn, level, pfn)        tdx_sept_set_private_spte
//   level != 4K -> KVM_BUG_ON, -EINVAL; get_page(pfn) ("To prevent page
//   migration"); finalized: err = TDH.MEM.PAGE.AUG(gpa, hpa); SEPT_BUSY ->
//   unpin, -EAGAIN; KVM_BUG_ON(err) -> unpin and (as the seed does) return 0.
//   Not finalized: the seed's "TODO: tdh_mem_page_add() comes here"; the
//   model issues TDH.MEM.PAGE.ADD (the "ADD before finalize") with
//   the same error handling.
// zap_private_spte(gfn, level)             tdx_sept_zap_private_spte
//   WARN_ON_ONCE(level != 4K) only; err = TDH.MEM.RANGE.BLOCK(gpa, level);
//   SEPT_BUSY -> -EAGAIN; KVM_BUG_ON(err) -> -EIO; else 0.
//   [zap-busy-as-success: SEPT_BUSY -> 0]
// remove_private_spte(gfn, level, pfn)     tdx_sept_remove_private_spte
//   kvm_flush_remote_tlbs (= tlb_remote_flush below), then
//   tdx_sept_drop_private_spte: level != 4K -> KVM_BUG_ON, -EINVAL;
//   do TDH.MEM.PAGE.REMOVE while err == SEPT_BUSY; KVM_BUG_ON(err) -> -EIO;
//   do TDH.PHYMEM.PAGE.WBINVD(hpa) while err == OPERAND_BUSY|RCX;
//   KVM_BUG_ON(err) -> -EIO; tdx_unpin (put_page); 0.
//   [remove-before-track: the REMOVE loop runs before the flush; then the
//    flush, the WBINVD loop and the unpin]
// free_private_spt(gfn, level, spt)        tdx_sept_free_private_spt
//   the HKID is always assigned here (TD teardown is not modelled), so:
//   KVM_BUG_ON(is_hkid_assigned) -> -EINVAL.
// tlb_remote_flush()                       tdx_sept_tlb_remote_flush -> tdx_track
//   not finalized -> nothing ("before any vcpu running"); else
//   kvm_make_all_cpus_request(KVM_REQ_TLB_FLUSH): every vCPU gets a flush
//   request and every running vCPU is kicked out (TD exit, reason Kick);
//   do TDH.MEM.TRACK while (err & TDX_SEAMCALL_STATUS_MASK) == OPERAND_BUSY;
//   KVM_BUG_ON(err). Returns 0.  [track-without-kick: no request, no kick]
// flush_tlb_current(vcpu)                  tdx_flush_tlb
//   INVEPT of the shared EPTP (a TlbiAll event in the shared EPT's log);
//   waiting for tdh_mem_track == 0 is immediate (one thread).
//
// KVM-level operations (not hooks; what the property runner drives):
//   fault_in(gpa): private -> for each level from the root down to 2M whose
//     entry in the mirror has no private SPT: allocate a page from the pool,
//     link_private_spt (on error the page goes back to the pool); then the
//     gfn's backing page (allocated on first use) and set_private_spte. An
//     -EAGAIN leaves the mirror entry it was setting unchanged and marks the
//     page "pending fault" (KVM re-faults). Already mapped in the mirror -> 0.
//     Shared -> MMIO gfn: the TD MMIO SPTE (tdx_mmio.hpp) at 4K; else a pool
//     page mapped RWX/WB with EptMmu::map. Invalid GPA -> -EINVAL.
//   zap(gpa): private -> nothing mapped: 0; zap_private_spte (-EAGAIN:
//     mirror unchanged, "pending zap"); the mirror SPTE is cleared; then
//     remove_private_spte; on success the gfn's backing page is released
//     (a private->shared conversion / hole punch: the page returns to the
//     host pool once unpinned). Shared -> EptMmu::unmap (or the MMIO SPTE
//     cleared), backing page back to the pool.
//   vcpu_enter(v): dead VM -> -EIO; not finalized -> -EINVAL (KVM's pre-run
//     check); a pending flush request runs flush_tlb_current first; then
//     TDH.VP.ENTER: SUCCESS -> 0, OPERAND_BUSY -> -EAGAIN (stays outside).
//   vcpu_access / vcpu_accept / vcpu_exit / kick: the guest side.
//   finalize(): TDH.MR.FINALIZE.
// KVM_BUG_ON never throws: it records a KvmBug, marks the VM bugged and
// kicks every vCPU out (KVM_REQ_VM_DEAD); every later KVM operation returns
// -EIO and changes nothing. Retry loops are bounded (kRetryLimit; the
// injected BUSY budget is smaller, so they always end).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/x86/ept_mmu.hpp"
#include "model/x86/tdx_config.hpp"
#include "model/x86/tdx_module.hpp"
#include "model/x86/tdx_vcpu.hpp"

namespace ptspec::x86::tdx {

inline constexpr unsigned kRetryLimit = 1000;
// Host pages KVM hands out (guest memory and SEPT pages) start here; below
// 2^48, so every allowed MAXPHYADDR reaches them.
inline constexpr std::uint64_t kPoolBase = 0x80'0000'0000;

struct KvmBug {
  std::string where;            // "set_private_spte: TDH.MEM.PAGE.AUG", ...
  std::uint64_t status = 0;     // the SEAMCALL status (0 for a non-SEAMCALL check)
  std::uint64_t gpa = 0;
  std::uint64_t seamcall_seq = 0;  // module history length at the bug
  bool operator==(const KvmBug&) const = default;
};

enum class KvmEventKind : std::uint8_t {
  PageAlloc,    // a page taken from the host pool (`owner`: its PAMT owner then; Host unless reused unsafely)
  PageFree,     // a page returned to the host pool (`owner`: its PAMT owner then; must be Host)
  Pin,          // get_page (count after in `count`)
  Unpin,        // put_page (tdx_unpin)
  KickVcpu,     // a running vCPU kicked out
  FlushRequest, // KVM_REQ_TLB_FLUSH made to a vCPU
  FlushShared,  // flush_tlb_current: INVEPT of the shared EPTP
  Retry,        // one more iteration of a retry loop (`status` = the status retried)
  Again,        // a hook returned -EAGAIN
  Bug,          // KVM_BUG_ON
};
const char* kvm_event_kind_name(KvmEventKind k);
bool kvm_event_kind_from_name(std::string_view s, KvmEventKind& out);

struct KvmEvent {
  KvmEventKind kind;
  std::uint64_t hpa = 0;
  std::uint64_t gpa = 0;
  int vcpu = -1;
  PageOwner owner = PageOwner::Host;
  std::uint64_t status = 0;
  std::uint64_t count = 0;
  bool operator==(const KvmEvent&) const = default;
};
std::string describe(const KvmEvent& e);

// An operation KVM is still retrying (it returned -EAGAIN and has not since succeeded).
enum class PendingOp : std::uint8_t { FaultIn, Zap };
const char* pending_op_name(PendingOp p);
bool pending_op_from_name(std::string_view s, PendingOp& out);

class TdxKvm {
 public:
  // Creates the TD: the root SEPT page from the pool, the module, the shared
  // EPT. Throws InputError for a bad config.
  explicit TdxKvm(const TdConfig& cfg);

  const TdConfig& config() const { return cfg_; }
  TdxVariant variant() const { return cfg_.variant; }
  TdxModule& module() { return module_; }
  const TdxModule& module() const { return module_; }
  EptMmu& shared_ept() { return shared_; }
  const EptMmu& shared_ept() const { return shared_; }

  // ---- KVM operations (0 or a negative errno) ----
  int fault_in(std::uint64_t gpa);
  int zap(std::uint64_t gpa);
  int finalize();                    // TDH.MR.FINALIZE: 0, or -EINVAL when already finalized
  void add_mmio(std::uint64_t gpa);  // a shared gfn with no memslot (InputError unless shared)

  // ---- vCPUs ----
  int vcpu_enter(unsigned v);
  GuestAccessResult vcpu_access(unsigned v, std::uint64_t gpa, AccessKind kind);
  std::uint64_t vcpu_accept(unsigned v, std::uint64_t gpa, bool* exited = nullptr);  // TDG.MEM.PAGE.ACCEPT (4K)
  bool vcpu_exit(unsigned v);        // voluntary exit; false when not running
  bool kick(unsigned v);             // forced exit; false when not running

  // ---- the hooks (public for tests and replay; see the header comment) ----
  // `level` is KVM's enum pg_level (1 = 4K .. ept_levels); gfn is the GPA >> 12.
  int link_private_spt(std::uint64_t gfn, unsigned level, std::uint64_t spt_hpa);
  int set_private_spte(std::uint64_t gfn, unsigned level, std::uint64_t pfn_hpa);
  int zap_private_spte(std::uint64_t gfn, unsigned level);
  int remove_private_spte(std::uint64_t gfn, unsigned level, std::uint64_t pfn_hpa);
  int free_private_spt(std::uint64_t gfn, unsigned level, std::uint64_t spt_hpa);
  int tlb_remote_flush();
  void flush_tlb_current(unsigned v);

  // ---- inspection (checkers) ----
  bool bugged() const { return !bugs_.empty(); }
  const std::vector<KvmBug>& bugs() const { return bugs_; }
  // The mirror: private GPA page -> HPA of each present private leaf, and
  // (TDX level, GPA) of each private table entry -> the SEPT page linked there.
  const std::map<std::uint64_t, std::uint64_t>& mirror_leaves() const { return mirror_leaves_; }
  const std::map<SeptKey, std::uint64_t>& mirror_spts() const { return mirror_spts_; }
  const std::map<std::uint64_t, PendingOp>& pending() const { return pending_; }  // by GPA page
  const std::map<std::uint64_t, std::uint64_t>& pins() const { return pins_; }   // HPA -> get_page count (> 0)
  const std::map<std::uint64_t, std::uint64_t>& private_backing() const { return private_backing_; }  // gpa page -> HPA
  const std::map<std::uint64_t, std::uint64_t>& shared_backing() const { return shared_backing_; }    // gpa page -> HPA
  const std::set<std::uint64_t>& mmio_pages() const { return mmio_; }
  const std::vector<std::uint64_t>& pool_free() const { return pool_free_; }  // returned pages, next reused last
  std::uint64_t pool_next() const { return pool_next_; }                      // first never-used pool page
  bool flush_requested(unsigned v) const;  // InputError for a vCPU out of range
  const std::vector<KvmEvent>& events() const { return events_; }
  void clear_events() { events_.clear(); }
  std::uint64_t retries() const { return retries_; }
  // Everything above as text (tdx_dump.cpp): TD epoch and parity counts,
  // each vCPU (state, epoch, TLB), the Secure EPT entries, the mirror, the
  // PAMT, pins, pending retries and KVM bugs.
  std::string dump() const;

 private:
  std::uint64_t alloc_page();
  void free_page(std::uint64_t hpa);
  void pin(std::uint64_t hpa);
  void unpin(std::uint64_t hpa);
  void release_backing(std::uint64_t page);  // private backing dropped; back to the pool when unpinned
  int bug(const std::string& where, std::uint64_t status, std::uint64_t gpa, int ret);
  void tdx_track();
  int remove_loop(std::uint64_t gpa, unsigned tdx_level);
  int wbinvd_unpin(std::uint64_t hpa);
  int private_fault_in(std::uint64_t gpa);
  int private_zap(std::uint64_t gpa);
  int shared_fault_in(std::uint64_t gpa);
  int shared_zap(std::uint64_t gpa);
  unsigned tdx_level_of(unsigned pg_level) const;  // InputError outside 1..ept_levels
  std::uint64_t gfn_gpa(std::uint64_t gfn) const;

  TdConfig cfg_;
  std::uint64_t pool_next_ = kPoolBase;
  std::vector<std::uint64_t> pool_free_;
  std::vector<KvmEvent> events_;
  TdxModule module_;
  EptMmu shared_;
  std::map<std::uint64_t, std::uint64_t> mirror_leaves_;
  std::map<SeptKey, std::uint64_t> mirror_spts_;
  std::map<std::uint64_t, PendingOp> pending_;
  std::map<std::uint64_t, std::uint64_t> pins_;
  std::map<std::uint64_t, std::uint64_t> private_backing_;
  std::map<std::uint64_t, std::uint64_t> shared_backing_;
  std::set<std::uint64_t> mmio_;
  std::vector<bool> flush_req_;
  std::vector<KvmBug> bugs_;
  std::uint64_t retries_ = 0;
};

}  // namespace ptspec::x86::tdx
