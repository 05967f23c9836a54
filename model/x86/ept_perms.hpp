// EPT permissions as letters, the one spelling used by case files, the CLI's
// traces and the Python bindings: "rwx", "r-x", "--x", plus "u" for
// user-mode execute (bit 10, mode-based execute control). Letters map to the
// entry bits of ept_entry.hpp (R 0, W 1, X 2, user-X 10).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/x86/ept_geometry.hpp"

namespace ptspec::x86 {

struct EptPerms {
  std::uint64_t xwr = 0;   // bits 2:0
  bool user_exec = false;  // bit 10
};

// Parses letters r, w, x, u and '-', each letter at most once, in any order.
// "u" is accepted without MBEC: the operation then decides (EptMmu refuses
// user-execute without MBEC with -EINVAL, which a case may want to test).
// Throws InputError("<where>: ...") for anything else.
EptPerms parse_ept_perms(std::string_view s, const std::string& where);

// "rwx" order with '-' for a missing permission, plus a fourth letter u/-
// under MBEC, from entry bits (2:0 and 10; other bits ignored).
std::string ept_perms_string(const EptConfig& cfg, std::uint64_t bits);

}  // namespace ptspec::x86
