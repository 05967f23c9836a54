// x86.tdx checkers (tdx_checks.hpp). Every rule cites the reference
// (../shared/reference/x86-tdx-sept.md) or seed 004 (004_913031b64eea2a8b.txt).
#include "properties/x86/tdx_checks.hpp"

#include <fmt/format.h>

#include "model/x86/tdx_sept_state.hpp"
#include "properties/reporter.hpp"

namespace ptspec::props::tdxcheck {

namespace {

namespace tdx = x86::tdx;
constexpr Concrete C{};

std::string state_text(std::uint64_t s) {
  if (auto st = tdx::sept_state_from_code(s)) return tdx::sept_state_name(*st);
  return fmt::format("{:#x}", s);
}

const tdx::SeptEntry* find(const Sept& sept, unsigned level, std::uint64_t gpa) {
  auto it = sept.find(tdx::SeptKey{level, gpa});
  return it == sept.end() ? nullptr : &it->second;
}

// The 4K leaf of `page` as the mirror expects it: a leaf state KVM's own
// hooks leave behind (MAPPED after ADD/ACCEPT, PENDING after AUG), not blocked.
bool unblocked_leaf(const tdx::SeptEntry* e) {
  return e && tdx::is_leaf(C, e->state) && !tdx::is_blocked(C, e->state) && !tdx::is_write_blocked(C, e->state);
}

}  // namespace

bool tlb_live(const tdx::TdxVcpu& v, std::uint64_t td_epoch) {
  // VP.ENTER flushes the private TLB only when the vCPU's epoch is older
  // than the TD epoch (seed 004 "TLB shoot down procedure").
  return v.running() || (v.entered && v.epoch >= td_epoch);
}

void check_stale_tlb(const std::vector<tdx::TdxVcpu>& vcpus, std::uint64_t td_epoch, const Sept& sept,
                     const Pamt& pamt, Violations& out) {
  Reporter bad(out, "stale-tlb");
  for (std::size_t i = 0; i < vcpus.size(); ++i) {
    const tdx::TdxVcpu& v = vcpus[i];
    if (!tlb_live(v, td_epoch)) continue;
    for (const auto& [page, t] : v.tlb) {
      const tdx::SeptEntry* e = find(sept, 0, page);
      auto p = pamt.find(t.hpa);
      const bool leaf_ok = e && tdx::is_leaf(C, e->state) && e->hpa == t.hpa;
      const bool pamt_ok = p != pamt.end() && p->second.owner == tdx::PageOwner::TdPrivate && p->second.gpa == page;
      if (leaf_ok && pamt_ok) continue;
      bad("vcpu{} ({}, epoch {}) holds gpa {:#x} -> hpa {:#x} (filled in epoch {}), but the Secure EPT leaf is {} "
          "and the PAMT gives the page to {}",
          i, v.running() ? "running" : "outside, no flush due", v.epoch, page, t.hpa, t.epoch,
          e ? fmt::format("{} -> {:#x}", state_text(e->state), e->hpa) : std::string("FREE"),
          p == pamt.end() ? std::string("the host")
                          : fmt::format("{} (gpa {:#x})", tdx::page_owner_name(p->second.owner), p->second.gpa));
    }
  }
}

// ---- the REMOVE protocol, from the history alone ----

void RemoveAuditor::feed(const tdx::SeamcallRecord& r, Violations& out) {
  Reporter bad(out, "remove-protocol");
  if (r.seq != next_seq_) bad("history record #{} follows #{}: records missing", r.seq, next_seq_ - 1);
  next_seq_ = r.seq + 1;
  const bool ok = r.status == tdx::kSuccess;
  const tdx::SeptKey key{r.level, r.gpa};
  switch (r.call) {
    case tdx::Seamcall::MrFinalize:
      finalized_ = true;
      break;
    case tdx::Seamcall::Track:
      // TRACK: epoch += 1 on success (reference "TRACK").
      if (ok) ++epoch_;
      if (r.epoch != epoch_) bad("#{} TRACK leaves the TD epoch at {}, the history counts {}", r.seq, r.epoch, epoch_);
      break;
    case tdx::Seamcall::VpEnter:
      // A vCPU enters in the current epoch (reference "Tracked").
      if (ok) running_[r.vcpu] = Running{epoch_};
      break;
    case tdx::Seamcall::TdExit:
      running_.erase(r.vcpu);
      break;
    case tdx::Seamcall::RangeBlock:
      // BLOCK records the current epoch as the block epoch; re-blocking a
      // blocked range (GPA_RANGE_ALREADY_BLOCKED) keeps the first one.
      if (ok) blocked_[key] = Blocked{epoch_};
      break;
    case tdx::Seamcall::RangeUnblock:
    case tdx::Seamcall::PageAdd:
    case tdx::Seamcall::PageAug:
    case tdx::Seamcall::SeptAdd:
      if (ok) blocked_.erase(key);
      break;
    case tdx::Seamcall::PageRemove:
    case tdx::Seamcall::SeptRemove: {
      if (!ok) break;
      auto b = blocked_.find(key);
      // Before finalization no vCPU can have run: nothing to track
      // (reference: the BLOCK/TRACK conditions apply "while the TD runs").
      if (finalized_) {
        if (b == blocked_.end()) {
          bad("#{} {} of gpa {:#x} level {} succeeded, but the history has no BLOCK of that entry since it was mapped",
              r.seq, tdx::seamcall_name(r.call), r.gpa, r.level);
        } else {
          const std::uint64_t be = b->second.bepoch;
          if (epoch_ <= be)
            bad("#{} {} of gpa {:#x} level {} succeeded in epoch {}, but no TRACK moved the epoch past its block "
                "epoch {}",
                r.seq, tdx::seamcall_name(r.call), r.gpa, r.level, epoch_, be);
          for (const auto& [v, run] : running_)
            if (run.epoch <= be)
              bad("#{} {} of gpa {:#x} level {} succeeded while vcpu{} still runs since epoch {} (block epoch {}): "
                  "it may hold the translation",
                  r.seq, tdx::seamcall_name(r.call), r.gpa, r.level, v, run.epoch, be);
        }
      }
      if (b != blocked_.end()) blocked_.erase(b);
      break;
    }
    case tdx::Seamcall::PageAccept:
    case tdx::Seamcall::PhymemPageWbinvd: break;
  }
}

// ---- KVM's mirror against the Secure EPT ----

void check_mirror(const std::map<std::uint64_t, std::uint64_t>& mirror_leaves,
                  const std::map<tdx::SeptKey, std::uint64_t>& mirror_spts,
                  const std::map<std::uint64_t, tdx::PendingOp>& pending, const Sept& sept,
                  const std::map<std::uint64_t, std::uint64_t>& pins, Violations& out) {
  Reporter bad(out, "mirror");
  // Seed 004: every mirror change goes through a hook that changes the
  // Secure EPT the same way (set_private_spte / zap+remove / link).
  for (const auto& [page, hpa] : mirror_leaves) {
    if (pending.count(page)) continue;
    const tdx::SeptEntry* e = find(sept, 0, page);
    if (!unblocked_leaf(e) || e->hpa != hpa)
      bad("mirror maps gpa {:#x} -> {:#x}, the Secure EPT leaf is {}", page, hpa,
          e ? fmt::format("{} -> {:#x}", state_text(e->state), e->hpa) : std::string("FREE"));
  }
  for (const auto& [key, spt] : mirror_spts) {
    const tdx::SeptEntry* e = find(sept, key.level, key.gpa);
    if (!e || !tdx::is_state(C, e->state, tdx::SeptState::NlMapped) || e->hpa != spt)
      bad("mirror links SPT {:#x} at level {} gpa {:#x}, the Secure EPT entry is {}", spt, key.level, key.gpa,
          e ? fmt::format("{} -> {:#x}", state_text(e->state), e->hpa) : std::string("FREE"));
  }
  for (const auto& [key, e] : sept) {
    if (!tdx::is_present(C, e.state)) continue;
    if (key.level == 0) {
      if (pending.count(key.gpa)) continue;
      auto m = mirror_leaves.find(key.gpa);
      if (m == mirror_leaves.end() || m->second != e.hpa)
        bad("Secure EPT leaf gpa {:#x} is {} -> {:#x}, the mirror {}", key.gpa, state_text(e.state), e.hpa,
            m == mirror_leaves.end() ? std::string("has nothing there") : fmt::format("maps {:#x}", m->second));
    } else if (!mirror_spts.count(key)) {
      bad("Secure EPT level {} gpa {:#x} links {:#x} ({}), the mirror has no SPT there", key.level, key.gpa, e.hpa,
          state_text(e.state));
    }
  }
  // get_page at set_private_spte, put_page after WBINVD (seed 004 tdx_unpin):
  // at the end of an op every pin is a mapped page.
  std::map<std::uint64_t, std::uint64_t> mapped;
  for (const auto& [page, hpa] : mirror_leaves) ++mapped[hpa];
  for (const auto& [hpa, n] : pins)
    if (mapped[hpa] != n) bad("page {:#x} pinned {} time(s), mapped by {} mirror leaf/leaves", hpa, n, mapped[hpa]);
  for (const auto& [hpa, n] : mapped)
    if (!pins.count(hpa)) bad("page {:#x} mapped by {} mirror leaf/leaves but not pinned", hpa, n);
}

// ---- pages given back to the host ----

void check_wbinvd(const std::vector<tdx::KvmEvent>& events, const std::vector<std::uint64_t>& pool_free,
                  const Pamt& pamt, Violations& out) {
  Reporter bad(out, "wbinvd");
  // Reference "The safety property": the host runs PHYMEM.PAGE.WBINVD
  // before reusing a removed page; the PAMT owner at the event says which.
  for (const tdx::KvmEvent& e : events) {
    if (e.kind != tdx::KvmEventKind::PageFree && e.kind != tdx::KvmEventKind::PageAlloc) continue;
    if (e.owner == tdx::PageOwner::Host) continue;
    bad("page {:#x} {} the host pool while the PAMT says {}{}", e.hpa,
        e.kind == tdx::KvmEventKind::PageFree ? "given back to" : "taken again from", tdx::page_owner_name(e.owner),
        e.owner == tdx::PageOwner::Removed ? " (removed, no WBINVD yet)" : "");
  }
  for (std::uint64_t hpa : pool_free)
    if (auto p = pamt.find(hpa); p != pamt.end())
      bad("page {:#x} is in the host pool but the PAMT says {}", hpa, tdx::page_owner_name(p->second.owner));
}

// ---- BUSY and KVM's retries ----

void check_busy(const std::map<std::uint64_t, tdx::PendingOp>& pending,
                const std::map<std::uint64_t, std::uint64_t>& mirror_leaves, const Sept& sept, Violations& out) {
  Reporter bad(out, "busy-consistent");
  // Seed 004: SEPT_BUSY -> -EAGAIN with nothing changed on either side, so
  // the fault (or the zap) runs again from the same state.
  for (const auto& [page, op] : pending) {
    const tdx::SeptEntry* e = find(sept, 0, page);
    auto m = mirror_leaves.find(page);
    if (op == tdx::PendingOp::FaultIn) {
      if (m != mirror_leaves.end())
        bad("fault-in of gpa {:#x} is being retried but the mirror already maps {:#x}", page, m->second);
      if (e && tdx::is_present(C, e->state))
        bad("fault-in of gpa {:#x} is being retried but the Secure EPT leaf is {} -> {:#x}", page,
            state_text(e->state), e->hpa);
    } else {
      if (m == mirror_leaves.end()) {
        bad("zap of gpa {:#x} is being retried but the mirror no longer maps it", page);
      } else if (!unblocked_leaf(e) || e->hpa != m->second) {
        bad("zap of gpa {:#x} is being retried (mirror -> {:#x}) but the Secure EPT leaf is {}", page, m->second,
            e ? fmt::format("{} -> {:#x}", state_text(e->state), e->hpa) : std::string("FREE"));
      }
    }
  }
}

void check_kvm_bugs(const std::vector<tdx::KvmBug>& bugs, std::size_t first, Violations& out) {
  Reporter bad(out, "kvm-bug");
  for (std::size_t i = first; i < bugs.size(); ++i)
    bad("KVM_BUG_ON in {}: {} (gpa {:#x}, after SEAMCALL #{}); the VM is dead", bugs[i].where,
        tdx::status_name(bugs[i].status), bugs[i].gpa, bugs[i].seamcall_seq);
}

// ---- module structure ----

void check_pamt(const Sept& sept, const Pamt& pamt, std::uint64_t root_hpa, Violations& out) {
  Reporter bad(out, "structure");
  auto owner_of = [&](std::uint64_t hpa) {
    auto p = pamt.find(hpa);
    return p == pamt.end() ? tdx::PamtEntry{} : p->second;
  };
  if (owner_of(root_hpa).owner != tdx::PageOwner::SeptPage)
    bad("root SEPT page {:#x} is {} in the PAMT", root_hpa, tdx::page_owner_name(owner_of(root_hpa).owner));
  std::set<std::uint64_t> used{root_hpa};
  for (const auto& [key, e] : sept) {
    if (!tdx::is_present(C, e.state)) continue;
    const bool leaf = tdx::is_leaf(C, e.state);
    const tdx::PamtEntry p = owner_of(e.hpa);
    const tdx::PageOwner want = leaf ? tdx::PageOwner::TdPrivate : tdx::PageOwner::SeptPage;
    if (p.owner != want || p.gpa != key.gpa || p.level != key.level)
      bad("Secure EPT level {} gpa {:#x} ({}) uses page {:#x}, the PAMT says {} gpa {:#x} level {}", key.level,
          key.gpa, state_text(e.state), e.hpa, tdx::page_owner_name(p.owner), p.gpa, p.level);
    if (!used.insert(e.hpa).second) bad("page {:#x} used by two Secure EPT entries (one at level {} gpa {:#x})",
                                        e.hpa, key.level, key.gpa);
  }
  for (const auto& [hpa, p] : pamt)
    if ((p.owner == tdx::PageOwner::TdPrivate || p.owner == tdx::PageOwner::SeptPage) && !used.count(hpa))
      bad("PAMT gives page {:#x} to the TD ({} gpa {:#x}) but no Secure EPT entry uses it", hpa,
          tdx::page_owner_name(p.owner), p.gpa);
}

void check_structure(const tdx::TdxModule& m, Violations& out) {
  {
    Reporter bad(out, "structure");
    for (unsigned parity = 0; parity < 2; ++parity)
      if (m.parity_count(parity) != m.parity_count_from_vcpus(parity))
        bad("the module counts {} vCPU(s) running in parity-{} epochs, the vCPUs say {}", m.parity_count(parity),
            parity, m.parity_count_from_vcpus(parity));
  }
  check_pamt(m.sept(), m.pamt(), m.root_sept_hpa(), out);
}

}  // namespace ptspec::props::tdxcheck
