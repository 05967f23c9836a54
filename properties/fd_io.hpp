// Writing a whole string to a file descriptor (a worker's pipe, a case file).
// Internal to ptspec::properties.
#pragma once

#include <string>

namespace ptspec::props::detail {

// Writes all of `s` to `fd`, retrying short writes and EINTR; throws
// std::runtime_error on any other failure.
void write_all(int fd, const std::string& s);

}  // namespace ptspec::props::detail
