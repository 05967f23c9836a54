// The arm64.stage1 format driver: op table, config check, session factory
// and decoder for the stage-1 (EL1&0) tables kvm-unit-tests builds and
// maintains (seed 001_7298466646d93dd3.txt, second half).
#pragma once

#include <string>

#include "model/arm64/stage1_config.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {

const Driver& stage1_driver();

// The model configuration a case's "config" object describes. Fields:
// granule (4096 | 16384 | 65536, default 4096), va_bits (25..48, default
// 48; TCR_EL1.T0SZ = 64 - va_bits), pa_bits (32, 36, 40, 42, 44, 48; default
// 48; TCR_EL1.IPS), cpus (1..8, default 2), wxn (SCTLR_EL1.WXN, default
// false). Throws InputError "<where>: config.<field>: ...".
arm64::s1::Stage1Config stage1_config_from_json(const Json& config, const std::string& where);

}  // namespace ptspec::props
