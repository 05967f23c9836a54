// x86 guest paging-structure entries (32-bit, PAE, IA-32e 4-/5-level), and
// the entry-level rules of the hardware walk, written once over a Domain so
// the model and the solver run the same code (DESIGN.md "One definition, two
// domains").
//
// Sources: ../shared/reference/x86-paging-shadow.md; Intel SDM Vol. 3A
// chapter 4 "Paging": §4.3 (32-bit paging, Tables 4-4..4-6), §4.4 (PAE,
// Table 4-8 PDPTE, Tables 4-9..4-11), §4.5 (4-/5-level, Tables 4-14..4-20),
// §4.6 (access rights: R/W, U/S, XD, CR0.WP, SMEP, SMAP), §4.7 (page-fault
// error code), §4.8 (accessed and dirty flags); seed 002 (the PDPTE's only
// ignored bits are 11:9 -- Sean Christopherson quoting the SDM footnote).
//
// Levels as KVM numbers them: 1 = PTE, 2 = PDE, 3 = PDPTE, 4 = PML4E,
// 5 = PML5E. 32-bit paging has levels 2 and 1 only, with 4-byte entries
// (held here zero-extended in a 64-bit word); PAE's level 3 is the PDPTE
// (paging_pdpte.hpp).
#pragma once

#include <cstdint>

#include "model/core/bits.hpp"
#include "model/core/domain.hpp"
#include "model/core/memory.hpp"

namespace ptspec::x86::paging {

inline constexpr unsigned kPageShift = 12;
inline constexpr unsigned kMinMaxPhyAddr = 36;  // SDM §4.1.4: CPUID.80000008H:EAX[7:0]
inline constexpr unsigned kMaxMaxPhyAddr = 52;

enum class Mode : std::uint8_t { None = 0, Bits32 = 1, Pae = 2, Level4 = 3, Level5 = 4 };
const char* mode_name(Mode m);

// What the entry format depends on (derived from the paging context by
// paging_context.hpp's format_of).
struct Format {
  Mode mode = Mode::Level4;
  unsigned maxphyaddr = 46;  // 36..52
  bool nxe = false;          // EFER.NXE: bit 63 is XD (PAE / IA-32e only), else reserved
  bool pse = false;          // CR4.PSE: 4 MiB pages in 32-bit paging
  bool gb_pages = true;      // CPUID.80000001H:EDX.Page1GB: PS in a PDPTE maps 1 GiB

