// `ptspec prove [LEMMA...]`: runs Z3 lemmas from the catalogue and prints
// each with its statement, outcome, time and counterexample values.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "model/core/errors.hpp"
#include "solver/lemma.hpp"
#include "tools/check.hpp"
#include "tools/commands.hpp"
#include "tools/formats.hpp"

namespace ptspec::cli {

namespace {

struct ProveArgs {
  std::vector<std::string> names;
  std::vector<std::string> formats;
  unsigned timeout_ms = 0;
  unsigned jobs = 1;
  bool json = false;
};

std::vector<const solver::Lemma*> select(const ProveArgs& a) {
  std::vector<const solver::Lemma*> out;
  if (a.names.empty()) {
    for (const std::string& f : select_formats(a.formats, "--format"))
      for (const solver::Lemma* l : solver::lemmas_of_format(f)) out.push_back(l);
    return out;
  }
  for (const std::string& n : a.names) {
    const solver::Lemma* l = solver::find_lemma(n);
    if (!l) {
      std::vector<std::string> known;
      for (const solver::Lemma& k : solver::lemma_catalogue()) known.push_back(k.name);
      throw InputError("prove: unknown lemma '" + n + "' (known: " + join(known) + ")");
    }
    if (std::find(out.begin(), out.end(), l) == out.end()) out.push_back(l);
  }
  return out;
}

void print_lemma(std::ostream& os, const CheckResult& r) {
  os << fmt::format("{}/{}: {} in {:.2f} s (expected: {})\n", r.format, r.name, status_name(r.status), r.seconds,
                    r.extra.value("expect", std::string()));
  os << fmt::format("  {}\n", r.extra.value("statement", std::string()));
  if (r.status != Status::Proved) os << fmt::format("  {}\n", r.message);
  os.flush();
}

int run(const ProveArgs& a) {
  if (a.jobs == 0) throw InputError("--jobs: must be at least 1");
  const std::vector<const solver::Lemma*> lemmas = select(a);
  const auto t0 = std::chrono::steady_clock::now();
  ResultSink sink;
  if (!a.json) sink = [](const CheckResult& r) { print_lemma(std::cout, r); };
  std::vector<CheckResult> rows = run_lemmas(lemmas, a.jobs, a.timeout_ms, sink);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (a.json)
    std::cout << results_json(rows, {{"seconds", seconds}}).dump(2) << "\n";
  else
    print_summary(std::cout, rows, seconds);
  return exit_code(rows);
}

}  // namespace

Command add_prove(CLI::App& root) {
  auto a = std::make_shared<ProveArgs>();
  a->jobs = std::max(1u, std::thread::hardware_concurrency());
  CLI::App* app = root.add_subcommand(
      "prove", "Prove lemmas with Z3 (all of them, or the named ones: NAME or FORMAT/NAME). "
               "unknown and timeout count as failures.");
  app->add_option("lemmas", a->names, "Lemma names (default: every lemma)");
  app->add_option("--format", a->formats, "Only the lemmas of this format (repeatable; when no names are given)");
  app->add_option("--timeout-ms", a->timeout_ms, "Override each lemma's own time limit (ms)");
  app->add_option("--jobs,-j", a->jobs, "Lemmas proved in parallel")->capture_default_str();
  app->add_flag("--json", a->json, "One JSON document (schema 1)");
  return {app, [a] { return run(*a); }};
}

}  // namespace ptspec::cli
