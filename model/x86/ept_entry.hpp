// Intel EPT paging-structure entry layout and the entry-level rules of the
// hardware walk, written once over a Domain so the model and the solver run
// the same code (DESIGN.md "One definition, two domains").
//
// Sources: ../shared/reference/x86-ept-spp.md; Intel SDM Vol. 3C "VMX
// support for address translation", EPT section (§28.2 in the 2016-2022
// editions, §29.3 in later ones): the EPT translation mechanism and the
// entry-format tables for PML5E/PML4E/PDPTE/PDE/PTE, "EPT misconfigurations",
// "EPT violations", "Accessed and dirty flags for EPT"; the EPTP format in
// the VMCS chapter ("Extended-page-table pointer"); the table "Exit
// qualification for EPT violations" in the VM-exits chapter (Table 27-7 /
// 28-7 by edition). KVM's __reset_rsvds_bits_mask_ept is summarised in the
// reference (reserved bits per level). Section numbers below use the later
// editions.
//
// Levels: 1 = PTE, 2 = PDE, 3 = PDPTE, 4 = PML4E, 5 = PML5E (ept_geometry.hpp).
#pragma once

#include <cstdint>

#include "model/core/bits.hpp"
#include "model/core/domain.hpp"
#include "model/core/memory.hpp"
#include "model/x86/ept_geometry.hpp"

