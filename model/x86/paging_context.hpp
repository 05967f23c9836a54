// The guest paging context (control registers, EFER, EFLAGS.AC, CPL,
// MAXPHYADDR) and the access being translated; the paging mode and the
// entry Format they select.
//
// Sources: Intel SDM Vol. 3A §4.1.1 "Four paging modes" (Table 4-1: CR0.PG,
// CR4.PAE, EFER.LME/LMA, CR4.LA57 select none / 32-bit / PAE / 4-level /
// 5-level), §4.1.3 (CR0.WP, CR4.PSE/SMEP/SMAP, EFER.NXE, EFLAGS.AC), §4.6
// (user-mode vs supervisor-mode and implicit supervisor accesses).
#pragma once

#include <cstdint>

#include "model/x86/paging_entry.hpp"

namespace ptspec::x86 {

struct PagingContext {
  bool cr0_pg = true;
  bool cr0_wp = false;
  bool cr4_pae = false;
  bool cr4_pse = false;
  bool cr4_smep = false;
  bool cr4_smap = false;
  bool cr4_la57 = false;
  bool efer_nxe = false;
  bool efer_lma = false;
  bool eflags_ac = false;
  unsigned cpl = 0;          // 0..3
  unsigned maxphyaddr = 46;  // 36..52
  bool gb_pages = true;      // 1 GiB pages supported (CPUID.80000001H:EDX[26])
};

struct PagingAccess {
  paging::AccessKind kind = paging::AccessKind::Read;
  // An implicit supervisor-mode access (descriptor tables, ...): supervisor
  // even at CPL 3, and SMAP applies regardless of EFLAGS.AC (§4.6). Never a fetch.
  bool implicit = false;
};

// The paging mode (Table 4-1). Throws InputError for a combination the
// processor cannot be in: EFER.LMA without CR0.PG or without CR4.PAE
// (IA-32e mode requires PAE paging, §4.1.1/§9.8.5), CPL > 3, MAXPHYADDR
// outside 36..52.
paging::Mode paging_mode(const PagingContext& ctx);
// The entry format of the context's mode (mode None: throws InputError).
paging::Format format_of(const PagingContext& ctx);
// The access-rights inputs of `acc` in `ctx` (throws InputError for an
// implicit fetch).
paging::Rights rights_of(const PagingContext& ctx, const PagingAccess& acc);
const char* access_kind_name(paging::AccessKind k);

}  // namespace ptspec::x86
