// KVM's PAE root page (seed 002): the PDPTE layout, default_pae_pdpte,
// make_pae_pdpte, drop_parent_pte on a pae_root parent, and the SPTE
// predicates they are judged by -- Domain templates -- plus the concrete
// allocator (shadow_pae.cpp).
//
// Sources: Intel SDM Vol. 3A §4.4.1 and Table 4-8 (format of a PAE
// page-directory-pointer-table entry); seed 002 (Lai Jiangshan's patch and
// Sean Christopherson's review); KVM arch/x86/kvm/mmu/spte.h and spte.c of
// the v5.13..v5.16 era (SPTE_MMU_PRESENT_MASK, is_shadow_present_pte,
// is_mmio_spte, the MMIO value set in kvm_mmu_reset_all_pte_masks).
#pragma once

#include <cstdint>

#include "model/core/bits.hpp"
#include "model/core/domain.hpp"
#include "model/core/physmem.hpp"
#include "model/x86/paging_entry.hpp"

namespace ptspec::x86::shadow {

// ---- PAE PDPTE (SDM Vol. 3A Table 4-8) ----
// The layout is the guest paging model's (model/x86/paging_entry.hpp),
// defined once there: P = bit 0, PWT 3, PCD 4, ignored 11:9 ("the only
// ignored bits in a PDPTE are 11:9", seed 002), reserved 2:1, 8:5 and 63:M --
// there is no R/W, U/S, A or XD bit in a PAE PDPTE.
using paging::kMaxMaxPhyAddr;
using paging::kMinMaxPhyAddr;
using paging::kPageShift;
using paging::pdpte_reserved_mask;
inline constexpr Field kPdpteP = paging::kP;
inline constexpr Field kPdpteIgnored = paging::kIgnored;

// ---- KVM's SPTE bits ----
// PT_PRESENT_MASK (mmu.h): bit 0, the CPU's present bit.
inline constexpr std::uint64_t kPtPresentMask = kPdpteP.mask();
// SPTE_MMU_PRESENT_MASK (spte.h since v5.13, "KVM: x86/mmu: Use a dedicated
// bit to track shadow/MMU-present SPTEs"): BIT_ULL(11), a software bit.
inline constexpr unsigned kSpteMmuPresentBit = 11;
inline constexpr std::uint64_t kSpteMmuPresentMask = bit(kSpteMmuPresentBit);
// Seed 002's BUILD_BUG_ON(!(GENMASK(11,9) & SPTE_MMU_PRESENT_MASK)), made
// exact: the software bit must be one of the PDPTE's ignored bits.
static_assert((kSpteMmuPresentMask & ~kPdpteIgnored.mask()) == 0);
static_assert((kSpteMmuPresentMask & pdpte_reserved_mask(kMinMaxPhyAddr)) == 0);

// The configuration of the host KVM runs on.
struct PaeConfig {
  unsigned maxphyaddr = 46;  // the host's MAXPHYADDR (M), 36..52
  // shadow_me_mask: 0 = no memory encryption, else the C-bit position (e.g.
  // 47 on SME/SEV parts); must lie in the address bits M-1:12.
  unsigned c_bit = 0;
};

// shadow_me_mask.
constexpr std::uint64_t me_mask(const PaeConfig& c) { return c.c_bit == 0 ? 0 : bit(c.c_bit); }
// The PDPTE address field, bits M-1:12 (Table 4-8), without the C-bit.
constexpr std::uint64_t pdpte_addr_mask(const PaeConfig& c) {
  return genmask(c.maxphyaddr - 1, kPageShift) & ~me_mask(c);
}
// KVM's MMIO SPTE value and mask (kvm_mmu_reset_all_pte_masks, v5.16): a
// reserved PA bit, 51, with P when the host has fewer than 52 PA bits;
// otherwise MMIO caching is off (value 0).
constexpr std::uint64_t mmio_value(const PaeConfig& c) {
  return c.maxphyaddr < 52 ? (bit(51) | kPtPresentMask) : 0;
}

// ---- predicates (spte.h) ----
// is_shadow_present_pte: present to KVM iff SPTE_MMU_PRESENT_MASK is set.
template <Domain D> BoolOf<D> is_shadow_present_pte(const D& d, const WordOf<D>& spte) {
  return (spte & d.lit(kSpteMmuPresentMask)) != d.lit(0);
}
// is_mmio_spte: (spte & shadow_mmio_mask) == shadow_mmio_value, and MMIO
// caching enabled.
template <Domain D> BoolOf<D> is_mmio_spte(const D& d, const PaeConfig& c, const WordOf<D>& spte) {
  const std::uint64_t v = mmio_value(c);
  if (v == 0) return d.blit(false);
  return (spte & d.lit(v)) == d.lit(v);
}
// Present to the CPU: PDPTE bit 0.
template <Domain D> BoolOf<D> pdpte_present(const D& d, const WordOf<D>& pdpte) {
  return (pdpte & d.lit(kPdpteP.mask())) != d.lit(0);
}
// The reserved bits set in a PDPTE (meaningful when present).
template <Domain D> WordOf<D> pdpte_reserved_bits(const D& d, const PaeConfig& c, const WordOf<D>& pdpte) {
  return pdpte & d.lit(pdpte_reserved_mask(c.maxphyaddr));
}
// The page a PDPTE points at.
template <Domain D> WordOf<D> pdpte_addr(const D& d, const PaeConfig& c, const WordOf<D>& pdpte) {
  return pdpte & d.lit(pdpte_addr_mask(c));
}

// ---- KVM's values ----
// default_pae_pdpte = __pa(zeroed page) | PT_PRESENT_MASK | shadow_me_mask
// (seed 002, alloc_default_pae_pdpte): present to the CPU, NOT shadow-present
// (no SPTE_MMU_PRESENT_MASK), not MMIO. The review notes that presence is not
// required by either vendor (not-present PDPTEs are fine; "present with
// reserved bits is what's not allowed"); the model keeps the patch's value.
template <Domain D> WordOf<D> default_pae_pdpte(const D& d, const PaeConfig& c, const WordOf<D>& zero_page) {
  return zero_page | d.lit(kPtPresentMask | me_mask(c));
}
// make_pae_pdpte (seed 002, in the review's form): __pa(child) |
// PT_PRESENT_MASK | SPTE_MMU_PRESENT_MASK | shadow_me_mask -- never R/W,
// U/S, A or NX (reserved in a PDPTE).
template <Domain D> WordOf<D> make_pae_pdpte(const D& d, const PaeConfig& c, const WordOf<D>& child) {
  return child | d.lit(kPtPresentMask | kSpteMmuPresentMask | me_mask(c));
}
// What drop_parent_pte leaves in the parent's entry: default_pae_pdpte when
// the parent is a pae_root (__update_clear_spte_fast(parent_pte,
// default_pae_pdpte)), 0 otherwise (mmu_spte_clear_no_track).
template <Domain D>
WordOf<D> dropped_parent_pte(const D& d, const BoolOf<D>& parent_is_pae_root, const WordOf<D>& default_pdpte) {
  return d.ite(parent_is_pae_root, default_pdpte, d.lit(0));
}

// The invariant of a pae_root page's four entries (issue 4): each is either
// default_pae_pdpte or a make_pae_pdpte link -- exactly P | MMU-present |
// C-bit over an address in M-1:12.
template <Domain D>
BoolOf<D> pae_root_entry_ok(const D& d, const PaeConfig& c, const WordOf<D>& entry, const WordOf<D>& default_pdpte) {
  const std::uint64_t link_bits = kPtPresentMask | kSpteMmuPresentMask | me_mask(c);
  return entry == default_pdpte || (entry & d.lit(~pdpte_addr_mask(c))) == d.lit(link_bits);
}

// ---- PAE CR3 (SDM Vol. 3A §4.4.1) ----
// In PAE mode CR3 bits 31:5 hold the PDPT's address and PDPTE i is read at
// (CR3 & ~0x1F) + 8 i: only a 32-byte aligned PDPT below 4 GiB is reachable.
inline constexpr Field kPaeCr3Pdpt{31, 5};
template <Domain D> WordOf<D> pae_cr3_pdpt(const D& d, const WordOf<D>& cr3) {
  return cr3 & d.lit(kPaeCr3Pdpt.mask());
}
// The page PhysMem's low zone can hand out: [kLowBase, kLowLimit), aligned.
template <Domain D> BoolOf<D> in_low_zone(const D& d, const WordOf<D>& page) {
  return d.ule(d.lit(PhysMem::kLowBase), page) && d.ult(page, d.lit(PhysMem::kLowLimit)) &&
         is_aligned(d, page, std::uint64_t{1} << kPageShift);
}

// ---- concrete (shadow_pae.cpp) ----

// Throws InputError for M outside 36..52 or a C-bit outside M-1:12.
void check_config(const PaeConfig& c);
// Throws InputError (naming `what`) unless `pa` is 4 KiB aligned, below 2^M
// and has the C-bit clear.
void check_page_address(const PaeConfig& c, std::uint64_t pa, const char* what);

// The PAE root pages of one VM (seed 002's mmu_topup_pae_root_cache and
// kvm_mmu_alloc_page for a pae_root role; the default zero page of
// kvm_mmu_module_init).
class PaeRoots {
 public:
  // Allocates the zeroed page default_pae_pdpte points at and checks the
  // value as alloc_default_pae_pdpte's WARN_ON does: InputError (-EINVAL in
  // KVM) if it would be shadow-present or an MMIO SPTE.
  PaeRoots(PhysMem& mem, const PaeConfig& c);
  std::uint64_t default_pdpte() const { return default_pdpte_; }
  const PaeConfig& config() const { return cfg_; }

