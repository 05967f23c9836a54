// The x86.ept format driver: op table, config check, session factory and
// decoder for Intel EPT as KVM's TDP MMU builds it (reference/x86-ept-spp.md,
// seeds 000/001).
#pragma once

#include <string>

#include "model/x86/ept_geometry.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {

const Driver& ept_driver();

// The EptConfig a case's "config" object describes. Fields: levels (4 | 5,
// default 4), maxphyaddr (36..52, default 46), ad (bool, default false),
// exec_only (default true), gb_pages (default true), mbec (default false).
// Throws InputError "<where>: config.<field>: ...".
x86::EptConfig ept_config_from_json(const Json& config, const std::string& where);

}  // namespace ptspec::props
