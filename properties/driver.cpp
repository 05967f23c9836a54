// The registry of format drivers. Drivers are listed here explicitly rather
// than registering themselves from static initialisers: objects of a static
// library that nothing references are dropped by the linker, and a format
// that silently disappears from `ptspec list` is worse than one line here.
#include "properties/driver.hpp"

#include "properties/arm64/stage1_driver.hpp"
#include "properties/arm64/stage2_driver.hpp"
#include "properties/x86/ept_driver.hpp"
#include "properties/x86/paging_driver.hpp"
#include "properties/x86/shadow_driver.hpp"
#include "properties/x86/sppt_driver.hpp"
#include "properties/x86/tdx_driver.hpp"

namespace ptspec::props {

const std::vector<std::string>& invariant_names() {
  static const std::vector<std::string> names = {"abstraction", "refcount", "structure",   "leak",       "bbm",
                                                 "flush",       "unchanged", "expectation", "model-error",
                                                 // x86.tdx (properties/x86/tdx_checks.hpp)
                                                 "stale-tlb", "remove-protocol", "mirror", "wbinvd",
                                                 "busy-consistent", "kvm-bug",
                                                 // arm64.stage1 (properties/arm64/stage1_checks.hpp)
                                                 "cpu-view", "maintenance"};
  return names;
}

const std::vector<const Driver*>& drivers() {
  static const std::vector<const Driver*> all = {&stage2_driver(), &ept_driver(), &sppt_driver(), &paging_driver(),
                                                 &shadow_driver(), &tdx_driver(), &stage1_driver()};
  return all;
}

const Driver* find_driver(const std::string& id) {
  for (const Driver* d : drivers())
    if (d->id == id) return d;
  return nullptr;
}

}  // namespace ptspec::props