  // Fault injection: at most `n` more root pages can be allocated.
  void limit_pages(std::size_t n) { budget_ = n; }
  // A PAE root page from the low zone (__GFP_DMA32: "PAE roots must be
  // allocated below 4gb (CR3 has only 32 bits)", review) with its four
  // entries set to default_pae_pdpte. kEnomem when none is left.
  int alloc_root(std::uint64_t& pa_out);
  // make_pae_pdpte(child) written to entry `index` (0..3) of `root`.
  std::uint64_t link(std::uint64_t root, unsigned index, std::uint64_t child);
  // drop_parent_pte for entry `index` of `root` (a pae_root parent): writes
  // default_pae_pdpte back.
  void drop(std::uint64_t root, unsigned index);
  // The four entries of a root page.
  std::uint64_t entry(std::uint64_t root, unsigned index) const;
  // Every entry of `root` is default_pae_pdpte or a make_pae_pdpte link.
  bool entries_ok(std::uint64_t root) const;

 private:
  std::uint64_t entry_pa(std::uint64_t root, unsigned index, const char* what) const;

  PhysMem& mem_;
  PaeConfig cfg_;
  std::uint64_t zero_page_ = 0;
  std::uint64_t default_pdpte_ = 0;
  std::size_t budget_ = SIZE_MAX;
};

}  // namespace ptspec::x86::shadow
