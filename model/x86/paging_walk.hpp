// The hardware walk of one guest linear address through the guest's paging
// structures (Intel SDM Vol. 3A §4.3-§4.5 translation, §4.6 access rights,
// §4.7 page-fault error code, §4.8 A/D flags), built from the entry
// templates of paging_entry.hpp; each level reads through
// paging::entry_address, the step the solver proves about.
//
// Outcomes, in the order the hardware meets them:
//  - a non-canonical address (IA-32e): #GP, no walk (§4.5.1 / §3.3.7.1);
//  - an entry that is not present: #PF with P = 0;
//  - a present entry with a reserved bit: #PF with P = 1 and RSVD = 1;
//  - the leaf reached, but the rights ANDed along the path deny the access: #PF with P = 1;
//  - otherwise a translation.
// The error code's W/R and U/S bits describe the access, and I/D is set on a
// fetch only with CR4.SMEP or (PAE/IA-32e with EFER.NXE) (§4.7) -- the rules
// of kvm-unit-tests x86/access.c ac_emulate_access, rewritten here.
//
// A/D (§4.8): a completed translation sets A in every entry it used (not in
// a PAE PDPTE, which has no A bit) and D in the leaf of a write. The SDM lets
// a processor set A in entries of a walk that then faults, and access.c
// accepts either for the PDE (ignore_pde); this model takes the deterministic
// choice of writing nothing on a fault, which access.c requires for the PTE.
// The walk returns the writes; apply_paging_ad_writes performs them.
//
// PAE: on Intel the PDPTE comes from the PDPTE registers (paging_pdpte.hpp),
// not from memory; on AMD (NPT guest mode) it is read at (CR3 & ~0x1F) + 8i
// and checked on use, a reserved bit giving #PF with RSVD.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/core/physmem.hpp"
#include "model/x86/paging_context.hpp"
#include "model/x86/paging_entry.hpp"
#include "model/x86/paging_pdpte.hpp"

namespace ptspec::x86 {

enum class PagingOutcome : std::uint8_t { Translation, PageFault, GeneralProtection, Unbacked };
const char* paging_outcome_name(PagingOutcome o);

// One A/D update: the entry at `pa` (level `level`, `bytes` wide) old -> new.
struct PagingAdWrite {
  std::uint64_t pa;
  unsigned level;
  unsigned bytes;
  std::uint64_t old_value;
  std::uint64_t new_value;
};

struct PagingWalkResult {
  PagingOutcome outcome = PagingOutcome::PageFault;
  paging::Mode mode = paging::Mode::None;
  std::uint64_t va = 0;
  unsigned level = 0;            // the leaf's level, or the faulting entry's
  std::uint64_t entry = 0;       // that entry
  std::uint64_t entry_pa = 0;    // its address (a PDPTE register: its memory address)
  bool from_pdpte_register = false;  // the faulting/leaf-path PDPTE came from Intel's registers
  std::uint64_t perms = paging::kPermAll;  // rights ANDed along the path (kPermX/W/U)
  // Translation only.
  std::uint64_t pa = 0;
  std::uint64_t size = 0;        // 4K, 2M, 4M or 1G
  std::vector<PagingAdWrite> ad_writes;
  // Page fault only.
  std::uint64_t error_code = 0;
  std::uint64_t reserved_bits = 0;  // the reserved bits set (an RSVD fault)
  // Every entry used, top level first.
  std::array<std::uint64_t, 5> entries{};
  unsigned depth = 0;
  std::string why;

  bool writable() const { return perms & paging::kPermW; }
  bool user() const { return perms & paging::kPermU; }
  bool executable() const { return perms & paging::kPermX; }
};

// Walks `va` for `acc` in `ctx` from `cr3` over guest-physical memory `mem`.
// PAE on Intel needs `pdptes` loaded (intel_load_pdptes); AMD ignores it.
// Throws InputError for an impossible context (paging_mode), a CR3 with bits
// at or above MAXPHYADDR (32 in 32-bit/PAE paging), `va` beyond 32 bits in
// 32-bit/PAE paging, an Intel PAE walk without loaded PDPTE registers, or
// registers holding a PDPTE the load would have refused.
PagingWalkResult paging_walk(const PagingContext& ctx, const PhysMem& mem, std::uint64_t cr3, std::uint64_t va,
                             PagingAccess acc, Vendor vendor = Vendor::Intel, const PdpteFile* pdptes = nullptr);

// Performs the walk's A/D writes (4-byte entries keep the other half of their
// 64-bit word), logging a Write event for each when `mem` has a log.
void apply_paging_ad_writes(PhysMem& mem, const PagingWalkResult& r);

// Reads the `bytes`-wide (4 or 8) entry at `pa`; throws std::logic_error if unbacked.
std::uint64_t read_paging_entry(const PhysMem& mem, std::uint64_t pa, unsigned bytes);
// Writes it (journaled, no event).
void write_paging_entry(PhysMem& mem, std::uint64_t pa, unsigned bytes, std::uint64_t value);

}  // namespace ptspec::x86
