// Writing a case file without clobbering (case_writer.hpp).
#include "properties/case_writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "properties/fd_io.hpp"

namespace ptspec::props {

std::string write_case_unique(const Case& c, const std::string& dir, const std::string& stem) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(fmt::format("{}: cannot create the directory: {}", dir, ec.message()));

  // The temp file is hidden and not *.json, so a corpus listing never sees it.
  std::string tmpl = (fs::path(dir) / ("." + stem + ".XXXXXX")).string();
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) throw std::runtime_error(fmt::format("{}: cannot create a file: {}", dir, std::strerror(errno)));
  const std::string tmp(name.data());
  auto fail = [&](const std::string& what) {
    const std::string msg = fmt::format("{}: {}: {}", tmp, what, std::strerror(errno));
    ::unlink(tmp.c_str());
    return std::runtime_error(msg);
  };
  // mkstemp creates 0600; a corpus file is as readable as any other file.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  try {
    if (::fchmod(fd, 0666 & ~mask) != 0) throw fail("fchmod");
    detail::write_all(fd, c.to_json().dump(2) + "\n");
    if (::fsync(fd) != 0) throw fail("fsync");
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) throw fail("close");

  // link(2) fails with EEXIST instead of replacing: the first free number
  // wins, even against another process writing the same stem.
  for (unsigned n = 1; n < 1'000'000; ++n) {
    const std::string path = (fs::path(dir) / fmt::format("{}-{}.json", stem, n)).string();
    if (::link(tmp.c_str(), path.c_str()) == 0) {
      ::unlink(tmp.c_str());
      const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
      if (dfd >= 0) {
        ::fsync(dfd);  // make the new name durable too
        ::close(dfd);
      }
      return path;
    }
    if (errno != EEXIST) throw fail(fmt::format("link to {}", path));
  }
  ::unlink(tmp.c_str());
  throw std::runtime_error(fmt::format("{}: no free name {}-<n>.json", dir, stem));
}

}  // namespace ptspec::props
