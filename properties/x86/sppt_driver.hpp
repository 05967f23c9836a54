// The x86.sppt format driver: op table, config check, session factory and
// decoder for KVM's sub-page write protection (seeds 000, 001).
#pragma once

#include <string>

#include "model/x86/ept_geometry.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {

const Driver& sppt_driver();

// The EPT configuration a case's "config" describes. Fields: levels (4 | 5,
// default 4), maxphyaddr (36..52, default 46), mbec, ad_enabled,
// exec_only_supported, gb_pages_supported (booleans; defaults false, false,
// true, true). Throws InputError "<where>: config.<field>: ...".
x86::EptConfig sppt_config_from_json(const Json& config, const std::string& where);

}  // namespace ptspec::props
