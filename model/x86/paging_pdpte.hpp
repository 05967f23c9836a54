// PAE PDPTE loading -- a separate step from the walk, with both vendors'
// rules (reference x86-paging-shadow.md "PAE PDPTE"; seed 002).
//
//  - PDPTE i is the 8 bytes at (CR3 & ~0x1F) + 8 * i, CR3 bits 31:5 (§4.4.1).
//  - Intel: the four PDPTEs are loaded into PDPTE registers on MOV to CR3 in
//    PAE mode and on MOV to CR0/CR4 that changes paging bits (§4.4.1). A
//    present PDPTE with a reserved bit (Table 4-8: 2:1, 8:5, 63:M) makes the
//    instruction #GP(0) and NOTHING is loaded. A VM entry that checks the
//    PDPTEs uses the same check and fails the entry instead (SDM §26.3.1.6,
//    quoted in seed 002). Not-present PDPTEs are fine: their bits 63:1 are
//    ignored (seed 002: Sean Christopherson's correction of the patch, which
//    had claimed PDPTEs must be present at VM entry).
//  - AMD NPT in guest mode: the PDPTEs are not cached or checked at CR3 load;
//    the walk reads and checks them on use like any other entry, and a
//    reserved bit is a #PF with RSVD, not a #GP (seed 002 quoting the APM).
//    paging_walk.cpp does that when the vendor is Amd.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "model/core/physmem.hpp"
#include "model/x86/paging_context.hpp"

namespace ptspec::x86 {

enum class Vendor : std::uint8_t { Intel, Amd };
const char* vendor_name(Vendor v);

// Intel's PDPTE registers (PDPTE0..3).
struct PdpteFile {
  std::array<std::uint64_t, 4> e{};
  bool loaded = false;
};

enum class PdpteLoadOutcome : std::uint8_t { Loaded, GeneralProtection, VmEntryFailure, Unbacked };
const char* pdpte_load_outcome_name(PdpteLoadOutcome o);

struct PdpteLoadResult {
  PdpteLoadOutcome outcome = PdpteLoadOutcome::Loaded;
  PdpteFile regs;                   // loaded only when outcome == Loaded
  std::array<std::uint64_t, 4> read{};  // the four values read
  int bad_index = -1;               // the first PDPTE that failed the check
  std::uint64_t reserved_bits = 0;  // its reserved bits set
  std::string why;
};

// Intel MOV to CR3 (or CR0/CR4) in PAE mode: reads the four PDPTEs from
// `mem` and checks them. Throws InputError when `ctx` is not in PAE mode or
// `cr3` has bits above 31 set (CR3 is 32 bits in PAE paging).
PdpteLoadResult intel_load_pdptes(const PagingContext& ctx, const PhysMem& mem, std::uint64_t cr3);
// VM entry with EPT: the guest-PDPTE fields of the VMCS get the same check;
// a failure is a VM-entry failure (nothing loaded).
PdpteLoadResult vmentry_check_pdptes(const PagingContext& ctx, const std::array<std::uint64_t, 4>& guest_pdptes);

// The checks shared by every path: the PDPT base (bits 31:5) and PDPTE i's address.
std::uint64_t pdpte_pa(std::uint64_t cr3, unsigned i);

}  // namespace ptspec::x86
