// The x86.tdx format driver: op table, config check, session factory,
// variants and decoder for a TD -- KVM's private-page hooks over the TDX
// module's Secure EPT, TLB epochs across vCPUs, the shared EPT (seed 004,
// ../shared/reference/x86-tdx-sept.md).
#pragma once

#include <string>

#include "model/x86/tdx_config.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {

const Driver& tdx_driver();

// Fields: gpaw (48 | 52, default 48), ept_levels (4 | 5; default 5 for
// GPAW 52, else 4), vcpus (1..8, default 2), finalized (default true),
// maxphyaddr (gpaw..52, default 52). Throws InputError
// "<where>: config.<field>: ..." naming the field.
x86::tdx::TdConfig tdx_config_from_json(const Json& config, const std::string& where);

}  // namespace ptspec::props
