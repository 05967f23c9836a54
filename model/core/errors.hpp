// Kernel error numbers returned by operations, and the one exception type for
// bad input (a malformed case, an impossible config, ...).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace ptspec {

// Operation results use the kernel's negative errno convention.
enum Errno : int {
  kOk = 0,
  kEnoent = -2,   // no leaf maps the address (EptMmu::set_spp_bit, split, collapse)
  kEio = -5,      // KVM_BUG_ON: the VM is marked bugged (x86.tdx hooks, seed 004)
  kE2big = -7,    // internal: "no leaf at this level, descend" (pgtable.c)
  kEagain = -11,  // only permissions would change
  kEnomem = -12,  // page cache exhausted
  kEinval = -22,  // bad argument
  kErange = -34,  // address range beyond the input-address size
};

std::string_view errno_name(int err);
// Parses "0", "-EINVAL", "EINVAL", "-22" ...; returns false if unknown.
bool errno_from_name(std::string_view s, int& out);

// Bad input or usage: becomes exit code 2 in the CLI and ptspec.InputError in
// Python. `where` says which file / op / field.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& msg) : std::runtime_error(msg) {}
};

}  // namespace ptspec
