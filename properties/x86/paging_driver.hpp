// The x86.paging format driver: op table, config check, session factory and
// decoder for a guest's own x86 page tables (issue 4; reference
// x86-paging-shadow.md; seed 002).
#pragma once

#include <string>

#include "model/x86/paging_context.hpp"
#include "model/x86/paging_pdpte.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {

const Driver& paging_driver();

// A case's "config": the vendor and the initial paging context.
struct PagingConfig {
  x86::Vendor vendor = x86::Vendor::Intel;
  x86::PagingContext ctx;
};

// Fields: vendor ("intel" | "amd", default intel), maxphyaddr (36..52,
// default 46), gb_pages, cr0_pg, cr0_wp, cr4_pae, cr4_pse, cr4_smep,
// cr4_smap, cr4_la57, efer_nxe, efer_lma, eflags_ac (booleans), cpl (0..3);
// or "mode" ("32-bit", "pae", "4-level", "5-level", "none") instead of
// cr0_pg/cr4_pae/efer_lma/cr4_la57 (the short form `ptspec decode` uses).
// Throws InputError "<where>: config.<field>: ..." naming the field.
PagingConfig paging_config_from_json(const Json& config, const std::string& where);

}  // namespace ptspec::props
