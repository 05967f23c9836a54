#include "properties/step_common.hpp"

#include <fmt/format.h>

#include <exception>

#include "model/core/errors.hpp"

namespace ptspec::props {

bool run_guarded(const Op& op, bool raw, StepReport& rep, const std::function<void()>& run) {
  try {
    run();
    return true;
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    if (raw)
      throw InputError(fmt::format("ops[{}] ({}): the model cannot run on the hand-written tables: {}", op.index,
                                   op.name, e.what()));
    rep.violations.push_back({"model-error", fmt::format("the model threw: {}", e.what())});
    return false;
  }
}

void trace_events(StepReport& rep, const std::vector<Event>& events, const EntryBrief& brief,
                  const std::string& prefix) {
  for (const Event& e : events) {
    std::string line = prefix + describe(e);
    if (brief && e.kind == EventKind::Write)
      line += fmt::format("   [{} => {}]", brief(e.old_value, e.level), brief(e.new_value, e.level));
    rep.trace.push_back(std::move(line));
  }
}

void check_expect(const Op& op, int ret, StepReport& rep) {
  if (auto want = op_expect(op); want && *want != ret)
    rep.violations.push_back(
        {"expectation", fmt::format("returned {}, the case expects {}", errno_name(ret), errno_name(*want))});
}

void prefix_violations(const Op& op, StepReport& rep) {
  for (Violation& v : rep.violations) v.detail = fmt::format("ops[{}] {}: {}", op.index, op.name, v.detail);
}

}  // namespace ptspec::props
