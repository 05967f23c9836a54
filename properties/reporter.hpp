// A checker's report of one invariant: at most kMaxReports violations of
// one kind (one is enough to fail, a few help to see the pattern), then one
// "... and N more" line. Shared by every format's checkers.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <utility>
#include <vector>

#include "properties/driver.hpp"

namespace ptspec::props {

class Reporter {
 public:
  static constexpr std::size_t kMaxReports = 8;

  Reporter(std::vector<Violation>& out, const char* invariant) : out_(out), invariant_(invariant) {}
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;
  ~Reporter() {
    if (n_ > kMaxReports) out_.push_back({invariant_, fmt::format("... and {} more", n_ - kMaxReports)});
  }

  template <class... A> void operator()(fmt::format_string<A...> f, A&&... a) {
    if (n_++ < kMaxReports) out_.push_back({invariant_, fmt::format(f, std::forward<A>(a)...)});
  }
  std::size_t count() const { return n_; }

 private:
  std::vector<Violation>& out_;
  const char* invariant_;
  std::size_t n_ = 0;
};

}  // namespace ptspec::props
