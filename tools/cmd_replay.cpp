// `ptspec replay CASE.json... [--trace] [--variant NAME]`: replays saved
// cases deterministically; passes when each case turns out as it expects.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "model/core/errors.hpp"
#include "properties/case.hpp"
#include "properties/driver.hpp"
#include "tools/commands.hpp"
#include "tools/formats.hpp"
#include "tools/results.hpp"

namespace ptspec::cli {

namespace {

using props::Json;

struct ReplayArgs {
  std::vector<std::string> paths;
  std::string variant;
  bool trace = false;
  bool json = false;
};

Json steps_json(const props::ReplayResult& r) {
  Json steps = Json::array();
  for (const props::StepReport& s : r.steps) {
    Json violations = Json::array();
    for (const props::Violation& v : s.violations) violations.push_back({{"invariant", v.invariant}, {"detail", v.detail}});
    steps.push_back({{"op_index", s.op_index},
                     {"op", s.op_text},
                     {"ret", s.ret},
                     {"ret_name", std::string(errno_name(s.ret))},
                     {"trace", s.trace},
                     {"violations", violations}});
  }
  return steps;
}

int run(const ReplayArgs& a) {
  // Load (and check) every file first: a bad file is bad input (exit 2)
  // before anything runs.
  std::vector<props::Case> cases;
  for (const std::string& p : a.paths) {
    cases.push_back(props::load_case_file(p));
    const props::Driver& d = require_driver(cases.back().format, p + ": format");
    if (!a.variant.empty() && !has_variant(d, a.variant)) require_variant({d.id}, a.variant, "--variant");
  }
  std::vector<CheckResult> rows;
  for (const props::Case& c : cases) {
    props::ReplayOptions ro;
    ro.variant = a.variant;
    props::ReplayResult r = props::replay(c, ro);
    CheckResult row = case_row(c, c.path, r);
    if (!a.variant.empty()) row.extra["variant"] = a.variant;
    if (a.json) {
      if (a.trace) {
        row.extra["steps"] = steps_json(r);
        row.extra["final_dump"] = r.final_dump;
      }
    } else {
      if (a.trace) {
        props::print_trace(std::cout, c, r);
        std::cout << "\n";
      }
      std::cout << fmt::format("{}: {} -- {} ({} ops, {:.3f} s){}\n", c.path, status_name(row.status), row.message,
                               row.ops, row.seconds, a.variant.empty() ? "" : " under variant " + a.variant);
    }
    rows.push_back(std::move(row));
  }
  if (a.json) std::cout << results_json(rows).dump(2) << "\n";
  return exit_code(rows);
}

}  // namespace

Command add_replay(CLI::App& root) {
  auto a = std::make_shared<ReplayArgs>();
  CLI::App* app = root.add_subcommand(
      "replay", "Replay corpus cases step by step; exit 0 if each turns out as its \"expect\" says");
  app->add_option("cases", a->paths, "Case files (JSON)")->required();
  app->add_flag("--trace", a->trace, "Print every op, every entry changed (old -> new) and every TLBI");
  app->add_option("--variant", a->variant, "Replay under this historical-bug variant instead of the case's own");
  app->add_flag("--json", a->json, "One JSON document (schema 1); with --trace it includes the steps");
  return {app, [a] { return run(*a); }};
}

}  // namespace ptspec::cli