namespace ptspec::x86::ept {

// ---- entry fields (SDM Vol. 3C Tables 29-1..29-6) ----
inline constexpr Field kR{0, 0};            // read access
inline constexpr Field kW{1, 1};            // write access
inline constexpr Field kX{2, 2};            // execute (supervisor-mode execute with MBEC)
inline constexpr Field kXwr{2, 0};          // bits 2:0 as one value (X<<2 | W<<1 | R)
inline constexpr Field kMemType{5, 3};      // EPT memory type (leaf only)
inline constexpr Field kIgnorePat{6, 6};    // ignore PAT memory type (leaf only)
inline constexpr Field kPageSize{7, 7};     // 1: PDPTE/PDE maps a 1G/2M page
inline constexpr Field kAccessed{8, 8};     // A (only when EPTP bit 6 enables A/D)
inline constexpr Field kDirty{9, 9};        // D (leaf; only when A/D enabled)
inline constexpr Field kUserExec{10, 10};   // user-mode execute (mode-based execute control)
inline constexpr Field kSpp{61, 61};        // sub-page write permissions (4K leaf)
inline constexpr Field kSuppressVe{63, 63}; // suppress #VE (leaf)
inline constexpr unsigned kAddrTop = 51;    // address fields end at bit 51

// EPT memory types (SDM Vol. 3C "EPT and memory typing": 0 UC, 1 WC, 4 WT,
// 5 WP, 6 WB; 2, 3 and 7 are reserved and misconfigure a leaf).
inline constexpr std::uint64_t kMtUc = 0, kMtWc = 1, kMtWt = 4, kMtWp = 5, kMtWb = 6;

// Permission bits an entry contributes to the AND along the path.
constexpr std::uint64_t perm_mask(const EptConfig& cfg) {
  return kXwr.mask() | (cfg.mbec ? kUserExec.mask() : 0);
}

// Physical-address field of a table entry: bits MAXPHYADDR-1:12.
constexpr Field addr_field(const EptConfig& cfg) { return Field{cfg.maxphyaddr - 1, kPageShift}; }
// Output-address field of a leaf at `level`: MAXPHYADDR-1:12 / :21 / :30.
constexpr Field leaf_addr_field(const EptConfig& cfg, unsigned level) {
  return Field{cfg.maxphyaddr - 1, EptConfig::level_shift(level)};
}
// Address bits at or above MAXPHYADDR (up to 51) are reserved.
constexpr std::uint64_t high_reserved_mask(const EptConfig& cfg) {
  return cfg.maxphyaddr > kAddrTop ? 0 : genmask(kAddrTop, cfg.maxphyaddr);
}

// Reserved bits of a present entry at `level`; `large` = bit 7 set
// (reference: PML5E/PML4E 7:3; non-leaf PDPTE/PDE 6:3; 1G leaf 29:12; 2M leaf
// 20:12; bit 7 of a PDPTE when 1G pages are not supported; PTE only the high
// address bits -- bit 7 of a PTE is ignored).
constexpr std::uint64_t reserved_mask(const EptConfig& cfg, unsigned level, bool large) {
  const std::uint64_t hi = high_reserved_mask(cfg);
  switch (level) {
    case 1: return hi;
    case 2: return hi | (large ? genmask(20, 12) : genmask(6, 3));
    case 3:
      if (!large) return hi | genmask(6, 3);
      return hi | (cfg.gb_pages_supported ? genmask(29, 12) : kPageSize.mask());
    default: return hi | genmask(7, 3);
  }
}

// ---- predicates ----
// Present iff R|W|X, or user-execute with MBEC (SDM §29.3.2).
template <Domain D> BoolOf<D> is_present(const D& d, const EptConfig& cfg, WordOf<D> pte) {
  return (pte & d.lit(perm_mask(cfg))) != d.lit(0);
}

template <Domain D> BoolOf<D> page_size_bit(const D& d, WordOf<D> pte) {
  return (pte & d.lit(kPageSize.mask())) != d.lit(0);
}

// The entry at `level` maps a page (rather than pointing to a table): always
// at level 1, bit 7 at levels 2 and 3, never at 4 and 5 (bit 7 reserved there).
template <Domain D> BoolOf<D> is_leaf(const D& d, unsigned level, WordOf<D> pte) {
  if (level == 1) return d.blit(true);
  if (level == 2 || level == 3) return page_size_bit(d, pte);
  return d.blit(false);
}

// The reserved bits set in `pte` at `level` (bit 7 picks the leaf or table mask).
template <Domain D> WordOf<D> reserved_bits(const D& d, const EptConfig& cfg, WordOf<D> pte, unsigned level) {
  WordOf<D> mask = d.ite(page_size_bit(d, pte), d.lit(reserved_mask(cfg, level, true)),
                         d.lit(reserved_mask(cfg, level, false)));
  return pte & mask;
}

// ---- misconfiguration (SDM Vol. 3C §29.3.3.1) ----
enum class Misconfig : std::uint8_t {
  None = 0,
  WriteWithoutRead = 1,   // XWR = x10: bit 1 set, bit 0 clear
  ExecOnly = 2,           // R = 0 with X (or user-X under MBEC) and no execute-only support
  ReservedBit = 3,        // a reserved bit set in a present entry
  MemoryType = 4,         // leaf memory type 2, 3 or 7
};

template <Domain D> BoolOf<D> write_without_read(const D& d, WordOf<D> pte) {
  return (pte & d.lit(kXwr.mask() & ~kX.mask())) == d.lit(kW.mask());
}

// The SDM rule names XWR = 100. Under MBEC this model also treats R = 0 with
// only bit 10 set (user-execute-only) as execute-only; that extension is our
// reading, not SDM text we could source (the reference only says bit 10
// counts for "present").
template <Domain D> BoolOf<D> exec_only_unsupported(const D& d, const EptConfig& cfg, WordOf<D> pte) {
  if (cfg.exec_only_supported) return d.blit(false);
  const std::uint64_t xs = kX.mask() | (cfg.mbec ? kUserExec.mask() : 0);
  return (pte & d.lit(kR.mask())) == d.lit(0) && (pte & d.lit(xs)) != d.lit(0);
}

template <Domain D> BoolOf<D> bad_memory_type(const D& d, unsigned level, WordOf<D> pte) {
  WordOf<D> mt = field_get(d, pte, kMemType);
  return is_leaf(d, level, pte) && (mt == d.lit(2) || mt == d.lit(3) || mt == d.lit(7));
}

// The misconfiguration rule a present entry breaks (as a Misconfig value),
// checked in a fixed order: XWR, reserved bits, memory type. 0 if none. For a
// non-present entry the result is meaningless (the walk reports a violation).
template <Domain D> WordOf<D> misconfig(const D& d, const EptConfig& cfg, WordOf<D> pte, unsigned level) {
  auto code = [&](Misconfig m) { return d.lit(static_cast<std::uint64_t>(m)); };
  return d.ite(write_without_read(d, pte), code(Misconfig::WriteWithoutRead),
               d.ite(exec_only_unsupported(d, cfg, pte), code(Misconfig::ExecOnly),
                     d.ite(reserved_bits(d, cfg, pte, level) != d.lit(0), code(Misconfig::ReservedBit),
                           d.ite(bad_memory_type(d, level, pte), code(Misconfig::MemoryType), code(Misconfig::None)))));
}

template <Domain D> BoolOf<D> is_misconfigured(const D& d, const EptConfig& cfg, WordOf<D> pte, unsigned level) {
  return is_present(d, cfg, pte) && misconfig(d, cfg, pte, level) != d.lit(0);
}

// ---- encoders ----
// Leaf attributes as values (each placed in its field by make_leaf).
template <Domain D> struct LeafAttrs {
  WordOf<D> xwr;      // bits 2:0
  WordOf<D> ux;       // bit 10 (0/1; only meaningful with MBEC)
  WordOf<D> memtype;  // bits 5:3
  WordOf<D> ipat;     // bit 6 (0/1)
  WordOf<D> spp;      // bit 61 (0/1)
  WordOf<D> sve;      // bit 63 (0/1)
};

// A leaf at `level` (1, 2 or 3) mapping `pa` (aligned down to the page):
// bit 7 set at levels 2/3, no A/D, never a reserved bit (the address is
// masked to MAXPHYADDR and the page size).
template <Domain D>
WordOf<D> make_leaf(const D& d, const EptConfig& cfg, unsigned level, WordOf<D> pa, const LeafAttrs<D>& a) {
  const std::uint64_t ps = level >= 2 ? kPageSize.mask() : 0;
  const std::uint64_t ux = cfg.mbec ? kUserExec.mask() : 0;
  return (pa & d.lit(leaf_addr_field(cfg, level).mask())) | field_prep(d, a.xwr, kXwr) |
         (field_prep(d, a.ux, kUserExec) & d.lit(ux)) | field_prep(d, a.memtype, kMemType) |
         field_prep(d, a.ipat, kIgnorePat) | field_prep(d, a.spp, kSpp) | field_prep(d, a.sve, kSuppressVe) |
         d.lit(ps);
}

// A non-leaf entry pointing to the table at `table_pa` with the given
// permissions (KVM links tables with full permissions: RWX, plus user-X under MBEC).
template <Domain D>
WordOf<D> make_table(const D& d, const EptConfig& cfg, WordOf<D> table_pa, WordOf<D> xwr, WordOf<D> ux) {
  const std::uint64_t uxm = cfg.mbec ? kUserExec.mask() : 0;
  return (table_pa & d.lit(addr_field(cfg).mask())) | field_prep(d, xwr, kXwr) |
         (field_prep(d, ux, kUserExec) & d.lit(uxm));
}

// ---- addresses ----
template <Domain D> WordOf<D> table_addr(const D& d, const EptConfig& cfg, WordOf<D> pte) {
  return pte & d.lit(addr_field(cfg).mask());
}
// The HPA a leaf at `level` gives `gpa`.
template <Domain D> WordOf<D> leaf_hpa(const D& d, const EptConfig& cfg, WordOf<D> pte, WordOf<D> gpa, unsigned level) {
  const std::uint64_t off = EptConfig::entry_size(level) - 1;
  return (pte & d.lit(leaf_addr_field(cfg, level).mask())) | (gpa & d.lit(off));
}

// ---- permissions and the access check ----
enum class Access : std::uint8_t { Read = 0, Write = 1, ExecSupervisor = 2, ExecUser = 3 };

// The permission bit an access needs: R, W, X; user-mode fetches need bit 10
// under MBEC and bit 2 otherwise (SDM §29.3.3.2).
constexpr std::uint64_t required_perm(const EptConfig& cfg, Access a) {
  switch (a) {
    case Access::Read: return kR.mask();
    case Access::Write: return kW.mask();
    case Access::ExecSupervisor: return kX.mask();
    case Access::ExecUser: return cfg.mbec ? kUserExec.mask() : kX.mask();
  }
  return 0;
}

// The permissions an entry contributes (bits kept in place); the walk ANDs
// these along the path.
template <Domain D> WordOf<D> perms_of(const D& d, const EptConfig& cfg, WordOf<D> pte) {
  return pte & d.lit(perm_mask(cfg));
}

template <Domain D> BoolOf<D> access_allowed(const D& d, const EptConfig& cfg, WordOf<D> perms, Access a) {
  return (perms & d.lit(required_perm(cfg, a))) != d.lit(0);
}

// ---- EPT-violation exit qualification (SDM Vol. 3C Table 28-7, "Exit
// Qualification for EPT Violations"; bits 9-16 -- advanced VM-exit
// information, NMI unblocking, shadow stacks, asynchronous -- not modelled) ----
inline constexpr Field kQualRead{0, 0};          // the access was a data read
inline constexpr Field kQualWrite{1, 1};         // the access was a data write
inline constexpr Field kQualFetch{2, 2};         // the access was an instruction fetch
inline constexpr Field kQualReadable{3, 3};      // AND of bit 0 along the path
inline constexpr Field kQualWritable{4, 4};      // AND of bit 1
inline constexpr Field kQualExecutable{5, 5};    // AND of bit 2 (supervisor-mode executable with MBEC)
inline constexpr Field kQualUserExec{6, 6};      // AND of bit 10 (MBEC only; undefined otherwise, modelled 0)
inline constexpr Field kQualLinearValid{7, 7};   // a guest linear address is in the VMCS
inline constexpr Field kQualFinalXlate{8, 8};    // (bit 7 = 1) the access was to the translated linear
                                                 // address, not to a guest paging-structure entry

// The qualification for a violation by access `a`, given the permissions
// found (the AND of the entries walked, kept in entry positions).
template <Domain D>
WordOf<D> exit_qualification(const D& d, const EptConfig& cfg, Access a, WordOf<D> perms, bool linear_valid,
                             bool final_translation) {
  const std::uint64_t kind = a == Access::Read ? kQualRead.mask()
                             : a == Access::Write ? kQualWrite.mask()
                                                  : kQualFetch.mask();
  WordOf<D> found = d.shl(perms & d.lit(kXwr.mask()), kQualReadable.lo);
  if (cfg.mbec) found = found | d.lshr(perms & d.lit(kUserExec.mask()), kUserExec.lo - kQualUserExec.lo);
  const std::uint64_t lin =
      linear_valid ? kQualLinearValid.mask() | (final_translation ? kQualFinalXlate.mask() : 0) : 0;
  return d.lit(kind | lin) | found;
}

// ---- A/D updates (SDM Vol. 3C §29.3.5) ----
// What the walk writes back into an entry it used: A always, D on the leaf
// of a write; nothing when A/D is disabled.
template <Domain D>
WordOf<D> ad_update(const D& d, const EptConfig& cfg, WordOf<D> pte, bool leaf, Access a) {
  if (!cfg.ad_enabled) return pte;
  const std::uint64_t set = kAccessed.mask() | (leaf && a == Access::Write ? kDirty.mask() : 0);
  return pte | d.lit(set);
}

// ---- EPTP (SDM Vol. 3C §25.6.11) ----
inline constexpr Field kEptpMemType{2, 0};     // paging-structure memory type: 0 UC or 6 WB
inline constexpr Field kEptpWalkLen{5, 3};     // walk length - 1 (3: 4-level, 4: 5-level)
inline constexpr Field kEptpAd{6, 6};          // enable A/D flags
inline constexpr Field kEptpSss{7, 7};         // supervisor shadow-stack control (not modelled)
inline constexpr Field kEptpReservedLo{11, 8};

template <Domain D>
WordOf<D> make_eptp(const D& d, const EptConfig& cfg, WordOf<D> root_pa, WordOf<D> memtype) {
  return (root_pa & d.lit(addr_field(cfg).mask())) | field_prep(d, memtype, kEptpMemType) |
         d.lit(fprep(cfg.levels - 1, kEptpWalkLen) | (cfg.ad_enabled ? kEptpAd.mask() : 0));
}

template <Domain D> WordOf<D> eptp_root(const D& d, const EptConfig& cfg, WordOf<D> eptp) {
  return eptp & d.lit(addr_field(cfg).mask());
}

// The VM-entry checks on the EPTP (SDM Vol. 3C §27.2.1.1 "VM-execution
// control fields"): memory type UC or WB; walk length 4 or 5 (here: the
// configured one); A/D enable only as configured; bits 11:8 and 63:MAXPHYADDR zero.
template <Domain D> BoolOf<D> eptp_valid(const D& d, const EptConfig& cfg, WordOf<D> eptp) {
  WordOf<D> mt = field_get(d, eptp, kEptpMemType);
  const std::uint64_t rsvd = kEptpReservedLo.mask() | genmask(63, cfg.maxphyaddr);
  return (mt == d.lit(kMtUc) || mt == d.lit(kMtWb)) &&
         field_get(d, eptp, kEptpWalkLen) == d.lit(cfg.levels - 1) &&
         field_get(d, eptp, kEptpAd) == d.lit(cfg.ad_enabled ? 1 : 0) && (eptp & d.lit(rsvd)) == d.lit(0);
}

// ---- walk step ----
template <Domain D> WordOf<D> table_index(const D& d, WordOf<D> gpa, unsigned level) {
  return d.lshr(gpa, EptConfig::level_shift(level)) & d.lit(genmask(kLevelBits - 1, 0));
}

// Address of the entry for `gpa` in the table at `table_pa`.
template <Domain D> WordOf<D> entry_address(const D& d, WordOf<D> table_pa, WordOf<D> gpa, unsigned level) {
  return table_pa + d.shl(table_index(d, gpa, level), 3);
}

// One step of the walk: the entry for `gpa` in the table at `table_pa`, read
// from `mem` (PhysMem/WalkMem with Concrete, a Z3 array with Symbolic).
template <Domain D, class M>
  requires MemoryFor<M, D>
WordOf<D> walk_step(const D& d, const M& mem, const WordOf<D>& table_pa, const WordOf<D>& gpa, unsigned level) {
  return mem_load(d, mem, entry_address(d, table_pa, gpa, level));
}

}  // namespace ptspec::x86::ept
