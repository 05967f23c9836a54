#include "tools/results.hpp"

#include <fmt/format.h>

#include <ostream>

#include "tools/commands.hpp"

namespace ptspec::cli {

using props::Json;

const char* status_name(Status s) {
  switch (s) {
    case Status::Proved: return "proved";
    case Status::Passed: return "passed";
    case Status::Failed: return "failed";
    case Status::Unknown: return "unknown";
    case Status::Timeout: return "timeout";
    case Status::Error: return "error";
  }
  return "error";
}

bool holds(Status s) { return s == Status::Proved || s == Status::Passed; }

CheckResult lemma_row(const solver::LemmaResult& r) {
  CheckResult row;
  row.format = r.format;
  row.kind = "lemma";
  row.name = r.name;
  row.seconds = r.seconds;
  row.message = r.message;
  switch (r.outcome) {
    case solver::Outcome::Proved:
      row.status = r.expected == solver::Expect::Proved ? Status::Proved : Status::Failed;
      if (row.status == Status::Failed)
        row.message = "expected a counterexample (a documented defect) but the claim was proved";
      break;
    case solver::Outcome::Counterexample:
      row.status = r.expected == solver::Expect::Counterexample ? Status::Passed : Status::Failed;
      row.message = (row.status == Status::Passed ? "counterexample found as expected: "
                                                  : "counterexample: ") +
                    r.counterexample_text();
      break;
    case solver::Outcome::Unknown: row.status = Status::Unknown; break;
    case solver::Outcome::Timeout: row.status = Status::Timeout; break;
    case solver::Outcome::Error: row.status = Status::Error; break;
  }
  Json values = Json::object();
  for (const auto& [k, v] : r.counterexample) values[k] = props::hex(v);
  row.extra = {{"statement", r.statement},
               {"expect", std::string(solver::expect_name(r.expected))},
               {"outcome", std::string(solver::outcome_name(r.outcome))},
               {"values", values}};
  return row;
}

namespace {

// The op index of the first step that reported `v`'s invariant, if any.
std::string where_violated(const props::ReplayResult& r) {
  for (const props::StepReport& s : r.steps)
    if (!s.violations.empty()) return fmt::format("ops[{}] {}", s.op_index, s.op_text);
  return "the end of the case";
}

}  // namespace

CheckResult case_row(const props::Case& c, const std::string& name, const props::ReplayResult& r) {
  CheckResult row;
  row.format = c.format;
  row.kind = "case";
  row.name = name;
  row.seconds = r.seconds;
  row.ops = r.steps.size();
  row.status = r.as_expected ? Status::Passed : Status::Failed;
  const props::Violation* first = r.violations.empty() ? nullptr : &r.violations.front();
  if (r.holds && c.expect_holds) {
    row.message = "every invariant held";
  } else if (!r.holds && !c.expect_holds && r.as_expected) {
    row.message = fmt::format("violated '{}' as expected at {}", first ? first->invariant : "?", where_violated(r));
  } else if (r.holds) {
    row.message = c.expect_violation.empty()
                      ? std::string("expected a violation but every invariant held")
                      : fmt::format("expected violation '{}' but every invariant held", c.expect_violation);
  } else {
    row.message = fmt::format("violated '{}' at {}: {}", first ? first->invariant : "?", where_violated(r),
                              first ? first->detail : "");
    if (!c.expect_holds && !c.expect_violation.empty())
      row.message = fmt::format("expected violation '{}', got: {}", c.expect_violation, row.message);
  }
  if (!r.as_expected && !c.path.empty()) {
    row.counterexample = c.path;
    row.counterexample_ops = c.ops.size();
  }
  Json violations = Json::array();
  for (const props::StepReport& s : r.steps)
    for (const props::Violation& v : s.violations)
      violations.push_back({{"op", s.op_index}, {"invariant", v.invariant}, {"detail", v.detail}});
  row.extra = {{"path", c.path},
               {"origin", props::origin_name(c.origin)},
               {"variant", c.variant},
               {"holds", r.holds},
               {"as_expected", r.as_expected},
               {"violations", violations}};
  return row;
}

CheckResult error_row(const std::string& format, const std::string& kind, const std::string& name,
                      const std::string& message, bool input) {
  CheckResult row;
  row.format = format;
  row.kind = kind;
  row.name = name;
  row.status = Status::Error;
  row.message = message;
  row.input_error = input;
  row.internal_error = !input;
  return row;
}

Json to_json(const CheckResult& r) {
  Json j = {{"format", r.format},
            {"kind", r.kind},
            {"name", r.name},
            {"status", status_name(r.status)},
            {"seconds", r.seconds},
            {"ops", r.ops},
            {"counterexample", r.counterexample ? Json(*r.counterexample) : Json(nullptr)},
            {"message", r.message}};
  if (r.counterexample) j["counterexample_ops"] = r.counterexample_ops;
  for (const auto& [k, v] : r.extra.items())
    if (!j.contains(k)) j[k] = v;
  return j;
}

Json results_json(const std::vector<CheckResult>& rows, const Json& extra) {
  Json results = Json::array();
  for (const CheckResult& r : rows) results.push_back(to_json(r));
  Json j = {{"schema", 1}, {"ok", exit_code(rows) == kExitOk}, {"results", results}};
  for (const auto& [k, v] : extra.items())
    if (!j.contains(k)) j[k] = v;
  return j;
}

int exit_code(const std::vector<CheckResult>& rows) {
  int code = kExitOk;
  for (const CheckResult& r : rows) {
    if (r.internal_error) return kExitInternal;
    if (r.input_error) code = kExitInput;
    else if (!holds(r.status) && code == kExitOk) code = kExitFailed;
  }
  return code;
}

namespace {
constexpr const char* kRowFormat = "{:<14} {:<8} {:<46} {:<8} {:>8} {:>8}\n";
}

void print_header(std::ostream& os) {
  os << fmt::format(kRowFormat, "format", "kind", "name", "status", "seconds", "ops");
}

void print_row(std::ostream& os, const CheckResult& r) {
  os << fmt::format(kRowFormat, r.format, r.kind, r.name, status_name(r.status), fmt::format("{:.2f}", r.seconds),
                    r.kind == "lemma" ? std::string("-") : std::to_string(r.ops));
  os.flush();  // rows stream while a long check runs
}

void print_summary(std::ostream& os, const std::vector<CheckResult>& rows, double seconds) {
  std::size_t count[6] = {};
  for (const CheckResult& r : rows) ++count[static_cast<int>(r.status)];
  const bool ok = exit_code(rows) == kExitOk;
  os << fmt::format("\n{} result{}: {} proved, {} passed, {} failed, {} unknown, {} timeout, {} error in {:.1f} s -- {}\n",
                    rows.size(), rows.size() == 1 ? "" : "s", count[0], count[1], count[2], count[3], count[4], count[5], seconds,
                    ok ? "ALL HOLD" : "FAILED");
  for (const CheckResult& r : rows) {
    if (holds(r.status)) continue;
    os << fmt::format("\n{} {} {} {}: {}\n", status_name(r.status), r.format, r.kind, r.name, r.message);
    if (r.counterexample) {
      os << fmt::format("  counterexample: {} ({} ops)\n", *r.counterexample, r.counterexample_ops);
      std::string variant = r.extra.value("variant", std::string());
      os << fmt::format("  replay it:      ptspec replay {} --trace{}\n", *r.counterexample,
                        variant.empty() ? "" : " --variant " + variant);
    }
  }
}

}  // namespace ptspec::cli
