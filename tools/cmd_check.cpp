// `ptspec check`: the main job (DESIGN.md "Contracts"). Prints a table that
// streams as results arrive, or one JSON document with --json.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "model/core/errors.hpp"
#include "properties/case.hpp"
#include "tools/check.hpp"
#include "tools/commands.hpp"
#include "tools/formats.hpp"

namespace ptspec::cli {

namespace {

struct CheckArgs {
  CheckOptions opt;
  std::string seed = "1";  // a string so that hex ("0x2a") works as everywhere else
  bool json = false;
  bool no_lemmas = false, no_properties = false, no_corpus = false;
};

int run(CheckArgs& a) {
  CheckOptions opt = a.opt;
  opt.seed = props::parse_u64(a.seed, "--seed");
  opt.lemmas = !a.no_lemmas;
  opt.properties = !a.no_properties;
  opt.corpus = !a.no_corpus;
  opt.progress = !a.json && isatty(STDERR_FILENO);
  if (opt.seconds < 0) throw InputError("--seconds: must not be negative");
  if (opt.jobs == 0) throw InputError("--jobs: must be at least 1");

  validate(opt);
  const auto t0 = std::chrono::steady_clock::now();
  ResultSink sink;
  if (!a.json) {
    if (!opt.variant.empty())
      std::cout << "variant " << opt.variant
                << ": running the property campaigns only (lemmas and the corpus describe the correct model);\n"
                   "the campaign is expected to find the bug and fail.\n\n";
    print_header(std::cout);
    sink = [](const CheckResult& r) { print_row(std::cout, r); };
  }
  std::vector<CheckResult> rows = run_check(opt, sink);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (a.json) {
    props::Json extra = {{"seconds", seconds},
                         {"seed", opt.seed},
                         {"cases", opt.seconds > 0 ? props::Json(nullptr) : props::Json(opt.cases)},
                         {"time_budget", opt.seconds > 0 ? props::Json(opt.seconds) : props::Json(nullptr)},
                         {"variant", opt.variant.empty() ? props::Json(nullptr) : props::Json(opt.variant)},
                         {"corpus", corpus_dir_or_default(opt.corpus_dir)}};
    std::cout << results_json(rows, extra).dump(2) << "\n";
  } else {
    if (rows.empty()) std::cout << "(nothing selected)\n";
    print_summary(std::cout, rows, seconds);
  }
  return exit_code(rows);
}

}  // namespace

Command add_check(CLI::App& root) {
  auto a = std::make_shared<CheckArgs>();
  a->opt.jobs = std::max(1u, std::thread::hardware_concurrency());
  CLI::App* app = root.add_subcommand(
      "check",
      "The main job: prove every lemma, run every property campaign and replay every corpus case of the "
      "selected formats. Exit 0 only if all hold; new counterexamples go to <corpus>/<format>/found/.");
  app->add_option("--format", a->opt.formats, "Only this format (repeatable; default: all)");
  CLI::Option* secs = app->add_option("--seconds", a->opt.seconds, "Run each property campaign for S seconds");
  CLI::Option* cases =
      app->add_option("--cases", a->opt.cases, "RapidCheck cases per property campaign")->capture_default_str();
  secs->excludes(cases);
  cases->excludes(secs);
  app->add_option("--seed", a->seed, "Campaign seed (decimal or 0x-hex); same seed, same cases")->capture_default_str();
  app->add_option("--jobs,-j", a->opt.jobs, "Parallel campaign workers and lemma threads")->capture_default_str();
  app->add_option("--max-ops", a->opt.max_ops, "Longest generated op sequence")->capture_default_str();
  app->add_option("--timeout-ms", a->opt.timeout_ms, "Override every lemma's time limit (ms)");
  app->add_option("--variant", a->opt.variant,
                  "Run the property campaigns against this historical-bug variant (expected to fail)");
  app->add_option("--corpus", a->opt.corpus_dir, "Corpus directory (default: $PTSPEC_CORPUS or the built-in corpus)");
  app->add_flag("--no-lemmas", a->no_lemmas, "Skip the Z3 lemmas");
  app->add_flag("--no-properties", a->no_properties, "Skip the property campaigns");
  app->add_flag("--no-corpus,--no-cases", a->no_corpus, "Skip the corpus replay");
  app->add_flag("--json", a->json, "One JSON document (schema 1) instead of the table");
  return {app, [a] { return run(*a); }};
}

}  // namespace ptspec::cli
