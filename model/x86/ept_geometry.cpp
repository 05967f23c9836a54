#include "model/x86/ept_geometry.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"

namespace ptspec::x86 {

void check_ept_config(const EptConfig& cfg) {
  if (cfg.levels != 4 && cfg.levels != 5)
    throw InputError(fmt::format("config.levels: {} (EPT walks have 4 or 5 levels)", cfg.levels));
  if (cfg.maxphyaddr < kMinMaxPhyAddr || cfg.maxphyaddr > kMaxMaxPhyAddr)
    throw InputError(fmt::format("config.maxphyaddr: {} (must be {}..{})", cfg.maxphyaddr, kMinMaxPhyAddr,
                                 kMaxMaxPhyAddr));
}

EptConfig make_ept_config(unsigned levels, unsigned maxphyaddr, bool ad_enabled, bool exec_only_supported,
                          bool gb_pages_supported, bool mbec) {
  EptConfig cfg{levels, maxphyaddr, ad_enabled, exec_only_supported, gb_pages_supported, mbec};
  check_ept_config(cfg);
  return cfg;
}

}  // namespace ptspec::x86
