// Writing a whole string to a file descriptor (fd_io.hpp).
#include "properties/fd_io.hpp"

#include <fmt/format.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <stdexcept>

namespace ptspec::props::detail {

void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(fmt::format("write: {}", std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace ptspec::props::detail
