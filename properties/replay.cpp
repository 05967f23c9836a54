// The replay engine: a case's ops, one by one, through its format's session,
// with every invariant checked after every op. Deterministic: the same case
// gives the same steps, events and violations.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "model/core/errors.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {

namespace {

// Session errors name the op ("ops[3].level: ..."); the file goes in front.
[[noreturn]] void rethrow_with_path(const Case& c, const InputError& e) {
  if (c.path.empty()) throw e;
  throw InputError(fmt::format("{}: {}", c.path, e.what()));
}

}  // namespace

ReplayResult replay(const Case& c, const ReplayOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  const Driver* d = find_driver(c.format);
  if (!d)
    throw InputError(c.path.empty() ? fmt::format("format: unknown format \"{}\"", c.format)
                                    : fmt::format("{}: format: unknown format \"{}\"", c.path, c.format));
  const std::string& variant = opt.variant.empty() ? c.variant : opt.variant;
  ReplayResult r;
  std::unique_ptr<Session> s;
  try {
    s = d->make_session(c.config, variant);
    for (const Op& op : c.ops) {
      StepReport rep = s->step(op);
      const bool failed = !rep.violations.empty();
      r.violations.insert(r.violations.end(), rep.violations.begin(), rep.violations.end());
      r.steps.push_back(std::move(rep));
      if (failed && opt.stop_at_first_violation) break;
    }
  } catch (const InputError& e) {
    rethrow_with_path(c, e);
  }
  try {
    r.final_dump = s->dump();
  } catch (const std::exception& e) {
    // A model bug that left unreadable tables must not hide the trace.
    r.final_dump = fmt::format("(the tables cannot be listed: {})\n", e.what());
  }
  r.holds = r.violations.empty();
  // A case that expects a violation of a named invariant is as expected when
  // that invariant is among those that failed (checkers of one step all run,
  // and a broken refcount may also break, say, the leak balance).
  const bool named_ok = c.expect_violation.empty() ||
                        std::any_of(r.violations.begin(), r.violations.end(),
                                    [&](const Violation& v) { return v.invariant == c.expect_violation; });
  r.as_expected = r.holds == c.expect_holds && (r.holds || named_ok);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace ptspec::props
