// The arm64.stage2 format driver: op table, config check, session factory
// and decoder for VMSAv8-64 stage-2 tables as KVM manages them (seed 003).
#pragma once

#include <string>

#include "model/arm64/stage2_config.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {

const Driver& stage2_driver();

// The model configuration a case's "config" object describes. Fields:
// granule (4096 | 16384 | 65536, default 4096), ia_bits (32..48, default
// 40), start_level (default: as KVM picks it), pa_bits (32..48, default 48),
// owner_layout ("upstream" | "seed", default "upstream"), max_owner
// (default 1, KVM_MAX_OWNER_ID in seed 003). Throws InputError
// "<where>: config.<field>: ..." (`where` is usually the case's path).
arm64::Stage2Config stage2_config_from_json(const Json& config, const std::string& where);

}  // namespace ptspec::props
