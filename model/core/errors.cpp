#include "model/core/errors.hpp"

#include <charconv>

namespace ptspec {

namespace {
struct Named {
  int err;
  std::string_view name;
};
constexpr Named kNames[] = {{kOk, "0"},           {kEnoent, "-ENOENT"}, {kEio, "-EIO"}, {kE2big, "-E2BIG"},
                            {kEagain, "-EAGAIN"}, {kEnomem, "-ENOMEM"}, {kEinval, "-EINVAL"},
                            {kErange, "-ERANGE"}};
}  // namespace

std::string_view errno_name(int err) {
  for (const auto& n : kNames)
    if (n.err == err) return n.name;
  return "-E?";
}

bool errno_from_name(std::string_view s, int& out) {
  for (const auto& n : kNames) {
    if (s == n.name || (n.err != 0 && s == n.name.substr(1))) {
      out = n.err;
      return true;
    }
  }
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc() && p == s.data() + s.size()) {
    for (const auto& n : kNames)
      if (n.err == v) {
        out = v;
        return true;
      }
  }
  return false;
}

}  // namespace ptspec