  constexpr unsigned levels() const {
    return mode == Mode::Bits32 ? 2 : mode == Mode::Pae ? 3 : mode == Mode::Level4 ? 4 : mode == Mode::Level5 ? 5 : 0;
  }
  constexpr unsigned entry_bytes() const { return mode == Mode::Bits32 ? 4 : 8; }
  // Lowest linear-address bit the table at `level` indexes: 32-bit paging
  // PDE 31:22, PTE 21:12 (§4.3); PAE and IA-32e 9 bits per level (§4.4.2, §4.5.4).
  constexpr unsigned level_shift(unsigned level) const {
    return mode == Mode::Bits32 ? (level == 2 ? 22 : 12) : kPageShift + (level - 1) * 9;
  }
  constexpr unsigned index_bits(unsigned level) const {
    return mode == Mode::Bits32 ? 10 : (mode == Mode::Pae && level == 3) ? 2 : 9;
  }
  // Physical-address width of 32-bit paging: MAXPHYADDR capped at 40
  // (§4.3: 4 MiB pages reach PA bits 39:32 through PDE bits 20:13, PSE-36).
  constexpr unsigned pse36_width() const { return maxphyaddr < 40 ? maxphyaddr : 40; }
  // XD is an access-rights bit only in PAE / IA-32e paging with EFER.NXE (§4.6).
  constexpr bool xd_enabled() const { return nxe && (mode == Mode::Pae || mode == Mode::Level4 || mode == Mode::Level5); }
  constexpr bool long_mode() const { return mode == Mode::Level4 || mode == Mode::Level5; }
};

// ---- entry fields (SDM Tables 4-4..4-6, 4-8..4-11, 4-14..4-20) ----
inline constexpr Field kP{0, 0};          // present
inline constexpr Field kRW{1, 1};         // read/write
inline constexpr Field kUS{2, 2};         // user/supervisor
inline constexpr Field kPWT{3, 3};        // page-level write-through
inline constexpr Field kPCD{4, 4};        // page-level cache disable
inline constexpr Field kA{5, 5};          // accessed
inline constexpr Field kD{6, 6};          // dirty (leaves only)
inline constexpr Field kPS{7, 7};         // page size (PDE, IA-32e PDPTE)
inline constexpr Field kPatPte{7, 7};     // PAT bit of a 4 KiB PTE
inline constexpr Field kG{8, 8};          // global (leaves only)
inline constexpr Field kIgnored{11, 9};   // ignored / available to software in every entry
inline constexpr Field kPatLarge{12, 12}; // PAT bit of a 2M / 4M / 1G leaf
inline constexpr Field kXD{63, 63};       // execute-disable (PAE / IA-32e, EFER.NXE)
inline constexpr Field kPse36Rsvd{21, 21};  // 32-bit 4 MiB PDE: bit 21 always reserved (Table 4-4)

// PAE PDPTE (Table 4-8): only P, PWT, PCD and the address; 2:1 and 8:5
// reserved, 11:9 ignored, 63:M reserved -- there is no R/W, U/S, A or XD.
inline constexpr Field kPdpteRsvdLo{2, 1};
inline constexpr Field kPdpteRsvdMid{8, 5};

// ---- masks ----
// Address of a referenced table: 32-bit 31:12; otherwise M-1:12.
constexpr std::uint64_t table_addr_mask(const Format& f) {
  return f.mode == Mode::Bits32 ? genmask(31, 12) : genmask(f.maxphyaddr - 1, 12);
}
// 32-bit 4 MiB PDE: bits (W-20):13 give PA bits (W-1):32, W = min(M, 40) (Table 4-4).
constexpr Field pse36_field(const Format& f) { return Field{f.pse36_width() - 20, 13}; }

// Bits at or above MAXPHYADDR that are reserved in every present entry
// (besides the per-level ones): PAE 62:M (§4.4.2, Tables 4-10, 4-11),
// IA-32e 51:M (§4.5.4, Tables 4-15..4-20); plus XD (63) when EFER.NXE = 0 (§4.6.2).
constexpr std::uint64_t high_reserved_mask(const Format& f) {
  if (f.mode == Mode::Bits32) return 0;
  const std::uint64_t xd = f.nxe ? 0 : kXD.mask();
  if (f.mode == Mode::Pae) return genmask(62, f.maxphyaddr) | xd;
  return (f.maxphyaddr >= 52 ? 0 : genmask(51, f.maxphyaddr)) | xd;
}

// The PAE PDPTE reserved mask (Table 4-8): 2:1, 8:5, 63:M.
constexpr std::uint64_t pdpte_reserved_mask(unsigned maxphyaddr) {
  return kPdpteRsvdLo.mask() | kPdpteRsvdMid.mask() | genmask(63, maxphyaddr);
}

// Reserved bits of a present entry at `level`; `ps` = bit 7 set.
//  - 32-bit: a 4 MiB PDE (PSE on) has bit 21 and bits 20:(W-19) reserved; nothing else.
//  - PAE: PDPTE Table 4-8; 2 MiB PDE 20:13 (Table 4-9); plus high_reserved_mask.
//  - IA-32e: PML5E/PML4E bit 7 (PS must be 0, Table 4-14/4-15); 1 GiB PDPTE
//    29:13 (Table 4-16), or bit 7 without 1 GiB support; 2 MiB PDE 20:13.
constexpr std::uint64_t reserved_mask(const Format& f, unsigned level, bool ps) {
  switch (f.mode) {
    case Mode::Bits32:
      return (level == 2 && ps && f.pse) ? genmask(21, f.pse36_width() - 19) : 0;
    case Mode::Pae:
      if (level == 3) return pdpte_reserved_mask(f.maxphyaddr);
      return high_reserved_mask(f) | ((level == 2 && ps) ? genmask(20, 13) : 0);
    case Mode::Level4:
    case Mode::Level5: {
      const std::uint64_t hi = high_reserved_mask(f);
      if (level >= 4) return hi | kPS.mask();
      if (level == 3 && ps) return hi | (f.gb_pages ? genmask(29, 13) : kPS.mask());
      if (level == 2 && ps) return hi | genmask(20, 13);
      return hi;
    }
    case Mode::None: break;
  }
  return 0;
}

// ---- predicates ----
template <Domain D> BoolOf<D> is_present(const D& d, WordOf<D> pte) { return bit_test(d, pte, kP.lo); }

// The entry at `level` maps a page: a PTE always; a PDE with PS (32-bit only
// with CR4.PSE, §4.3); an IA-32e PDPTE with PS; never a PAE PDPTE, PML4E or PML5E.
template <Domain D> BoolOf<D> is_leaf(const D& d, const Format& f, unsigned level, WordOf<D> pte) {
  if (level == 1) return d.blit(true);
  if (level == 2 && (f.mode != Mode::Bits32 || f.pse)) return bit_test(d, pte, kPS.lo);
  if (level == 3 && f.long_mode()) return bit_test(d, pte, kPS.lo);
  return d.blit(false);
}

// The reserved bits set in a present `pte` at `level`.
template <Domain D> WordOf<D> reserved_bits(const D& d, const Format& f, WordOf<D> pte, unsigned level) {
  return pte & d.ite(bit_test(d, pte, kPS.lo), d.lit(reserved_mask(f, level, true)),
                     d.lit(reserved_mask(f, level, false)));
}

// ---- addresses ----
template <Domain D> WordOf<D> table_addr(const D& d, const Format& f, WordOf<D> pte) {
  return pte & d.lit(table_addr_mask(f));
}

// The PA a leaf at `level` gives linear address `va`.
template <Domain D> WordOf<D> leaf_pa(const D& d, const Format& f, WordOf<D> pte, WordOf<D> va, unsigned level) {
  const unsigned shift = f.level_shift(level);
  const std::uint64_t off = genmask(shift - 1, 0);
  if (f.mode == Mode::Bits32) {
    if (level == 1) return (pte & d.lit(genmask(31, 12))) | (va & d.lit(off));
    // 4 MiB: PA 31:22 from PDE 31:22, PA (W-1):32 from PDE (W-20):13 (PSE-36).
    return (pte & d.lit(genmask(31, 22))) | d.shl(field_get(d, pte, pse36_field(f)), 32) | (va & d.lit(off));
  }
  return (pte & d.lit(genmask(f.maxphyaddr - 1, shift))) | (va & d.lit(off));
}

// ---- access rights (§4.6) ----
// The walk ANDs a permission word along the path: bit 1 writable (R/W),
// bit 2 user (U/S), bit 0 executable (XD clear, or XD not enabled). A PAE
// PDPTE contributes nothing (it has no R/W, U/S or XD, Table 4-8).
inline constexpr std::uint64_t kPermX = bit(0), kPermW = bit(1), kPermU = bit(2);
inline constexpr std::uint64_t kPermAll = kPermX | kPermW | kPermU;

template <Domain D> WordOf<D> perms_of(const D& d, const Format& f, WordOf<D> pte, unsigned level) {
  if (f.mode == Mode::Pae && level == 3) return d.lit(kPermAll);
  WordOf<D> x = f.xd_enabled() ? d.ite(bit_test(d, pte, kXD.lo), d.lit(0), d.lit(kPermX)) : d.lit(kPermX);
  return (pte & d.lit(kRW.mask() | kUS.mask())) | x;
}

enum class AccessKind : std::uint8_t { Read = 0, Write = 1, Fetch = 2 };

// What the access-rights check needs from the context (paging_context.hpp).
struct Rights {
  bool wp = false;        // CR0.WP
  bool smep = false;      // CR4.SMEP
  bool smap = false;      // CR4.SMAP
  bool ac = false;        // EFLAGS.AC
  bool user = false;      // a user-mode access: CPL = 3 and not an implicit supervisor access
  bool implicit = false;  // an implicit supervisor-mode access (GDT, IDT, ...; §4.6)
};

// The access is denied by the permissions found (§4.6.1):
//  - user mode: needs U/S = 1 everywhere; writes need R/W = 1; fetches need X.
//  - supervisor data access to a user-mode page with SMAP: denied when
//    implicit, or explicit with EFLAGS.AC = 0 (an explicit supervisor access
//    always has CPL < 3 here).
//  - supervisor write: needs R/W = 1 when CR0.WP = 1; any page when WP = 0.
//  - supervisor fetch: needs X; with SMEP never from a user-mode page.
// This mirrors kvm-unit-tests x86/access.c ac_test_permissions (kwritable =
// !WP && !user access; SMEP on a fetch from a user page).
template <Domain D> BoolOf<D> access_denied(const D& d, const Rights& r, AccessKind k, WordOf<D> perms) {
  const BoolOf<D> u = bit_test(d, perms, 2), w = bit_test(d, perms, 1), x = bit_test(d, perms, 0);
  if (r.user) {
    if (k == AccessKind::Read) return !u;
    if (k == AccessKind::Write) return !u || !w;
    return !u || !x;
  }
  if (k == AccessKind::Fetch) return !x || (d.blit(r.smep) && u);
  const BoolOf<D> smap = d.blit(r.smap && (r.implicit || !r.ac)) && u;
  if (k == AccessKind::Read) return smap;
  return smap || (d.blit(r.wp) && !w);
}

// ---- page-fault error code (§4.7) ----
inline constexpr Field kPfP{0, 0};     // 0: a non-present entry; 1: a protection or reserved-bit fault
inline constexpr Field kPfW{1, 1};     // the access was a write
inline constexpr Field kPfU{2, 2};     // the access was a user-mode access
inline constexpr Field kPfRsvd{3, 3};  // a reserved bit was set in some paging-structure entry
inline constexpr Field kPfID{4, 4};    // instruction fetch -- reported only with SMEP, or PAE/IA-32e with NXE

// The error-code bits the access itself contributes: W/R, U/S, and I/D only
// when CR4.SMEP = 1 or (CR4.PAE = 1 and EFER.NXE = 1) (§4.7; access.c clears
// PFERR_FETCH_MASK unless EFER.NX or CR4.SMEP).
constexpr std::uint64_t access_error_bits(const Format& f, const Rights& r, AccessKind k) {
  const bool id = k == AccessKind::Fetch && (r.smep || f.xd_enabled());
  return (k == AccessKind::Write ? kPfW.mask() : 0) | (r.user ? kPfU.mask() : 0) | (id ? kPfID.mask() : 0);
}

// The error code of a fault at paging-structure entry `pte` (level `level`):
// P = the entry was present; RSVD = present with a reserved bit (a reserved
// bit is only checked in a present entry, §4.7 -- so RSVD implies P).
template <Domain D>
WordOf<D> entry_error_code(const D& d, const Format& f, const Rights& r, AccessKind k, WordOf<D> pte, unsigned level) {
  const BoolOf<D> p = is_present(d, pte);
  const BoolOf<D> rsvd = p && reserved_bits(d, f, pte, level) != d.lit(0);
  return d.lit(access_error_bits(f, r, k)) | d.ite(p, d.lit(kPfP.mask()), d.lit(0)) |
         d.ite(rsvd, d.lit(kPfRsvd.mask()), d.lit(0));
}

// The error code of an access-rights fault at the leaf: P = 1, no RSVD.
template <Domain D> WordOf<D> protection_error_code(const D& d, const Format& f, const Rights& r, AccessKind k) {
  return d.lit(access_error_bits(f, r, k) | kPfP.mask());
}

// ---- A/D updates (§4.8) ----
// A completed translation sets A in every entry it used and D in the leaf of
// a write; nothing else changes. (PAE PDPTEs have no A bit; the walk never
// updates them.)
template <Domain D> WordOf<D> ad_update(const D& d, WordOf<D> pte, bool leaf, AccessKind k) {
  return pte | d.lit(kA.mask() | (leaf && k == AccessKind::Write ? kD.mask() : 0));
}

// ---- encoders ----
// Attributes as values (0/1 each), placed by the encoders.
template <Domain D> struct EntryAttrs {
  WordOf<D> rw, us, pwt, pcd, g, xd, avl;  // avl: bits 11:9 (0..7)
};

// A table link at `level` (not a PAE PDPTE; see make_pdpte) to the table at
// `pa`: P, R/W, U/S, PWT, PCD, bits 11:9, XD only when enabled; never PS, A,
// or an address bit at or above MAXPHYADDR (or 32 for 32-bit paging).
template <Domain D> WordOf<D> make_table(const D& d, const Format& f, WordOf<D> pa, const EntryAttrs<D>& a) {
  const std::uint64_t xd = f.xd_enabled() ? kXD.mask() : 0;
  return (pa & d.lit(table_addr_mask(f))) | d.lit(kP.mask()) | field_prep(d, a.rw, kRW) | field_prep(d, a.us, kUS) |
         field_prep(d, a.pwt, kPWT) | field_prep(d, a.pcd, kPCD) | field_prep(d, a.avl, kIgnored) |
         (field_prep(d, a.xd, kXD) & d.lit(xd));
}

// A leaf at `level` (1; 2; 3 in IA-32e) mapping `pa` (aligned down to the
// page): PS at levels 2/3, G, no A/D, no reserved bit (address masked to the
// page and MAXPHYADDR; 32-bit 4 MiB pages put PA bits W-1:32 in 20:13).
template <Domain D>
WordOf<D> make_leaf(const D& d, const Format& f, unsigned level, WordOf<D> pa, const EntryAttrs<D>& a) {
  const std::uint64_t xd = f.xd_enabled() ? kXD.mask() : 0;
  const std::uint64_t ps = level >= 2 ? kPS.mask() : 0;
  WordOf<D> addr = d.lit(0);
  if (f.mode == Mode::Bits32)
    addr = level == 1 ? (pa & d.lit(genmask(31, 12)))
                      : (pa & d.lit(genmask(31, 22))) | field_prep(d, d.lshr(pa, 32), pse36_field(f));
  else
    addr = pa & d.lit(genmask(f.maxphyaddr - 1, f.level_shift(level)));
  return addr | d.lit(kP.mask() | ps) | field_prep(d, a.rw, kRW) | field_prep(d, a.us, kUS) |
         field_prep(d, a.pwt, kPWT) | field_prep(d, a.pcd, kPCD) | field_prep(d, a.g, kG) |
         field_prep(d, a.avl, kIgnored) | (field_prep(d, a.xd, kXD) & d.lit(xd));
}

// A present PAE PDPTE (Table 4-8) for the page directory at `pa`: P, PWT,
// PCD, bits 11:9 and the address; nothing in 2:1, 8:5 or 63:M.
template <Domain D>
WordOf<D> make_pdpte(const D& d, unsigned maxphyaddr, WordOf<D> pa, WordOf<D> pwt, WordOf<D> pcd, WordOf<D> avl) {
  return (pa & d.lit(genmask(maxphyaddr - 1, 12))) | d.lit(kP.mask()) | field_prep(d, pwt, kPWT) |
         field_prep(d, pcd, kPCD) | field_prep(d, avl, kIgnored);
}

// ---- walk step ----
template <Domain D> WordOf<D> table_index(const D& d, const Format& f, WordOf<D> va, unsigned level) {
  return d.lshr(va, f.level_shift(level)) & d.lit(genmask(f.index_bits(level) - 1, 0));
}
template <Domain D> WordOf<D> entry_address(const D& d, const Format& f, WordOf<D> table, WordOf<D> va, unsigned level) {
  return table + d.shl(table_index(d, f, va, level), f.mode == Mode::Bits32 ? 2 : 3);
}

// ---- CR3 and the PAE PDPT (§4.4.1, seed 002) ----
// In PAE paging CR3 bits 31:5 hold the PDPT's address: it is always below 4 GiB.
template <Domain D> WordOf<D> pae_pdpt_base(const D& d, WordOf<D> cr3) { return cr3 & d.lit(genmask(31, 5)); }
// PDPTE i (0..3) is the 8 bytes at (CR3 & ~0x1F) + 8 * i (bits 31:5 only).
template <Domain D> WordOf<D> pdpte_address(const D& d, WordOf<D> cr3, unsigned i) {
  return pae_pdpt_base(d, cr3) + d.lit(8 * std::uint64_t{i});
}
// A PDPTE fails the load-time check (Intel MOV CR3 / VM entry, §4.4.1) or
// the on-use check (AMD NPT guest mode, seed 002 quoting the APM) exactly
// when it is present with a reserved bit; a non-present PDPTE's bits 63:1
// are ignored (seed 002, SDM footnote quoted by Sean Christopherson).
template <Domain D> BoolOf<D> pdpte_invalid(const D& d, unsigned maxphyaddr, WordOf<D> pdpte) {
  return is_present(d, pdpte) && (pdpte & d.lit(pdpte_reserved_mask(maxphyaddr))) != d.lit(0);
}

}  // namespace ptspec::x86::paging
