// The shadow MMU's zapping (kvm_mmu_prepare_zap_page, drop_parent_pte),
// emulated guest writes (kvm_mmu_pte_write), the hardware view of the
// shadow tables, and the checks (shadow_mmu.hpp).
#include <fmt/format.h>

#include <deque>

#include "model/core/errors.hpp"
#include "model/x86/shadow_mmu.hpp"

namespace ptspec::x86::shadow {

namespace {
const Concrete k;
namespace pg = paging;
constexpr unsigned kEntries = 512;
constexpr std::uint64_t kPageMask = genmask(pg::kPageShift - 1, 0);
}  // namespace

bool ShadowMmu::is_pdpt_role(const ShadowPage& sp) const { return sp.role.pae_root != 0; }

void ShadowMmu::remove_leaf(std::uint64_t at) {
  leaves_.erase(at);
  set_spte(at, 0, 1, 0);
}

// kvm_mmu_page_unlink_children / mmu_page_zap_pte: every child loses this
// parent entry; a child left without parents is zapped too (model choice,
// shadow_mmu.hpp); leaves leave the rmap.
void ShadowMmu::unlink_children(ShadowPage& sp) {
  const unsigned level = static_cast<unsigned>(sp.role.level);
  const std::uint64_t addr_mask = pdpte_addr_mask(cfg_.host);
  for (unsigned i = 0; i < kEntries; ++i) {
    const std::uint64_t at = sp.pa + 8 * i;
    const std::uint64_t e = host_.load(at);
    if (!is_shadow_present_pte(k, e)) continue;
    if (level == 1) {
      remove_leaf(at);
      continue;
    }
    const auto it = pages_.find(e & addr_mask);
    set_spte(at, 0, level, 0);
    if (it == pages_.end()) continue;
    it->second.parent_ptes.erase(at);
    if (it->second.parent_ptes.empty()) zap_page(it->first);
  }
}

void ShadowMmu::zap_page(std::uint64_t pa) {
  ShadowPage& sp = pages_.at(pa);
  unlink_children(sp);
  // drop_parent_pte: a pae_root parent gets default_pae_pdpte back (seed
  // 002), any other parent a cleared entry (mmu_spte_clear_no_track).
  for (const std::uint64_t pte : sp.parent_ptes) {
    const auto parent = pages_.find(pte & ~kPageMask);
    const bool pae_parent = parent != pages_.end() && is_pdpt_role(parent->second);
    set_spte(pte, dropped_parent_pte(k, k.blit(pae_parent), pae_.default_pdpte()),
             parent != pages_.end() ? static_cast<unsigned>(parent->second.role.level) : 0, 0);
  }
  if (sp.accounted) {
    auto it = indirect_count_.find(sp.gfn);
    if (it != indirect_count_.end() && --it->second == 0) indirect_count_.erase(it);
  }
  for (auto it = hash_.find({sp.gfn, sp.role_word}); it != hash_.end() && it->first == std::pair{sp.gfn, sp.role_word};
       ++it) {
    if (it->second == pa) {
      hash_.erase(it);
      break;
    }
  }
  if (pa == root_) root_ = 0;
  pages_.erase(pa);
  host_.free_page(pa);
}

void ShadowMmu::write_guest(std::uint64_t gpa, unsigned bytes, std::uint64_t value) {
  if (bytes != 4 && bytes != 8) throw InputError(fmt::format("write_guest: {} bytes (must be 4 or 8)", bytes));
  if (gpa % bytes) throw InputError(fmt::format("write_guest: gpa {:#x} is not {}-byte aligned", gpa, bytes));
  if (!guest_.find(gpa)) throw InputError(fmt::format("write_guest: gpa {:#x} is backed by no guest memory", gpa));
  const std::uint64_t old = read_paging_entry(guest_, gpa, bytes);
  write_paging_entry(guest_, gpa, bytes, value);
  if (EventLog* log = guest_.log()) log->push(Event{EventKind::Write, 0, gpa, 0, old, value});
  zap_gfn(gpa >> pg::kPageShift);
}

// kvm_mmu_pte_write, zap policy: every indirect page of the gfn goes. A
// root (or the PDPT page under it) among them means a root reload.
void ShadowMmu::zap_gfn(std::uint64_t gfn) {
  if (!write_protected(gfn)) return;
  std::vector<std::uint64_t> victims;
  bool reload = false;
  for (const auto& [pa, sp] : pages_) {
    if (!sp.accounted || sp.gfn != gfn) continue;
    if (sp.root || sp.special_pdpt) reload = true;
    else victims.push_back(pa);
  }
  if (reload) {
    free_root();
    alloc_root();
    return;
  }
  for (const std::uint64_t pa : victims)
    if (pages_.count(pa)) zap_page(pa);
  if (EventLog* log = host_.log()) log->push(Event{EventKind::TlbiAll});  // kvm_mmu_commit_zap_page
}

ShadowWalk ShadowMmu::shadow_walk(std::uint64_t va) const {
  ShadowWalk r;
  if (!has_context_ || root_ == 0) return r;
  const std::uint64_t addr_mask = pdpte_addr_mask(cfg_.host);
  const unsigned root_level = static_cast<unsigned>(root_role_.level);
  std::uint64_t table = root_, perms = pg::kPermAll;
  for (unsigned s = root_level; s >= 1; --s) {
    const std::uint64_t at = table + 8 * ((va >> (pg::kPageShift + 9 * (s - 1))) & genmask(8, 0));
    const std::uint64_t* e = host_.find(at);
    r.level = s;
    r.entry = e ? *e : 0;
    if (!e || !(r.entry & kPtPresentMask)) return r;
    // A PAE PDPTE (a level-3 root) has no R/W, U/S or XD (SDM Table 4-8).
    if (!(root_level == kPt32eRootLevel && s == kPt32eRootLevel))
      perms &= pg::perms_of(k, pg::Format{pg::Mode::Level4, cfg_.host.maxphyaddr, true}, r.entry, s);
    if (s == 1) {
      r.present = true;
      r.perms = perms;
      r.host_pa = (r.entry & addr_mask) | (va & kPageMask);
      return r;
    }
    table = r.entry & addr_mask;
  }
  return r;
}

std::string ShadowMmu::check_refinement(const std::vector<std::uint64_t>& vas) const {
  // The guest's mapping itself, whatever the access: a supervisor read with
  // SMAP off is allowed on every present leaf (SDM §4.6).
  x86::PagingContext neutral = ctx_;
  neutral.cpl = 0;
  neutral.cr4_smap = false;
  for (const std::uint64_t va : vas) {
    const ShadowWalk s = shadow_walk(va);
    if (!s.present) continue;
    const PagingWalkResult g = paging_walk(neutral, guest_, cr3_, va, PagingAccess{}, cfg_.vendor, &pdptes_);
    if (g.outcome != PagingOutcome::Translation)
      return fmt::format("va {:#x}: the shadow maps host {:#x} but the guest walk gives {} ({})", va, s.host_pa,
                         paging_outcome_name(g.outcome), g.why);
    const auto pfn = gfn_to_pfn(g.pa >> pg::kPageShift);
    if (!pfn || *pfn != (s.host_pa >> pg::kPageShift))
      return fmt::format("va {:#x}: the shadow maps host {:#x}, guest walk ∘ memslot gives {}", va, s.host_pa,
                         pfn ? fmt::format("pfn {:#x}", *pfn) : std::string("no memslot"));
    if (s.perms & ~g.perms)
      return fmt::format("va {:#x}: shadow permissions {:#x} wider than the guest's {:#x}", va, s.perms, g.perms);
    if ((s.perms & pg::kPermW) && !(g.entries[g.depth - 1] & pg::kD.mask()))
      return fmt::format("va {:#x}: the shadow is writable but the guest's leaf has D = 0", va);
  }
  return "";
}

std::vector<std::uint64_t> ShadowMmu::mapped_vas() const {
  std::vector<std::uint64_t> out;
  if (!has_context_ || root_ == 0) return out;
  const std::uint64_t addr_mask = pdpte_addr_mask(cfg_.host);
  const unsigned root_level = static_cast<unsigned>(root_role_.level);
  // Canonical form (SDM §4.5.1): bits above 47 (56 with 5 levels) copy bit 47 (56).
  const unsigned top = root_level == kPt64Root5Level ? 56 : 47;
  auto visit = [&](auto&& self, std::uint64_t table, unsigned level, std::uint64_t va) -> void {
    for (unsigned i = 0; i < kEntries; ++i) {
      const std::uint64_t* e = host_.find(table + 8 * i);
      if (!e || !(*e & kPtPresentMask)) continue;
      std::uint64_t v = va | (std::uint64_t{i} << (pg::kPageShift + 9 * (level - 1)));
      if (level == 1) {
        if (root_level >= kPt64Root4Level && ((v >> top) & 1)) v |= ~genmask(top, 0);
        out.push_back(v);
      } else if (pages_.count(*e & addr_mask)) {
        self(self, *e & addr_mask, level - 1, v);
      }
    }
  };
  visit(visit, root_, root_level, 0);
  return out;
}

std::string ShadowMmu::check_refinement_all() const { return check_refinement(mapped_vas()); }

std::string ShadowMmu::check_no_leak() const {
  const std::uint64_t zero_page = pae_.default_pdpte() & pdpte_addr_mask(cfg_.host);
  for (const std::uint64_t pa : host_.pages_in_use())
    if (pa != zero_page && !pages_.count(pa)) return fmt::format("host page {:#x} is in use but no shadow page", pa);
  std::set<std::uint64_t> seen;
  std::deque<std::uint64_t> todo;
  if (root_) todo.push_back(root_);
  while (!todo.empty()) {
    const std::uint64_t pa = todo.front();
    todo.pop_front();
    if (!seen.insert(pa).second) continue;
    const ShadowPage& sp = pages_.at(pa);
    if (sp.role.level == 1) continue;
    for (unsigned i = 0; i < kEntries; ++i) {
      const std::uint64_t e = host_.load(pa + 8 * i);
      if (is_shadow_present_pte(k, e) && pages_.count(e & pdpte_addr_mask(cfg_.host)))
        todo.push_back(e & pdpte_addr_mask(cfg_.host));
    }
  }
  for (const auto& [pa, sp] : pages_)
    if (!seen.count(pa)) return fmt::format("shadow page {:#x} (level {}) is not reachable from the root", pa,
                                            static_cast<unsigned>(sp.role.level));
  return "";
}

std::string ShadowMmu::check_pae_entries() const {
  if (!has_context_) return "";
  const unsigned root_level = static_cast<unsigned>(root_role_.level);
  if (root_level == kPt64Root4Level && guest_level_ < kPt64Root4Level && !pdpt_page())
    return fmt::format("root {:#x} entry 0 = {:#x} links no PDPT page: the four PDPTEs a {}-level guest needs were "
                       "never set up",
                       root_, host_.load(root_), guest_level_);
  for (const auto& [pa, sp] : pages_) {
    if (!is_pdpt_role(sp)) continue;
    if (host_.zone_of(pa) != Zone::Low) return fmt::format("PAE page {:#x} is not below 4 GiB", pa);
    const std::uint64_t extra = sp.special_pdpt ? pg::kA.mask() | pg::kRW.mask() | pg::kUS.mask() : 0;
    for (unsigned i = 0; i < 4; ++i) {
      const std::uint64_t e = host_.load(pa + 8 * i);
      const bool ok = e == pae_.default_pdpte() || pae_root_entry_ok(k, cfg_.host, e & ~extra, pae_.default_pdpte());
      const bool linked = e != pae_.default_pdpte() && pages_.count(e & pdpte_addr_mask(cfg_.host));
      if (!ok || (e != pae_.default_pdpte() && !linked))
        return fmt::format("PAE page {:#x} entry {} = {:#x} is neither default_pae_pdpte nor a make_pae_pdpte link",
                           pa, i, e);
    }
  }
  return "";
}

std::string ShadowMmu::check_write_protection() const {
  for (const auto& [at, gfn] : leaves_) {
    const std::uint64_t e = host_.load(at);
    if (!is_shadow_present_pte(k, e)) return fmt::format("rmap entry {:#x} is not a present leaf", at);
    if (write_protected(gfn) && (e & pg::kRW.mask()))
      return fmt::format("leaf {:#x} = {:#x} is writable but gfn {:#x} holds a shadowed guest table", at, e, gfn);
  }
  return "";
}

}  // namespace ptspec::x86::shadow
