// The x86.shadow format driver: op table, config check, session factory and
// decoder for KVM's shadow MMU (model/x86/shadow_mmu.hpp; seed 002).
#pragma once

#include <string>

#include "properties/driver.hpp"
#include "properties/x86/shadow_session.hpp"

namespace ptspec::props {

const Driver& shadow_driver();

// Fields: maxphyaddr (36..52, default 46), c_bit (0 or a PA bit, default 0),
// kind ("shadow" | "npt", default shadow), tdp_level (3..5, default 4; npt
// only), vendor ("intel" | "amd", default intel; npt reads PDPTEs as AMD),
// slot_gfn, slot_pages, slot_pfn (one memslot; default gfn 0x40000, 0x400
// pages, pfn 0x200000). Throws InputError "<where>: config.<field>: ...".
ShadowSessionConfig shadow_config_from_json(const Json& config, const std::string& where);

}  // namespace ptspec::props
