// One row of a check: a lemma, a property campaign or a corpus case, with its
// status, time and (for failures) the message and counterexample. Shared by
// `check`, `prove` and `replay` so that their tables and JSON agree.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "properties/case.hpp"
#include "properties/driver.hpp"
#include "solver/lemma.hpp"

namespace ptspec::cli {

// "proved"/"passed" hold; every other status is a failure -- unknown and
// timeout included (an unfinished proof is not a proof).
enum class Status : std::uint8_t { Proved, Passed, Failed, Unknown, Timeout, Error };
const char* status_name(Status s);
bool holds(Status s);

struct CheckResult {
  std::string format;
  std::string kind;  // "lemma" | "property" | "case"
  std::string name;
  Status status = Status::Error;
  double seconds = 0;
  std::uint64_t ops = 0;
  std::optional<std::string> counterexample;  // a case file that shows the failure
  std::size_t counterexample_ops = 0;
  std::string message;
  // Why an Error row is an error: bad input (exit 2) or a bug in ptspec
  // (exit 3); solver errors are plain failures (exit 1).
  bool input_error = false;
  bool internal_error = false;
  props::Json extra = props::Json::object();  // kind-specific fields merged into the JSON row
};

// A lemma result as a row: expected proof + proved -> proved; expected
// counterexample + found -> passed (values in the message); anything else fails.
CheckResult lemma_row(const solver::LemmaResult& r);
// A replayed case as a row: passed iff the outcome is the expected one.
CheckResult case_row(const props::Case& c, const std::string& name, const props::ReplayResult& r);
// A case file that could not be loaded or run.
CheckResult error_row(const std::string& format, const std::string& kind, const std::string& name,
                      const std::string& message, bool input);

props::Json to_json(const CheckResult& r);
// {"schema":1,"ok":...,"results":[...]} (`extra` fields merged at the top).
props::Json results_json(const std::vector<CheckResult>& rows, const props::Json& extra = props::Json::object());

// 0 if every row holds; otherwise internal (3) > input (2) > failed (1).
int exit_code(const std::vector<CheckResult>& rows);

// Human output: a table streamed row by row, then a summary and the failures.
void print_header(std::ostream& os);
void print_row(std::ostream& os, const CheckResult& r);
void print_summary(std::ostream& os, const std::vector<CheckResult>& rows, double seconds);

}  // namespace ptspec::cli
