// The orchestration behind `ptspec check`: prove every lemma, run every
// property campaign, replay every corpus case of the selected formats, and
// hand each result to a sink as soon as it is known (so long runs stream).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tools/results.hpp"

namespace ptspec::cli {

struct CheckOptions {
  std::vector<std::string> formats;  // empty = every format
  std::string corpus_dir;            // "" = the default corpus
  std::uint64_t cases = 1000;        // RapidCheck cases per property (ignored if seconds > 0)
  double seconds = 0;                // time budget per property instead of a case count
  std::uint64_t seed = 1;
  unsigned jobs = 1;                 // campaign workers; also lemmas proved in parallel
  unsigned max_ops = 40;             // longest generated op sequence
  unsigned timeout_ms = 0;           // overrides each lemma's own limit when non-zero
  std::string variant;               // run the campaigns against a historical-bug variant
  bool lemmas = true;
  bool properties = true;
  bool corpus = true;
  bool progress = false;             // campaign progress lines on stderr
};

using ResultSink = std::function<void(const CheckResult&)>;

// Throws InputError for an unknown format or variant (run_check calls it too;
// callers call it first to fail before printing anything).
void validate(const CheckOptions& opt);

// Throws InputError for an unknown format or variant before running anything.
// With a variant, only the property campaigns of formats that have it run:
// lemmas and the corpus describe the correct model.
std::vector<CheckResult> run_check(const CheckOptions& opt, const ResultSink& sink);

// The lemma part alone (also `ptspec prove`): runs `lemmas` on up to `jobs`
// threads, each in its own Z3 context, and reports them in the given order.
std::vector<CheckResult> run_lemmas(const std::vector<const solver::Lemma*>& lemmas, unsigned jobs,
                                    unsigned timeout_ms, const ResultSink& sink);

// Replays one case file as a check row (load errors become input-error rows).
CheckResult replay_file(const std::string& path, const std::string& name, const std::string& variant);

}  // namespace ptspec::cli
