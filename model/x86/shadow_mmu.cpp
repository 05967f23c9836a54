// The shadow MMU: roots, the page-fault handler and write protection
// (shadow_mmu.hpp for the sources and the modelling choices).
#include "model/x86/shadow_mmu.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "model/core/errors.hpp"

namespace ptspec::x86::shadow {

namespace {
const Concrete k;
namespace pg = paging;

// SPTE bits KVM uses with shadow paging on a legacy-format host table
// (spte.h / mmu.h): PT_WRITABLE_MASK, PT_USER_MASK, PT_ACCESSED_MASK,
// PT_DIRTY_MASK, and PT64_NX_MASK as shadow_nx_mask.
constexpr std::uint64_t kSpteW = pg::kRW.mask();
constexpr std::uint64_t kSpteU = pg::kUS.mask();
constexpr std::uint64_t kSpteA = pg::kA.mask();
constexpr std::uint64_t kSpteD = pg::kD.mask();
constexpr std::uint64_t kSpteNx = pg::kXD.mask();
constexpr unsigned kSpteIndexBits = 9;  // 512 64-bit entries per shadow table

unsigned spte_index(std::uint64_t va, unsigned level) {
  return static_cast<unsigned>((va >> (pg::kPageShift + kSpteIndexBits * (level - 1))) & genmask(8, 0));
}
}  // namespace

const char* fault_outcome_name(FaultOutcome o) {
  switch (o) {
    case FaultOutcome::Fixed: return "fixed";
    case FaultOutcome::GuestFault: return "guest #PF";
    case FaultOutcome::GuestGp: return "guest #GP";
    case FaultOutcome::Mmio: return "mmio";
    case FaultOutcome::Emulate: return "emulate";
    case FaultOutcome::Unbacked: return "unbacked guest table";
    case FaultOutcome::RootMissing: return "pdpt page missing";
  }
  return "?";
}

PagingContext role_context(const x86::PagingContext& c) {
  PagingContext r;
  r.cr0_pg = c.cr0_pg;
  r.cr0_wp = c.cr0_wp;
  r.cr4_pae = c.cr4_pae;
  r.cr4_pse = c.cr4_pse;
  r.cr4_smep = c.cr4_smep;
  r.cr4_smap = c.cr4_smap;
  r.cr4_la57 = c.cr4_la57;
  r.efer_nx = c.efer_nxe;
  r.efer_lma = c.efer_lma;
  return r;
}

ShadowMmu::ShadowMmu(PhysMem& guest, PhysMem& host, const ShadowMmuConfig& cfg)
    : guest_(guest), host_(host), cfg_(cfg), pae_(host, cfg.host) {
  if (guest.page_shift() != pg::kPageShift)
    throw InputError(fmt::format("shadow mmu: guest PhysMem page shift {} (x86 pages are 4 KiB)", guest.page_shift()));
  if (cfg_.kind == MmuKind::ShadowNpt) {
    if (cfg_.tdp_level < kPt32eRootLevel || cfg_.tdp_level > kPt64Root5Level)
      throw InputError(fmt::format("shadow mmu config.tdp_level: {} (must be 3, 4 or 5)", cfg_.tdp_level));
    cfg_.vendor = Vendor::Amd;  // NPT guest mode reads PDPTEs on use (seed 002 quoting the APM)
  }
  for (std::size_t i = 0; i < cfg_.slots.size(); ++i) {
    const Memslot& s = cfg_.slots[i];
    if (s.npages == 0) throw InputError(fmt::format("shadow mmu config.slots[{}]: npages is 0", i));
    if ((s.base_pfn + s.npages) > (std::uint64_t{1} << (cfg_.host.maxphyaddr - pg::kPageShift)))
      throw InputError(fmt::format("shadow mmu config.slots[{}]: host pfns {:#x}+{:#x} beyond MAXPHYADDR {}", i,
                                   s.base_pfn, s.npages, cfg_.host.maxphyaddr));
    for (std::size_t j = 0; j < i; ++j) {
      const Memslot& o = cfg_.slots[j];
      if (s.base_gfn < o.base_gfn + o.npages && o.base_gfn < s.base_gfn + s.npages)
        throw InputError(fmt::format("shadow mmu config.slots[{}] overlaps slots[{}]", i, j));
    }
  }
}

std::optional<std::uint64_t> ShadowMmu::gfn_to_pfn(std::uint64_t gfn) const {
  for (const Memslot& s : cfg_.slots)
    if (gfn >= s.base_gfn && gfn - s.base_gfn < s.npages) return s.base_pfn + (gfn - s.base_gfn);
  return std::nullopt;
}

bool ShadowMmu::write_protected(std::uint64_t gfn) const { return indirect_count_.count(gfn) != 0; }

std::optional<std::uint64_t> ShadowMmu::pdpt_page() const {
  for (const auto& [pa, sp] : pages_)
    if (sp.role.pae_root) return pa;
  return std::nullopt;
}

bool ShadowMmu::set_context(const x86::PagingContext& ctx, std::uint64_t cr3) {
  const pg::Mode mode = paging_mode(ctx);
  if (mode == pg::Mode::None)
    throw InputError("shadow mmu context: paging is off (KVM then runs the direct nonpaging MMU, not modelled here)");
  const pg::Format f = format_of(ctx);
  if (!f.long_mode() && (cr3 >> 32)) throw InputError(fmt::format("shadow mmu cr3: {:#x} beyond 32 bits", cr3));
  const unsigned glevel = f.levels();
  PageRole role{};
  if (cfg_.kind == MmuKind::ShadowPaging) {
    role = shadow_mmu_root_role(role_context(ctx));
  } else {
    // A 32-bit host cannot run a 64-bit L1; a 5-level host over a 32-bit or
    // 4-level L1 needs KVM's pml5_root special page, not modelled.
    if (glevel > cfg_.tdp_level || (cfg_.tdp_level == kPt64Root5Level && glevel != kPt64Root5Level))
      throw InputError(fmt::format("shadow mmu: L1 NPT with {} levels under a {}-level host NPT is not modelled",
                                   glevel, cfg_.tdp_level));
    role = shadow_npt_root_role(role_context(ctx), cfg_.tdp_level);
  }
  PdpteFile regs;
  if (mode == pg::Mode::Pae && cfg_.vendor == Vendor::Intel) {
    // kvm_set_cr3 -> load_pdptrs: a present PDPTE with a reserved bit #GPs
    // and nothing changes (SDM §4.4.1).
    const PdpteLoadResult lr = intel_load_pdptes(ctx, guest_, cr3);
    if (lr.outcome != PdpteLoadOutcome::Loaded) return false;
    regs = lr.regs;
  }
  // load_pdptrs requests KVM_REQ_LOAD_MMU_PGD when the PDPTE registers
  // change (memcmp with mmu->pdptrs): the pae_root's children shadow them.
  const bool reload = !has_context_ || cr3 != cr3_ || role_word(role) != role_word(root_role_) ||
                      glevel != guest_level_ || regs.e != pdptes_.e;
  ctx_ = ctx;
  pdptes_ = regs;
  if (!reload) return true;
  if (has_context_) free_root();
  cr3_ = cr3;
  root_role_ = role;
  guest_level_ = glevel;
  has_context_ = true;
  alloc_root();
  return true;
}

std::uint64_t ShadowMmu::alloc_table(Zone zone) { return host_.alloc_contiguous(1, zone); }

ShadowPage& ShadowMmu::add_page(std::uint64_t pa, const PageRole& role, std::uint64_t gfn) {
  ShadowPage sp;
  sp.pa = pa;
  sp.role = role;
  sp.role_word = role_word(role);
  sp.gfn = gfn;
  return pages_.emplace(pa, std::move(sp)).first->second;
}

void ShadowMmu::set_spte(std::uint64_t at, std::uint64_t value, unsigned level, std::uint64_t va) {
  const std::uint64_t old = host_.load(at);
  host_.store(at, value);
  if (EventLog* log = host_.log()) log->push(Event{EventKind::Write, static_cast<std::uint8_t>(level), at, va, old, value});
}

// mmu_alloc_shadow_roots (v5.16, with seed 002's pae_root page and Linux
// "KVM: nSVM: Alloc page for PDPTEs when shadowing 32-bit NPT with 64-bit").
void ShadowMmu::alloc_root() {
  const std::uint64_t cr3_gfn = (cr3_ & genmask(cfg_.host.maxphyaddr - 1, pg::kPageShift)) >> pg::kPageShift;
  const unsigned level = static_cast<unsigned>(root_role_.level);
  if (level == kPt32eRootLevel) {
    // The pae_root page: below 4 GiB, four default_pae_pdpte entries (seed 002).
    std::uint64_t pa = 0;
    if (pae_.alloc_root(pa) != kOk) throw std::runtime_error("shadow mmu: no PAE root page below 4 GiB");
    ShadowPage& sp = add_page(pa, root_role_, cr3_gfn);
    sp.root = true;
    // A PAE guest's PDPT is shadowed by the root: write-protect it (on AMD
    // the PDPTEs are read on use, so a write must reach the shadow).
    if (guest_level_ == kPt32eRootLevel) write_protect_gfn(sp);
    root_ = pa;
    return;
  }
  root_ = alloc_table(Zone::High);
  ShadowPage& sp = add_page(root_, root_role_, cr3_gfn);
  sp.root = true;
  if (guest_level_ == level) {
    write_protect_gfn(sp);
    return;
  }
  // A 4-level host NPT over a 32-bit L1 NPT: the root's entry 0 links a
  // separate PDPT page of four PDPTEs. KVM's pm_mask for a 4-level root adds
  // PT_ACCESSED_MASK | PT_WRITABLE_MASK | PT_USER_MASK: the host walks that
  // page as a long-mode PDPT, whose entries carry R/W and U/S (SDM Table 4-16).
  const std::uint64_t bits = kPtPresentMask | kSpteMmuPresentMask | me_mask(cfg_.host) | kSpteA | kSpteW | kSpteU;
  if (cfg_.variant_npt_32bit_no_pae_root) {
    // The bug: mmu->pae_root was never allocated, so lm_root[0] =
    // __pa(NULL pae_root) | pm_mask and the PDPTEs are written through NULL.
    set_spte(root_, bits, level, 0);
    return;
  }
  std::uint64_t pdpt = 0;
  if (pae_.alloc_root(pdpt) != kOk) throw std::runtime_error("shadow mmu: no PDPT page below 4 GiB");
  // It holds the four PDPTEs, so it is the level-3 pae_root part of the
  // root (KVM's mmu_alloc_special_roots makes it alongside the root): the
  // review's rule, pae_root exactly for the PT32E_ROOT_LEVEL page of PDPTEs.
  PageRole prole = page_role_at(root_role_, kPt32eRootLevel, guest_level_);
  prole.pae_root = 1;
  ShadowPage& p = add_page(pdpt, prole, cr3_gfn);
  p.special_pdpt = true;
  if (guest_level_ == kPt32eRootLevel) write_protect_gfn(p);
  set_spte(root_, pdpt | bits, level, 0);
  p.parent_ptes.insert(root_);
}

void ShadowMmu::free_root() {
  if (root_ != 0) zap_page(root_);
  root_ = 0;
  if (EventLog* log = host_.log()) log->push(Event{EventKind::TlbiAll});
}

ShadowPage& ShadowMmu::get_page(std::uint64_t gfn, const PageRole& role) {
  const std::uint64_t w = role_word(role);
  auto it = hash_.find({gfn, w});
  if (it != hash_.end()) return pages_.at(it->second);
  ShadowPage& sp = add_page(alloc_table(Zone::High), role, gfn);
  hash_.emplace(std::pair{gfn, w}, sp.pa);
  if (!role.direct) write_protect_gfn(sp);  // account_shadowed
  return sp;
}

std::uint64_t ShadowMmu::nonleaf_bits(const ShadowPage& parent) const {
  const std::uint64_t me = me_mask(cfg_.host);
  if (parent.role.pae_root) {
    // make_pae_pdpte (seed 002); the PDPT page under a 4-level root also
    // needs A/W/U (KVM's pm_mask, see alloc_root).
    const std::uint64_t extra = parent.special_pdpt ? (kSpteA | kSpteW | kSpteU) : 0;
    return kPtPresentMask | kSpteMmuPresentMask | me | extra;
  }
  // make_nonleaf_spte: shadow_present_mask | PT_WRITABLE_MASK |
  // shadow_user_mask | shadow_me_mask | shadow_accessed_mask, plus
  // SPTE_MMU_PRESENT_MASK.
  return kPtPresentMask | kSpteMmuPresentMask | kSpteW | kSpteU | kSpteA | me;
}

void ShadowMmu::link(ShadowPage& parent, std::uint64_t at, ShadowPage& child, std::uint64_t va) {
  set_spte(at, child.pa | nonleaf_bits(parent), static_cast<unsigned>(parent.role.level), va);
  child.parent_ptes.insert(at);
}

// account_shadowed + kvm_mmu_slot_gfn_write_protect: the first indirect
// page of a gfn removes W from every leaf mapping it, then the TLBs are
// flushed (kvm_flush_remote_tlbs in kvm_mmu_get_page).
void ShadowMmu::write_protect_gfn(ShadowPage& sp) {
  const std::uint64_t gfn = sp.gfn;
  sp.accounted = true;
  if (indirect_count_[gfn]++ != 0) return;
  bool flush = false;
  for (const auto& [at, g] : leaves_) {
    if (g != gfn) continue;
    const std::uint64_t e = host_.load(at);
    if (e & kSpteW) {
      set_spte(at, e & ~(kSpteW | kSpteD), 1, 0);
      flush = true;
    }
  }
  if (flush)
    if (EventLog* log = host_.log()) log->push(Event{EventKind::TlbiAll});
}

// FNAME(fetch)'s leaf (make_spte) for `pte_access` (the guest's rights,
// W already removed by protect_clean_gpte): U, W and X (as NX); W also only
// when the gfn is not write-protected (a shadowed guest table).
std::uint64_t ShadowMmu::leaf_spte(std::uint64_t pte_access, std::uint64_t pfn, std::uint64_t gfn) const {
  const std::uint64_t pa = pfn << pg::kPageShift;
  check_page_address(cfg_.host, pa, "shadow mmu leaf host page");
  std::uint64_t s = pa | kPtPresentMask | kSpteMmuPresentMask | kSpteA | me_mask(cfg_.host);
  if (pte_access & pg::kPermU) s |= kSpteU;
  if (!(pte_access & pg::kPermX)) s |= kSpteNx;
  if ((pte_access & pg::kPermW) && !write_protected(gfn)) s |= kSpteW | kSpteD;
  return s;
}

PagingWalkResult ShadowMmu::guest_walk(std::uint64_t va, PagingAccess acc) const {
  return paging_walk(ctx_, guest_, cr3_, va, acc, cfg_.vendor, &pdptes_);
}

FaultResult ShadowMmu::page_fault(std::uint64_t va, PagingAccess acc) {
  if (!has_context_) throw InputError("shadow mmu page_fault: no context (set_context first)");
  FaultResult res;
  if (pages_.at(root_).role.level == kPt64Root4Level && guest_level_ < kPt64Root4Level && !pdpt_page()) {
    res.outcome = FaultOutcome::RootMissing;
    res.why = "root entry 0 links the never-allocated pae_root (variant npt-32bit-no-pae-root): KVM writes the "
              "PDPTEs through a NULL pointer";
    return res;
  }
  PagingWalkResult w = guest_walk(va, acc);
  // FNAME(update_accessed_dirty_bits) writes the guest's A/D bits into the
  // entries the walk used. Shadow entries never depend on a table entry's A
  // or D bit (a leaf's D only gates W, and only grows), with one exception:
  // bits 5 and 6 are RESERVED in a PAE PDPTE (SDM Table 4-8). When the guest
  // uses its PDPT page as a PD or PT too, the A/D write can make a PDPTE the
  // pae_root shadows invalid; KVM's FNAME(fetch) sees the gpte changed
  // (FNAME(gpte_changed) -> RET_PF_RETRY) and the vCPU faults again. The
  // model zaps (reloads) what shadows that PDPT and walks again; A/D bits
  // only go from 0 to 1, so this settles.
  for (unsigned tries = 0; w.outcome == PagingOutcome::Translation && !w.ad_writes.empty(); ++tries) {
    if (tries > 2 * kPt64Root5Level) throw std::logic_error("shadow mmu: A/D updates do not settle");
    apply_paging_ad_writes(guest_, w);
    bool pdpt_written = false;
    for (const PagingAdWrite& ad : w.ad_writes) {
      const std::uint64_t g = ad.pa >> pg::kPageShift;
      for (const auto& [pa, sp] : pages_)
        if (sp.accounted && sp.role.pae_root && sp.gfn == g) pdpt_written = true;
      if (pdpt_written) zap_gfn(g);
    }
    if (!pdpt_written) break;
    w = guest_walk(va, acc);
  }
  if (w.outcome == PagingOutcome::PageFault) {
    res.outcome = FaultOutcome::GuestFault;
    res.error_code = w.error_code;
    res.why = w.why;
    return res;
  }
  if (w.outcome == PagingOutcome::GeneralProtection || w.outcome == PagingOutcome::Unbacked) {
    res.outcome = w.outcome == PagingOutcome::Unbacked ? FaultOutcome::Unbacked : FaultOutcome::GuestGp;
    res.why = w.why;
    return res;
  }
  const std::uint64_t gfn = w.pa >> pg::kPageShift;
  res.gfn = gfn;
  const std::optional<std::uint64_t> pfn = gfn_to_pfn(gfn);
  if (!pfn) {
    res.outcome = FaultOutcome::Mmio;
    res.why = fmt::format("gfn {:#x} is in no memslot", gfn);
    return res;
  }
  // The gfn of the guest table at each level the walk used, and the access
  // accumulated above it (gw->table_gfn / gw->pt_access).
  const pg::Format f = format_of(ctx_);
  const unsigned G = guest_level_, L = w.level;
  std::uint64_t tgfn[6] = {}, pt_access[6] = {};
  tgfn[G] = (f.mode == pg::Mode::Pae ? pg::pae_pdpt_base(k, cr3_) : cr3_ & pg::table_addr_mask(f)) >> pg::kPageShift;
  pt_access[G] = pg::kPermAll;
  for (unsigned i = 0; i + 1 < w.depth; ++i) {
    const unsigned lv = G - i;
    tgfn[lv - 1] = pg::table_addr(k, f, w.entries[i]) >> pg::kPageShift;
    pt_access[lv - 1] = pt_access[lv] & pg::perms_of(k, f, w.entries[i], lv);
  }
  // FNAME(protect_clean_gpte): on a fault that is not a write, a leaf with
  // D = 0 gives no write access, so the first write faults and sets D. This
  // is also the access of the direct pages below a guest large page: two
  // aliases of one large page, one clean and one dirty, get different direct
  // pages (role.access), not one shared writable leaf.
  std::uint64_t pte_access = w.perms;
  if (acc.kind != pg::AccessKind::Write && !(w.entries[w.depth - 1] & pg::kD.mask())) pte_access &= ~pg::kPermW;
  const std::uint64_t addr_mask = pdpte_addr_mask(cfg_.host);
  std::uint64_t table = root_;
  for (unsigned s = static_cast<unsigned>(root_role_.level); s > 1; --s) {
    const std::uint64_t at = table + 8 * spte_index(va, s);
    const std::uint64_t e = host_.load(at);
    if (is_shadow_present_pte(k, e)) {
      table = e & addr_mask;
      continue;
    }
    const unsigned c = s - 1;
    PageRole role = page_role_at(root_role_, c, G);
    std::uint64_t cgfn = 0;
    if (c >= L) {
      role.direct = 0;
      role.access = pt_access[c];
      cgfn = tgfn[c];
      // kvm_mmu_get_page: a 32-bit guest table (1024 entries) is shadowed by
      // 2^level pages of 512; quadrant picks the part this address is in.
      if (role.has_4_byte_gpte) role.quadrant = (va >> (pg::kPageShift + kSpteIndexBits * c)) & genmask(c - 1, 0);
    } else {
      // Below a guest large page: a direct page of the gfns it covers
      // (FNAME(fetch): direct_gfn = gw->gfn & ~(KVM_PAGES_PER_HPAGE - 1)).
      role.direct = 1;
      role.access = pte_access;
      role.quadrant = 0;
      cgfn = gfn & ~genmask(kSpteIndexBits * c - 1, 0);
    }
    ShadowPage& child = get_page(cgfn, role);
    link(pages_.at(table), at, child, va);
    table = child.pa;
  }
  const std::uint64_t at = table + 8 * spte_index(va, 1);
  const std::uint64_t spte = leaf_spte(pte_access, *pfn, gfn);
  set_spte(at, spte, 1, va);
  leaves_[at] = gfn;
  res.spte = spte;
  if (acc.kind == pg::AccessKind::Write && !(spte & kSpteW)) {
    res.outcome = FaultOutcome::Emulate;
    res.why = fmt::format("gfn {:#x} is write-protected (a shadowed guest table) or not writable: emulate", gfn);
  }
  return res;
}

}  // namespace ptspec::x86::shadow
