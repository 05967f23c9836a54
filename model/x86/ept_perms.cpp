#include "model/x86/ept_perms.hpp"

#include <fmt/format.h>

#include "model/core/errors.hpp"
#include "model/x86/ept_entry.hpp"

namespace ptspec::x86 {

EptPerms parse_ept_perms(std::string_view s, const std::string& where) {
  EptPerms p;
  std::string seen;
  for (char c : s) {
    if (c == '-') continue;
    if (seen.find(c) != std::string::npos || std::string_view("rwxu").find(c) == std::string_view::npos)
      throw InputError(fmt::format(
          "{}: \"{}\" is not an EPT permission string (letters r, w, x, u = user execute, or '-', each at most once)",
          where, s));
    seen += c;
    if (c == 'r') p.xwr |= ept::kR.mask();
    if (c == 'w') p.xwr |= ept::kW.mask();
    if (c == 'x') p.xwr |= ept::kX.mask();
    if (c == 'u') p.user_exec = true;
  }
  return p;
}

std::string ept_perms_string(const EptConfig& cfg, std::uint64_t bits) {
  std::string s = {(bits & ept::kR.mask()) ? 'r' : '-', (bits & ept::kW.mask()) ? 'w' : '-',
                   (bits & ept::kX.mask()) ? 'x' : '-'};
  if (cfg.mbec) s += (bits & ept::kUserExec.mask()) ? 'u' : '-';
  return s;
}

}  // namespace ptspec::x86
