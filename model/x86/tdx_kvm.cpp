// TdxKvm: the private-page and TLB hooks of seed 004 (see tdx_kvm.hpp for
// the exact sequence of each), KVM_BUG_ON, and the host page pool. The
// KVM-level operations are in tdx_kvm_ops.cpp.
#include "model/x86/tdx_kvm.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"
#include "model/x86/tdx_gpa.hpp"
#include "model/x86/tdx_names.hpp"

namespace ptspec::x86::tdx {

namespace {
constexpr std::uint64_t kPage = 4096;
}

const char* kvm_event_kind_name(KvmEventKind k) {
  switch (k) {
    case KvmEventKind::PageAlloc: return "page-alloc";
    case KvmEventKind::PageFree: return "page-free";
    case KvmEventKind::Pin: return "pin";
    case KvmEventKind::Unpin: return "unpin";
    case KvmEventKind::KickVcpu: return "kick";
    case KvmEventKind::FlushRequest: return "flush-request";
    case KvmEventKind::FlushShared: return "flush-shared";
    case KvmEventKind::Retry: return "retry";
    case KvmEventKind::Again: return "eagain";
    case KvmEventKind::Bug: return "kvm-bug";
  }
  return "?";
}

std::string describe(const KvmEvent& e) {
  switch (e.kind) {
    case KvmEventKind::PageAlloc:
    case KvmEventKind::PageFree:
      return fmt::format("{} {:#x} (PAMT {})", kvm_event_kind_name(e.kind), e.hpa, page_owner_name(e.owner));
    case KvmEventKind::Pin:
    case KvmEventKind::Unpin:
      return fmt::format("{} {:#x} -> count {}", kvm_event_kind_name(e.kind), e.hpa, e.count);
    case KvmEventKind::KickVcpu:
    case KvmEventKind::FlushRequest:
    case KvmEventKind::FlushShared: return fmt::format("{} vcpu{}", kvm_event_kind_name(e.kind), e.vcpu);
    case KvmEventKind::Retry:
    case KvmEventKind::Again:
    case KvmEventKind::Bug:
      if (e.gpa == 0 && e.hpa != 0)  // WBINVD's loop: the page, not a GPA
        return fmt::format("{} hpa {:#x}: {}", kvm_event_kind_name(e.kind), e.hpa, status_name(e.status));
      return fmt::format("{} gpa {:#x}: {}", kvm_event_kind_name(e.kind), e.gpa, status_name(e.status));
  }
  return "?";
}

const char* pending_op_name(PendingOp p) { return p == PendingOp::FaultIn ? "fault-in" : "zap"; }

bool kvm_event_kind_from_name(std::string_view s, KvmEventKind& out) {
  return detail::enum_from_name(s, out, static_cast<unsigned>(KvmEventKind::Bug) + 1, kvm_event_kind_name);
}
bool pending_op_from_name(std::string_view s, PendingOp& out) {
  return detail::enum_from_name(s, out, static_cast<unsigned>(PendingOp::Zap) + 1, pending_op_name);
}

bool TdxKvm::flush_requested(unsigned v) const {
  module_.vcpu(v);  // range check
  return flush_req_[v];
}

TdxKvm::TdxKvm(const TdConfig& cfg)
    : cfg_((check_td_config(cfg), cfg)),
      pool_next_(kPoolBase + kPage),
      // The root SEPT page: the first pool page (TD creation, TDH.MNG.CREATE/ADDCX).
      module_(cfg_, kPoolBase),
      shared_(shared_ept_config(cfg_)),
      flush_req_(cfg_.vcpus, false) {
  events_.push_back(KvmEvent{KvmEventKind::PageAlloc, kPoolBase, 0, -1, PageOwner::Host, 0, 0});
}

// ---- pool, pins, bugs ----

std::uint64_t TdxKvm::alloc_page() {
  std::uint64_t hpa;
  if (!pool_free_.empty()) {
    hpa = pool_free_.back();  // LIFO: a page given back is the next one reused
    pool_free_.pop_back();
  } else {
    hpa = pool_next_;
    pool_next_ += kPage;
  }
  events_.push_back(KvmEvent{KvmEventKind::PageAlloc, hpa, 0, -1, module_.pamt_of(hpa).owner, 0, 0});
  return hpa;
}

void TdxKvm::free_page(std::uint64_t hpa) {
  events_.push_back(KvmEvent{KvmEventKind::PageFree, hpa, 0, -1, module_.pamt_of(hpa).owner, 0, 0});
  pool_free_.push_back(hpa);
}

void TdxKvm::pin(std::uint64_t hpa) {
  const std::uint64_t n = ++pins_[hpa];
  events_.push_back(KvmEvent{KvmEventKind::Pin, hpa, 0, -1, PageOwner::Host, 0, n});
}

void TdxKvm::unpin(std::uint64_t hpa) {
  auto it = pins_.find(hpa);
  if (it == pins_.end()) throw std::logic_error(fmt::format("tdx_unpin of {:#x}: not pinned", hpa));
  const std::uint64_t n = --it->second;
  if (n == 0) pins_.erase(it);
  events_.push_back(KvmEvent{KvmEventKind::Unpin, hpa, 0, -1, PageOwner::Host, 0, n});
}

int TdxKvm::bug(const std::string& where, std::uint64_t status, std::uint64_t gpa, int ret) {
  bugs_.push_back(KvmBug{where, status, gpa, module_.history().size()});
  events_.push_back(KvmEvent{KvmEventKind::Bug, 0, gpa, -1, PageOwner::Host, status, 0});
  // KVM_BUG_ON -> kvm_vm_bugged: KVM_REQ_VM_DEAD to every vCPU; none runs again.
  for (unsigned v = 0; v < cfg_.vcpus; ++v)
    if (module_.td_exit(v, ExitReason::Kick))
      events_.push_back(KvmEvent{KvmEventKind::KickVcpu, 0, 0, static_cast<int>(v), PageOwner::Host, 0, 0});
  return ret;
}

unsigned TdxKvm::tdx_level_of(unsigned pg_level) const {
  // enum pg_level; with a 5-level EPT the PML5 root's entries are level 5.
  return pg_level_to_tdx_sept_level(pg_level, cfg_.ept_levels);
}

std::uint64_t TdxKvm::gfn_gpa(std::uint64_t gfn) const { return gfn_to_gpa(Concrete{}, gfn); }

// ---- hooks ----

int TdxKvm::link_private_spt(std::uint64_t gfn, unsigned level, std::uint64_t spt_hpa) {
  const unsigned tl = tdx_level_of(level);
  const std::uint64_t gpa = gfn_gpa(gfn);
  const std::uint64_t err = module_.sept_add(gpa, tl, spt_hpa);
  if (err == kSeptBusy) {
    events_.push_back(KvmEvent{KvmEventKind::Again, spt_hpa, gpa, -1, PageOwner::Host, err, 0});
    return kEagain;
  }
  if (err) return bug("link_private_spt: TDH.MEM.SEPT.ADD", err, gpa, kEio);
  return 0;
}

int TdxKvm::set_private_spte(std::uint64_t gfn, unsigned level, std::uint64_t pfn_hpa) {
  const std::uint64_t gpa = gfn_gpa(gfn);
  if (level != kPgLevel4K) return bug("set_private_spte: level != PG_LEVEL_4K", 0, gpa, kEinval);
  pin(pfn_hpa);  // "To prevent page migration, do nothing on mmu notifier."
  const bool fin = module_.finalized();
  const std::uint64_t err = fin ? module_.page_aug(gpa, 0, pfn_hpa) : module_.page_add(gpa, 0, pfn_hpa);
  if (err == kSeptBusy) {
    unpin(pfn_hpa);
    events_.push_back(KvmEvent{KvmEventKind::Again, pfn_hpa, gpa, -1, PageOwner::Host, err, 0});
    return kEagain;
  }
  if (err) {
    bug(fin ? "set_private_spte: TDH.MEM.PAGE.AUG" : "set_private_spte: TDH.MEM.PAGE.ADD", err, gpa, 0);
    unpin(pfn_hpa);
  }
  return 0;  // the seed returns 0 after KVM_BUG_ON here
}

int TdxKvm::zap_private_spte(std::uint64_t gfn, unsigned level) {
  const unsigned tl = tdx_level_of(level);  // WARN_ON_ONCE(level != 4K) only
  const std::uint64_t gpa = gfn_gpa(gfn);
  const std::uint64_t err = module_.range_block(gpa, tl);
  if (err == kSeptBusy) {
    // Variant zap-busy-as-success: the BUSY is taken as success.
    if (cfg_.variant == TdxVariant::ZapBusyAsSuccess) return 0;
    events_.push_back(KvmEvent{KvmEventKind::Again, 0, gpa, -1, PageOwner::Host, err, 0});
    return kEagain;
  }
  if (err) return bug("zap_private_spte: TDH.MEM.RANGE.BLOCK", err, gpa, kEio);
  return 0;
}

void TdxKvm::tdx_track() {
  // "If TD isn't finalized, it's before any vcpu running."
  if (!module_.finalized()) return;
  if (cfg_.variant != TdxVariant::TrackWithoutKick) {
    // kvm_make_all_cpus_request(kvm, KVM_REQ_TLB_FLUSH): a request for every
    // vCPU, and the IPI forces each running one out of the TD.
    for (unsigned v = 0; v < cfg_.vcpus; ++v) {
      flush_req_[v] = true;
      events_.push_back(KvmEvent{KvmEventKind::FlushRequest, 0, 0, static_cast<int>(v), PageOwner::Host, 0, 0});
      if (module_.td_exit(v, ExitReason::Kick))
        events_.push_back(KvmEvent{KvmEventKind::KickVcpu, 0, 0, static_cast<int>(v), PageOwner::Host, 0, 0});
    }
  }
  std::uint64_t err = 0;
  for (unsigned i = 0;; ++i) {
    err = module_.track();
    if ((err & kSeamcallStatusMask) != kOperandBusy) break;
    if (i + 1 >= kRetryLimit) {
      bug("tdx_track: TDH.MEM.TRACK retry loop did not end", err, 0, 0);
      return;
    }
    ++retries_;
    events_.push_back(KvmEvent{KvmEventKind::Retry, 0, 0, -1, PageOwner::Host, err, 0});
  }
  if (err) bug("tdx_track: TDH.MEM.TRACK", err, 0, 0);
}

int TdxKvm::tlb_remote_flush() {
  tdx_track();  // is_hkid_assigned: always, TD teardown is not modelled
  return 0;
}

void TdxKvm::flush_tlb_current(unsigned v) {
  module_.vcpu(v);  // range check
  // Flush the shared EPTP (ept_sync_context); then wait for tdh_mem_track == 0.
  shared_.flush();
  flush_req_[v] = false;
  events_.push_back(KvmEvent{KvmEventKind::FlushShared, 0, 0, static_cast<int>(v), PageOwner::Host, 0, 0});
}

int TdxKvm::remove_loop(std::uint64_t gpa, unsigned tl) {
  // "When zapping private page, write lock is held. So no race condition
  // with other vcpu sept operation. Race only with TDH.VP.ENTER."
  std::uint64_t err = 0;
  for (unsigned i = 0;; ++i) {
    std::uint64_t hpa = 0;
    err = module_.page_remove(gpa, tl, &hpa);
    if (err != kSeptBusy) break;
    if (i + 1 >= kRetryLimit) return bug("drop_private_spte: TDH.MEM.PAGE.REMOVE retry loop did not end", err, gpa, kEio);
    ++retries_;
    events_.push_back(KvmEvent{KvmEventKind::Retry, 0, gpa, -1, PageOwner::Host, err, 0});
  }
  if (err) return bug("drop_private_spte: TDH.MEM.PAGE.REMOVE", err, gpa, kEio);
  return 0;
}

int TdxKvm::wbinvd_unpin(std::uint64_t hpa) {
  // "TDX_OPERAND_BUSY can happen on locking PAMT entry ... Just retry loop."
  std::uint64_t err = 0;
  for (unsigned i = 0;; ++i) {
    err = module_.phymem_page_wbinvd(hpa);
    if (err != (kOperandBusy | kOperandIdRcx)) break;
    if (i + 1 >= kRetryLimit) return bug("drop_private_spte: TDH.PHYMEM.PAGE.WBINVD retry loop did not end", err, 0, kEio);
    ++retries_;
    events_.push_back(KvmEvent{KvmEventKind::Retry, hpa, 0, -1, PageOwner::Host, err, 0});
  }
  if (err) return bug("drop_private_spte: TDH.PHYMEM.PAGE.WBINVD", err, 0, kEio);
  unpin(hpa);
  return 0;
}

int TdxKvm::remove_private_spte(std::uint64_t gfn, unsigned level, std::uint64_t pfn_hpa) {
  const unsigned tl = tdx_level_of(level);
  const std::uint64_t gpa = gfn_gpa(gfn);
  if (cfg_.variant == TdxVariant::RemoveBeforeTrack) {
    if (level != kPgLevel4K) return bug("drop_private_spte: level != PG_LEVEL_4K", 0, gpa, kEinval);
    if (int r = remove_loop(gpa, tl)) return r;
    tlb_remote_flush();
    if (bugged()) return kEio;
    return wbinvd_unpin(pfn_hpa);
  }
  // "TDX requires TLB tracking before dropping private page."
  tlb_remote_flush();
  if (bugged()) return kEio;
  if (level != kPgLevel4K) return bug("drop_private_spte: level != PG_LEVEL_4K", 0, gpa, kEinval);
  if (int r = remove_loop(gpa, tl)) return r;
  return wbinvd_unpin(pfn_hpa);
}

int TdxKvm::free_private_spt(std::uint64_t gfn, unsigned level, std::uint64_t spt_hpa) {
  tdx_level_of(level);
  (void)spt_hpa;
  // "KVM doesn't (yet) zap private SPs while the TD is active."
  return bug("free_private_spt: KVM_BUG_ON(is_hkid_assigned)", 0, gfn_gpa(gfn), kEinval);
}

}  // namespace ptspec::x86::tdx
