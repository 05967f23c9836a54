// KVM's shadow MMU for one vCPU: shadow tables built on demand from the
// guest's page tables (x86.paging walk) and a memslot map, with write
// protection of guest page-table pages, zapping on emulated guest writes to
// them, and root reload on CR3 / role change.
//
// Sources: ../shared/reference/x86-paging-shadow.md; KVM
// arch/x86/kvm/mmu/mmu.c (mmu_alloc_shadow_roots, kvm_mmu_get_page,
// link_shadow_page, drop_parent_pte, kvm_mmu_prepare_zap_page,
// kvm_mmu_pte_write, account_shadowed / rmap_write_protect) and
// paging_tmpl.h (FNAME(page_fault), FNAME(fetch), FNAME(walk_addr)) of the
// v5.16 cycle; seed 002 (the pae_root shadow page) as corrected by its
// review (Sean Christopherson). Roles come from shadow_root.hpp, the PAE
// root page and its entries from shadow_pae.hpp.
//
// Modelling choices (each says where the model is simpler than KVM):
//  - every shadow leaf is 4 KiB (KVM may map large sptes; a guest large page
//    is shadowed by direct pages, FNAME(fetch)'s direct_gfn path);
//  - a guest write to a shadowed gfn zaps every shadow page of that gfn (the
//    issue's "simple policy": KVM also updates in place, kvm_mmu_pte_write);
//  - a zapped page's children that are left without a parent are zapped too,
//    so every live shadow page is reachable from the root (KVM keeps such
//    orphans cached until reclaimed); "no leak" is then checkable exactly;
//  - KVM's CR0.WP = 0 trick (a supervisor-only writable spte for a guest
//    read-only page) is not modelled: such a write is reported as Emulate.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/core/events.hpp"
#include "model/core/physmem.hpp"
#include "model/x86/paging_context.hpp"
#include "model/x86/paging_pdpte.hpp"
#include "model/x86/paging_walk.hpp"
#include "model/x86/shadow_pae.hpp"
#include "model/x86/shadow_role.hpp"
#include "model/x86/shadow_root.hpp"

namespace ptspec::x86::shadow {

// A memslot: guest frames [base_gfn, base_gfn + npages) backed by host
// frames [base_pfn, ...) (struct kvm_memory_slot; __gfn_to_pfn_memslot).
struct Memslot {
  std::uint64_t base_gfn = 0;
  std::uint64_t npages = 0;
  std::uint64_t base_pfn = 0;
};

// Which MMU the vCPU runs: shadow paging of the guest's own tables
// (kvm_init_shadow_mmu), or L1's NPT shadowed with the host's NPT
// (kvm_init_shadow_npt_mmu; L1's NPT tables are in the legacy x86 format,
// interpreted with L1's CR4/EFER, and read with AMD's rules).
enum class MmuKind : std::uint8_t { ShadowPaging, ShadowNpt };

struct ShadowMmuConfig {
  PaeConfig host;  // host MAXPHYADDR and shadow_me_mask
  MmuKind kind = MmuKind::ShadowPaging;
  unsigned tdp_level = 4;  // ShadowNpt only: the host's NPT level (3, 4 or 5)
  Vendor vendor = Vendor::Intel;  // how the guest's PAE PDPTEs are read (ShadowNpt forces Amd)
  std::vector<Memslot> slots;
  // Historical bug "npt-32bit-no-pae-root": before Linux "KVM: nSVM: Alloc
  // page for PDPTEs when shadowing 32-bit NPT with 64-bit" (v5.13 cycle,
  // Sean Christopherson), KVM allocated mmu->pae_root only when NPT was off
  // or the host NPT was 32-bit, so shadowing a 32-bit (PAE or non-PAE) L1
  // NPT with a 4-level host NPT linked the root's entry 0 to a page that
  // was never allocated: the four PDPTEs it needs are never set up.
  bool variant_npt_32bit_no_pae_root = false;
};

enum class FaultOutcome : std::uint8_t {
  Fixed,         // the shadow path now maps the page
  GuestFault,    // the guest walk faulted: #PF injected with `error_code`
  GuestGp,       // non-canonical address: #GP injected
  Mmio,          // the gfn is in no memslot: an emulated (MMIO) access
  Emulate,       // a write the spte does not allow (write-protected gfn): emulate it
  Unbacked,      // a guest table the walk needed is backed by no guest memory
  RootMissing,   // variant: the PDPT page under the 4-level root does not exist
};
const char* fault_outcome_name(FaultOutcome o);

struct FaultResult {
  FaultOutcome outcome = FaultOutcome::Fixed;
  std::uint64_t error_code = 0;  // GuestFault
  std::uint64_t gfn = 0;         // Fixed / Mmio / Emulate
  std::uint64_t spte = 0;        // Fixed / Emulate: the leaf written
  std::string why;
};

// A shadow page (struct kvm_mmu_page): its table in host memory, role, the
// gfn it shadows (direct pages: the first gfn it maps), its parent entries.
struct ShadowPage {
  std::uint64_t pa = 0;
  PageRole role{};
  std::uint64_t role_word = 0;
  std::uint64_t gfn = 0;
  bool root = false;
  bool special_pdpt = false;  // the PDPT page under a 4-level root over a 32-bit guest
  bool accounted = false;     // shadows a guest table: its gfn is write-protected (account_shadowed)
  std::set<std::uint64_t> parent_ptes;  // host PAs of the entries linking it
};

// What the hardware sees walking the shadow tables for one address.
struct ShadowWalk {
  bool present = false;
  std::uint64_t host_pa = 0;
  std::uint64_t perms = 0;  // paging::kPermX/W/U of the path
  unsigned level = 0;       // leaf level, or the level of the non-present entry
  std::uint64_t entry = 0;  // that entry
};

class ShadowMmu {
 public:
  // `guest`: the guest's physical memory (its page tables live there);
  // `host`: where shadow tables are allocated (with its event log).
  // Throws InputError for a bad config (PaeConfig, overlapping or empty
  // memslots, a tdp_level outside 3..5, a PhysMem that is not 4 KiB).
  ShadowMmu(PhysMem& guest, PhysMem& host, const ShadowMmuConfig& cfg);

