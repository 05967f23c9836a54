#include "model/x86/tdx_invariants.hpp"

#include <map>

#include <fmt/format.h>

namespace ptspec::x86::tdx {

namespace {
constexpr Concrete C{};
// Collects lines; keeps the report short.
struct Report {
  std::string text;
  unsigned n = 0;
  void add(const std::string& s) {
    if (++n <= 8) text += s + "\n";
    else if (n == 9) text += "...\n";
  }
};
}  // namespace

std::string check_tlb_safety(const TdxModule& m) {
  Report r;
  for (unsigned v = 0; v < m.vcpus().size(); ++v) {
    const TdxVcpu& vc = m.vcpus()[v];
    for (const auto& [gpa, t] : vc.tlb) {
      const SeptEntry e = m.entry(0, gpa);
      const bool live = is_leaf(C, e.state) && e.hpa == t.hpa && m.pamt_of(t.hpa).owner == PageOwner::TdPrivate &&
                        m.pamt_of(t.hpa).gpa == gpa;
      if (live) continue;
      if (vc.running())
        r.add(fmt::format("vcpu{} runs with a stale TLB entry {:#x} -> {:#x} (SEPT: {} hpa {:#x})", v, gpa, t.hpa,
                          sept_state_name(sept_state_from_code(e.state).value_or(SeptState::Free)), e.hpa));
      else if (vc.epoch >= m.epoch())
        r.add(fmt::format("vcpu{} would re-enter (epoch {} = TD epoch) with a stale TLB entry {:#x} -> {:#x}", v,
                          vc.epoch, gpa, t.hpa));
    }
  }
  return r.text;
}

std::string check_parity(const TdxModule& m) {
  Report r;
  for (unsigned p = 0; p < 2; ++p)
    if (m.parity_count(p) != m.parity_count_from_vcpus(p))
      r.add(fmt::format("parity {} count {} but {} running vCPUs in such epochs", p, m.parity_count(p),
                        m.parity_count_from_vcpus(p)));
  return r.text;
}

std::string check_mirror(const TdxKvm& k) {
  Report r;
  const TdxModule& m = k.module();
  std::size_t leaves = 0, tables = 0;
  for (const auto& [key, e] : m.sept()) {
    if (key.level == 0) {
      ++leaves;
      auto it = k.mirror_leaves().find(key.gpa);
      if (it == k.mirror_leaves().end()) r.add(fmt::format("SEPT leaf {:#x} is not in KVM's mirror", key.gpa));
      else if (it->second != e.hpa)
        r.add(fmt::format("leaf {:#x}: mirror pfn {:#x}, SEPT hpa {:#x}", key.gpa, it->second, e.hpa));
    } else {
      ++tables;
      auto it = k.mirror_spts().find(key);
      if (it == k.mirror_spts().end()) r.add(fmt::format("SEPT table L{} {:#x} is not in KVM's mirror", key.level, key.gpa));
      else if (it->second != e.hpa)
        r.add(fmt::format("table L{} {:#x}: mirror spt {:#x}, SEPT page {:#x}", key.level, key.gpa, it->second, e.hpa));
    }
  }
  if (leaves != k.mirror_leaves().size())
    for (const auto& [gpa, hpa] : k.mirror_leaves())
      if (!is_leaf(C, m.state_of(0, gpa))) r.add(fmt::format("mirror leaf {:#x} -> {:#x} is not in the SEPT", gpa, hpa));
  if (tables != k.mirror_spts().size())
    for (const auto& [key, hpa] : k.mirror_spts())
      if (!is_non_leaf(C, m.state_of(key.level, key.gpa)))
        r.add(fmt::format("mirror table L{} {:#x} is not in the SEPT", key.level, key.gpa));
  return r.text;
}

std::string check_pages(const TdxKvm& k) {
  Report r;
  const TdxModule& m = k.module();
  std::size_t owned = 1;  // the root SEPT page
  for (const auto& [key, e] : m.sept()) {
    const PageOwner want = key.level == 0 ? PageOwner::TdPrivate : PageOwner::SeptPage;
    const PamtEntry p = m.pamt_of(e.hpa);
    if (p.owner != want || p.gpa != key.gpa || p.level != key.level)
      r.add(fmt::format("L{} {:#x}: page {:#x} is {} in the PAMT, not {}", key.level, key.gpa, e.hpa,
                        page_owner_name(p.owner), page_owner_name(want)));
    ++owned;
  }
  std::size_t assigned = 0;
  for (const auto& [hpa, p] : m.pamt()) {
    if (p.owner == PageOwner::Removed) r.add(fmt::format("page {:#x} removed from the TD but not written back (WBINVD)", hpa));
    else ++assigned;
  }
  if (assigned != owned) r.add(fmt::format("{} pages assigned in the PAMT, {} used by the SEPT", assigned, owned));
  for (const KvmEvent& e : k.events())
    if ((e.kind == KvmEventKind::PageAlloc || e.kind == KvmEventKind::PageFree) && e.owner != PageOwner::Host)
      r.add(fmt::format("{} of page {:#x} while the PAMT has it {}", kvm_event_kind_name(e.kind), e.hpa,
                        page_owner_name(e.owner)));
  for (const auto& [gpa, hpa] : k.mirror_leaves()) {
    auto it = k.pins().find(hpa);
    const std::uint64_t n = it == k.pins().end() ? 0 : it->second;
    if (n != 1) r.add(fmt::format("mapped page {:#x} (gpa {:#x}) pinned {} times", hpa, gpa, n));
  }
  if (k.pins().size() > k.mirror_leaves().size()) r.add("pinned pages that KVM does not map");
  return r.text;
}

std::string check_remove_history(const std::vector<SeamcallRecord>& history, bool finalized_at_start) {
  Report r;
  bool finalized = finalized_at_start;
  struct Vcpu {
    bool running = false;
    std::uint64_t epoch = 0;
  };
  std::map<int, Vcpu> vcpus;
  std::map<SeptKey, std::uint64_t> blocked;  // entry -> block epoch (since it was last mapped / unblocked)
  std::uint64_t epoch = 0;
  for (const SeamcallRecord& h : history) {
    const bool ok = h.status == kSuccess;
    switch (h.call) {
      case Seamcall::MrFinalize: finalized = finalized || ok; break;
      case Seamcall::Track:
        if (ok) epoch = h.epoch;
        break;
      case Seamcall::VpEnter:
        if (ok) vcpus[h.vcpu] = Vcpu{true, h.epoch};
        break;
      case Seamcall::TdExit: vcpus[h.vcpu].running = false; break;
      case Seamcall::SeptAdd:
      case Seamcall::PageAdd:
      case Seamcall::PageAug:
      case Seamcall::RangeUnblock:
        if (ok) blocked.erase(SeptKey{h.level, h.gpa});
        break;
      case Seamcall::RangeBlock:
        if (ok) blocked[SeptKey{h.level, h.gpa}] = h.epoch;
        break;
      case Seamcall::PageRemove:
      case Seamcall::SeptRemove: {
        if (!ok || !finalized) break;
        const char* what = h.call == Seamcall::PageRemove ? "PAGE.REMOVE" : "SEPT.REMOVE";
        auto b = blocked.find(SeptKey{h.level, h.gpa});
        if (b == blocked.end()) {
          r.add(fmt::format("#{} {} L{} {:#x} without a RANGE.BLOCK since it was mapped", h.seq, what, h.level, h.gpa));
          break;
        }
        const std::uint64_t bepoch = b->second;
        if (epoch <= bepoch)
          r.add(fmt::format("#{} {} L{} {:#x}: no TRACK past block epoch {}", h.seq, what, h.level, h.gpa, bepoch));
        for (const auto& [v, s] : vcpus)
          if (s.running && s.epoch <= bepoch)
            r.add(fmt::format("#{} {} L{} {:#x}: vcpu{} still runs in epoch {} <= block epoch {}", h.seq, what,
                              h.level, h.gpa, v, s.epoch, bepoch));
        blocked.erase(b);
        break;
      }
      default: break;
    }
  }
  return r.text;
}

std::string check_all(const TdxKvm& k) {
  std::string out;
  for (const KvmBug& b : k.bugs())
    out += fmt::format("KVM_BUG_ON: {} ({}) gpa {:#x}\n", b.where, status_name(b.status), b.gpa);
  out += check_tlb_safety(k.module());
  out += check_parity(k.module());
  out += check_mirror(k);
  out += check_pages(k);
  out += check_remove_history(k.module().history(), k.config().finalized);
  return out;
}

}  // namespace ptspec::x86::tdx
