// TdxKvm: the KVM-level operations -- fault-in and zap of private and shared
// GPAs, finalize, MMIO gfns, and the vCPU run loop (tdx_kvm.hpp).
#include <fmt/format.h>

#include "model/core/errors.hpp"
#include "model/x86/tdx_gpa.hpp"
#include "model/x86/tdx_kvm.hpp"
#include "model/x86/tdx_mmio.hpp"

namespace ptspec::x86::tdx {

namespace {
constexpr Concrete C{};
constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t page_of(std::uint64_t gpa) { return gpa & ~(kPage - 1); }
}  // namespace

// ---- private GPAs ----

int TdxKvm::private_fault_in(std::uint64_t gpa) {
  const std::uint64_t page = page_of(gpa);
  const std::uint64_t gfn = gpa_to_gfn(C, page);
  if (mirror_leaves_.count(page)) {
    if (auto p = pending_.find(page); p != pending_.end() && p->second == PendingOp::FaultIn) pending_.erase(p);
    return 0;  // already mapped (a PENDING page waits for the guest's ACCEPT); a pending zap stays pending
  }
  // The TDP MMU walk down from the root: every missing private SPT is
  // allocated and linked (tdp_mmu_link_sp -> link_private_spt).
  for (unsigned tl = module_.top_level(); tl >= 1; --tl) {
    const SeptKey key{tl, gpa & ~(tdx_sept_level_size(C, std::uint64_t{tl}) - 1)};
    if (mirror_spts_.count(key)) continue;
    const std::uint64_t spt = alloc_page();
    // The iterator's gfn at that entry is aligned to the entry's size.
    const int r = link_private_spt(gpa_to_gfn(C, key.gpa), tl + 1, spt);
    if (r) {
      free_page(spt);  // the shadow page is freed; the fault is retried
      if (r == kEagain) pending_[page] = PendingOp::FaultIn;
      return r;
    }
    mirror_spts_[key] = spt;
  }
  auto b = private_backing_.find(page);
  const std::uint64_t pfn = b != private_backing_.end() ? b->second : (private_backing_[page] = alloc_page());
  const int r = set_private_spte(gfn, kPgLevel4K, pfn);
  if (r == kEagain) {
    pending_[page] = PendingOp::FaultIn;
    return r;
  }
  if (r) return r;
  mirror_leaves_[page] = pfn;  // (also after a KVM_BUG_ON: the seed returns 0 there)
  pending_.erase(page);
  return 0;
}

void TdxKvm::release_backing(std::uint64_t page) {
  auto b = private_backing_.find(page);
  if (b == private_backing_.end()) return;
  const std::uint64_t hpa = b->second;
  private_backing_.erase(b);
  if (!pins_.count(hpa)) free_page(hpa);
}

int TdxKvm::private_zap(std::uint64_t gpa) {
  const std::uint64_t page = page_of(gpa);
  const std::uint64_t gfn = gpa_to_gfn(C, page);
  auto it = mirror_leaves_.find(page);
  if (it == mirror_leaves_.end()) {
    if (pending_.count(page) && pending_.at(page) == PendingOp::Zap) pending_.erase(page);
    return 0;  // nothing mapped: zapping a non-present SPTE does nothing
  }
  const std::uint64_t pfn = it->second;
  int r = zap_private_spte(gfn, kPgLevel4K);
  if (r == kEagain) {
    pending_[page] = PendingOp::Zap;  // the SPTE is restored; KVM retries the zap
    return r;
  }
  if (r) return r;
  // The mirror SPTE is now non-present; the hooks below run on the old pfn.
  mirror_leaves_.erase(it);
  pending_.erase(page);
  r = remove_private_spte(gfn, kPgLevel4K, pfn);
  if (r) return r;
  release_backing(page);
  return 0;
}

// ---- shared GPAs ----

int TdxKvm::shared_fault_in(std::uint64_t gpa) {
  const std::uint64_t page = page_of(gpa);
  const EptConfig& ec = shared_.config();
  if (mmio_.count(page)) {
    // No memslot: KVM installs the TD's MMIO SPTE (RWX = 0, suppress-#VE
    // clear) so the next access raises #VE in the guest (seed 004).
    std::uint64_t ptep = shared_.entry_pa(page, 1);
    if (!ptep) {
      // Build the path with a placeholder leaf (EptMmu::map is its own
      // transaction), then overwrite it.
      if (int r = shared_.map(page, kPage, 0, EptLeafAttrs{}, 1)) return r;
      ptep = shared_.entry_pa(page, 1);
    }
    shared_.write_entry(ptep, td_mmio_spte(ec, page), page, 1);
    return 0;
  }
  if (shared_backing_.count(page)) return 0;
  const std::uint64_t hpa = alloc_page();
  EptLeafAttrs a;  // RWX, WB
  const int r = shared_.map(page, kPage, hpa, a, 1);
  if (r) {
    free_page(hpa);
    return r;
  }
  shared_backing_[page] = hpa;
  return 0;
}

int TdxKvm::shared_zap(std::uint64_t gpa) {
  const std::uint64_t page = page_of(gpa);
  if (mmio_.count(page)) {
    const std::uint64_t ptep = shared_.entry_pa(page, 1);
    if (!ptep || shared_.mem().load(ptep) == 0) return 0;
    shared_.write_entry(ptep, 0, page, 1);
    shared_.flush();
    return 0;
  }
  auto b = shared_backing_.find(page);
  if (b == shared_backing_.end()) return 0;
  const int r = shared_.unmap(page, kPage);
  if (r) return r;
  free_page(b->second);
  shared_backing_.erase(b);
  return 0;
}

// ---- operations ----

int TdxKvm::fault_in(std::uint64_t gpa) {
  if (bugged()) return kEio;
  switch (route_of(cfg_.gpaw, gpa)) {
    case GpaRoute::Private: return private_fault_in(gpa);
    case GpaRoute::Shared: return shared_fault_in(gpa);
    case GpaRoute::Invalid: break;
  }
  return kEinval;
}

int TdxKvm::zap(std::uint64_t gpa) {
  if (bugged()) return kEio;
  switch (route_of(cfg_.gpaw, gpa)) {
    case GpaRoute::Private: return private_zap(gpa);
    case GpaRoute::Shared: return shared_zap(gpa);
    case GpaRoute::Invalid: break;
  }
  return kEinval;
}

int TdxKvm::finalize() {
  if (bugged()) return kEio;
  return module_.mr_finalize() == kSuccess ? 0 : kEinval;
}

void TdxKvm::add_mmio(std::uint64_t gpa) {
  if (route_of(cfg_.gpaw, gpa) != GpaRoute::Shared)
    throw InputError(fmt::format("mmio gpa: {:#x} is not a shared GPA (shared bit {} clear or bits above GPAW set)",
                                 gpa, cfg_.shared_bit()));
  const std::uint64_t page = page_of(gpa);
  if (shared_backing_.count(page))
    throw InputError(fmt::format("mmio gpa: {:#x} is already mapped to memory in the shared EPT", gpa));
  mmio_.insert(page);
}

// ---- vCPUs ----

int TdxKvm::vcpu_enter(unsigned v) {
  module_.vcpu(v);  // range check
  if (bugged()) return kEio;
  if (!module_.finalized()) return kEinval;
  if (module_.vcpu(v).running()) throw InputError(fmt::format("vcpu {}: already running", v));
  if (flush_req_[v]) flush_tlb_current(v);  // KVM_REQ_TLB_FLUSH serviced before entry
  const std::uint64_t err = module_.vp_enter(v);
  if (err == kSuccess) return 0;
  if ((err & kSeamcallStatusMask) == kOperandBusy) return kEagain;  // re-entered later
  return bug("vcpu_run: TDH.VP.ENTER", err, 0, kEio);
}

GuestAccessResult TdxKvm::vcpu_access(unsigned v, std::uint64_t gpa, AccessKind kind) {
  return guest_access(module_, shared_, v, gpa, kind);
}

std::uint64_t TdxKvm::vcpu_accept(unsigned v, std::uint64_t gpa, bool* exited) {
  return module_.page_accept(v, gpa, 0, exited);
}

bool TdxKvm::vcpu_exit(unsigned v) { return module_.td_exit(v, ExitReason::Voluntary); }

bool TdxKvm::kick(unsigned v) {
  if (!module_.td_exit(v, ExitReason::Kick)) return false;
  events_.push_back(KvmEvent{KvmEventKind::KickVcpu, 0, 0, static_cast<int>(v), PageOwner::Host, 0, 0});
  return true;
}

}  // namespace ptspec::x86::tdx