  // MOV CR3 / CR0 / CR4 / EFER (kvm_set_cr3, kvm_mmu_reset_context): loads
  // Intel's PDPTE registers in PAE shadow paging (false and nothing changes
  // when that load #GPs), then reloads the root -- the old tree freed, a TLB
  // flush -- when CR3 or the root role changed (kvm_mmu_new_pgd / fast_pgd_switch
  // is not modelled: every change reloads). Paging off is not modelled
  // (InputError: KVM uses the direct nonpaging MMU).
  bool set_context(const x86::PagingContext& ctx, std::uint64_t cr3);

  // The page-fault handler (FNAME(page_fault)) for `va` and `acc`.
  FaultResult page_fault(std::uint64_t va, PagingAccess acc);

  // An emulated guest store of `bytes` (4 or 8, naturally aligned) at `gpa`
  // (kvm_mmu_pte_write): lands in guest memory, then every shadow page of
  // that gfn is zapped and the TLB flushed; a zapped root is reloaded.
  void write_guest(std::uint64_t gpa, unsigned bytes, std::uint64_t value);

  // The hardware view of the shadow tables for `va`.
  ShadowWalk shadow_walk(std::uint64_t va) const;

  // ---- checks (each returns "" when it holds, else what is wrong) ----
  // Shadow-paging correctness for each address in `vas`: a present shadow
  // walk agrees with guest walk ∘ memslot on the host page, with permissions
  // no wider than the guest's (W also needs the guest's D bit).
  std::string check_refinement(const std::vector<std::uint64_t>& vas) const;
  // The same for EVERY address: each present shadow leaf is reached from the
  // root, so checking the address of every leaf covers all GVAs (an address
  // without a present shadow leaf faults to KVM, which is always allowed).
  std::string check_refinement_all() const;
  // The GVAs of every present shadow leaf (one per 4 KiB page).
  std::vector<std::uint64_t> mapped_vas() const;
  // Every host page in use is a live shadow page or the default-PDPTE zero
  // page, and the shadow pages form one tree under the root.
  std::string check_no_leak() const;
  // Every PAE root / PDPT page is below 4 GiB and its four entries are
  // default_pae_pdpte or make_pae_pdpte links; none is missing.
  std::string check_pae_entries() const;
  // Every leaf spte mapping a gfn that has an indirect shadow page is read-only.
  std::string check_write_protection() const;

  // ---- inspection ----
  std::uint64_t root() const { return root_; }
  const PageRole& root_role() const { return root_role_; }
  unsigned guest_level() const { return guest_level_; }
  // The page holding the four PDPTEs (the root when it is a pae_root, the
  // PDPT page under a 4-level root over a 32-bit guest), if any.
  std::optional<std::uint64_t> pdpt_page() const;
  const std::map<std::uint64_t, ShadowPage>& pages() const { return pages_; }
  const PaeRoots& pae() const { return pae_; }
  bool write_protected(std::uint64_t gfn) const;
  std::optional<std::uint64_t> gfn_to_pfn(std::uint64_t gfn) const;
  std::uint64_t read_spte(std::uint64_t pa) const { return host_.load(pa); }

 private:
  // shadow_mmu.cpp
  void alloc_root();
  void free_root();
  std::uint64_t alloc_table(Zone zone);
  ShadowPage& add_page(std::uint64_t pa, const PageRole& role, std::uint64_t gfn);
  ShadowPage& get_page(std::uint64_t gfn, const PageRole& role);
  void set_spte(std::uint64_t at, std::uint64_t value, unsigned level, std::uint64_t va);
  void link(ShadowPage& parent, std::uint64_t at, ShadowPage& child, std::uint64_t va);
  void write_protect_gfn(ShadowPage& sp);
  std::uint64_t leaf_spte(std::uint64_t pte_access, std::uint64_t pfn, std::uint64_t gfn) const;
  std::uint64_t nonleaf_bits(const ShadowPage& parent) const;
  PagingWalkResult guest_walk(std::uint64_t va, PagingAccess acc) const;
  // shadow_mmu_zap.cpp
  void zap_page(std::uint64_t pa);
  void zap_gfn(std::uint64_t gfn);
  void unlink_children(ShadowPage& sp);
  void remove_leaf(std::uint64_t at);
  bool is_pdpt_role(const ShadowPage& sp) const;

  PhysMem& guest_;
  PhysMem& host_;
  ShadowMmuConfig cfg_;
  PaeRoots pae_;
  x86::PagingContext ctx_{};
  std::uint64_t cr3_ = 0;
  bool has_context_ = false;
  PdpteFile pdptes_{};
  PageRole root_role_{};
  unsigned guest_level_ = 0;
  std::uint64_t root_ = 0;
  std::map<std::uint64_t, ShadowPage> pages_;                           // by table PA
  std::multimap<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> hash_;  // (gfn, role word) -> PA
  std::map<std::uint64_t, std::uint64_t> leaves_;                       // leaf spte PA -> gfn (rmap)
  std::map<std::uint64_t, unsigned> indirect_count_;                    // gfn -> indirect pages shadowing it
};

// The ShadowPaging/ShadowNpt role registers of a guest paging context
// (shadow_root.hpp has its own small struct; the two should be merged).
PagingContext role_context(const x86::PagingContext& c);

}  // namespace ptspec::x86::shadow
