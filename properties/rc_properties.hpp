// The campaign properties ptspec knows, by format (no RapidCheck in this
// header: drivers, the CLI and the bindings may include it). run_campaign
// accepts exactly these names.
#pragma once

#include <string>
#include <vector>

#include "properties/driver.hpp"

namespace ptspec::props {

// The properties run_campaign can run for `format` (empty if none).
std::vector<PropertyInfo> campaign_properties(const std::string& format);

}  // namespace ptspec::props
