#include "tools/check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "model/core/errors.hpp"
#include "properties/campaign.hpp"
#include "properties/corpus.hpp"
#include "tools/formats.hpp"

namespace ptspec::cli {

namespace fs = std::filesystem;

std::vector<CheckResult> run_lemmas(const std::vector<const solver::Lemma*>& lemmas, unsigned jobs,
                                    unsigned timeout_ms, const ResultSink& sink) {
  // Each lemma gets a fresh Z3 context (run_lemma), so lemmas can be proved on
  // separate threads; results are still reported in catalogue order.
  std::vector<std::optional<CheckResult>> done(lemmas.size());
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < lemmas.size(); i = next++) {
      CheckResult row = lemma_row(solver::run_lemma(*lemmas[i], timeout_ms));
      std::lock_guard lock(mu);
      done[i] = std::move(row);
      cv.notify_all();
    }
  };
  const unsigned n = std::max(1u, std::min<unsigned>(jobs, static_cast<unsigned>(lemmas.size())));
  std::vector<CheckResult> out;
  if (n == 1) {
    for (const solver::Lemma* l : lemmas) {
      out.push_back(lemma_row(solver::run_lemma(*l, timeout_ms)));
      if (sink) sink(out.back());
    }
    return out;
  }
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < n; ++t) pool.emplace_back(worker);
  // This thread only reports, in catalogue order, as results complete.
  for (std::size_t i = 0; i < lemmas.size(); ++i) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done[i].has_value(); });
    CheckResult row = std::move(*done[i]);
    lock.unlock();
    if (sink) sink(row);
    out.push_back(std::move(row));
  }
  for (std::thread& t : pool) t.join();
  return out;
}

CheckResult replay_file(const std::string& path, const std::string& name, const std::string& variant) {
  props::Case c;
  try {
    c = props::load_case_file(path);
  } catch (const InputError& e) {
    return error_row("?", "case", name, e.what(), true);
  }
  try {
    props::ReplayOptions ro;
    ro.variant = variant;
    return case_row(c, name, props::replay(c, ro));
  } catch (const InputError& e) {
    return error_row(c.format, "case", name, e.what(), true);
  } catch (const std::exception& e) {
    return error_row(c.format, "case", name, std::string("internal error: ") + e.what(), false);
  }
}

namespace {

CheckResult run_property(const props::Driver& d, const props::PropertyInfo& p, const CheckOptions& opt,
                         const std::string& corpus_dir) {
  props::CampaignOptions co;
  co.seed = opt.seed;
  co.cases = opt.cases;
  co.seconds = opt.seconds;
  co.jobs = std::max(1u, opt.jobs);
  co.max_ops = opt.max_ops;
  co.variant = opt.variant;
  co.progress = opt.progress;
  co.found_dir = (fs::path(corpus_dir) / d.id / "found").string();
  const std::string name = opt.variant.empty() ? p.name : p.name + " @" + opt.variant;
  std::error_code ec;
  fs::create_directories(co.found_dir, ec);
  if (ec) return error_row(d.id, "property", name, co.found_dir + ": cannot create: " + ec.message(), true);
  try {
    props::CampaignResult r = props::run_campaign(d, p, co);
    CheckResult row;
    row.format = d.id;
    row.kind = "property";
    row.name = name;
    row.status = r.passed ? Status::Passed : Status::Failed;
    row.seconds = r.seconds;
    row.ops = r.ops_run;
    row.counterexample = r.counterexample_path;
    row.counterexample_ops = r.counterexample_ops;
    row.message = r.passed ? fmt::format("{} cases, {} ops, every invariant held", r.cases_run, r.ops_run)
                           : r.message;
    row.extra = {{"property", p.name}, {"variant", opt.variant}, {"cases_run", r.cases_run}, {"seed", opt.seed}};
    return row;
  } catch (const InputError& e) {
    return error_row(d.id, "property", name, e.what(), true);
  } catch (const std::exception& e) {
    return error_row(d.id, "property", name, std::string("internal error: ") + e.what(), false);
  }
}

// "seeds/map-basic.json" rather than the full path: the table stays narrow.
std::string short_name(const std::string& path, const std::string& corpus_dir, const std::string& format) {
  std::error_code ec;
  fs::path rel = fs::relative(path, fs::path(corpus_dir) / format, ec);
  if (ec || rel.empty() || rel.native().starts_with("..")) return path;
  return rel.string();
}

}  // namespace

void validate(const CheckOptions& opt) {
  const std::vector<std::string> formats = select_formats(opt.formats, "--format");
  if (!opt.variant.empty()) require_variant(formats, opt.variant, "--variant");
  // A variant is checked only by the campaigns: without them nothing would run.
  if (!opt.variant.empty() && !opt.properties) throw InputError("--variant: needs the property campaigns (drop --no-properties)");
}

std::vector<CheckResult> run_check(const CheckOptions& opt, const ResultSink& sink) {
  validate(opt);
  const std::vector<std::string> formats = select_formats(opt.formats, "--format");
  const std::string corpus_dir = corpus_dir_or_default(opt.corpus_dir);
  std::vector<CheckResult> rows;
  auto emit = [&](CheckResult row) {
    if (sink) sink(row);
    rows.push_back(std::move(row));
  };

  for (const std::string& f : formats) {
    const props::Driver* d = props::find_driver(f);
    if (!opt.variant.empty()) {
      // A variant is the model with a historical bug: only the campaigns say
      // something about it (they are expected to find the bug and fail).
      if (!d || !has_variant(*d, opt.variant)) continue;
      if (opt.properties)
        for (const props::PropertyInfo& p : d->properties) emit(run_property(*d, p, opt, corpus_dir));
      continue;
    }
    if (opt.lemmas) {
      std::vector<CheckResult> lr = run_lemmas(solver::lemmas_of_format(f), opt.jobs, opt.timeout_ms, sink);
      rows.insert(rows.end(), lr.begin(), lr.end());
    }
    if (!d) continue;
    // The corpus before the campaigns: it is quick and deterministic, and a
    // counterexample found by this run's campaign is not reported twice.
    if (opt.corpus)
      // Each case replays under its own variant: bug cases are expected to
      // violate their invariant and pass when they do.
      for (const props::CorpusEntry& e : props::list_corpus(corpus_dir, f))
        emit(replay_file(e.path, short_name(e.path, corpus_dir, f), ""));
    if (opt.properties)
      for (const props::PropertyInfo& p : d->properties) emit(run_property(*d, p, opt, corpus_dir));
  }
  return rows;
}

}  // namespace ptspec::cli
