// One campaign worker (campaign_worker.hpp).
//
// How a case runs: the property's generator yields a configuration and a
// list of corpus ops; a fresh Session steps them one by one and the first
// invariant violation fails the case. RapidCheck then shrinks the list; the
// failing case it ends with is, op for op, the case file we write.
//
// RapidCheck is driven through rc::detail::checkProperty with our own
// TestParams, our own TestListener and an empty reproduce map, so:
//  - it is deterministic from options.seed and ignores RC_PARAMS (the
//    4-argument overload would consult RC_PARAMS' "reproduce" map and could
//    silently run zero cases);
//  - it prints nothing (the default listener writes to stderr; the CLI owns
//    stdout and stderr).
#include "properties/campaign_worker.hpp"

#include <fmt/format.h>
#include <rapidcheck.h>

#include <algorithm>
#include <climits>
#include <exception>
#include <memory>
#include <unordered_map>
#include <utility>

namespace ptspec::props::detail {

namespace {

// ---- one case ----

struct CaseRun {
  std::uint64_t ops = 0;
  std::optional<Violation> violation;
  std::size_t failed_at = 0;
};

// Steps every op through a fresh session; stops at the first violation.
CaseRun run_case(Session& s, const GeneratedCase& gc) {
  CaseRun r;
  for (std::size_t i = 0; i < gc.ops.size(); ++i) {
    Op op = gc.ops[i];
    op.index = i;  // shrinking removes ops: positions are only known now
    StepReport rep;
    try {
      rep = s.step(op);
    } catch (const std::exception& e) {
      // The session reports model exceptions itself; one escaping it is
      // still the model's (or the session's) inconsistency, not a pass.
      rep.violations.push_back({"model-error", e.what()});
    }
    ++r.ops;
    if (!rep.violations.empty()) {
      r.violation = rep.violations.front();
      r.failed_at = i;
      return r;
    }
  }
  return r;
}

// ---- one worker: a RapidCheck search (and shrink) on one seed ----

// What the property function shares with the worker across cases.
struct SearchState {
  SearchState(const Driver& d, const std::string& v) : driver(d), variant(v) {}
  const Driver& driver;
  const std::string& variant;
  std::uint64_t cases = 0;
  std::uint64_t ops = 0;
  // The invariant of the first failure. A shrink that fails differently is
  // another bug, so it is not accepted: the shrunk case fails the same way.
  std::string target;
  // Every accepted shrink fails, and RapidCheck accepts every failing one,
  // so the last failure recorded is the smallest.
  std::optional<Failure> last;
  std::string harness_error;
};

class QuietListener final : public rc::detail::TestListener {
 public:
  QuietListener(SearchState& st, const Progress& progress) : st_(st), progress_(progress) {}
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {
    ++st_.cases;
    if (progress_) progress_(st_.cases, st_.ops);
  }
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}

 private:
  SearchState& st_;
  const Progress& progress_;
};

rc::detail::Property make_property(SearchState& st, rc::Gen<GeneratedCase> gen) {
  return rc::detail::toProperty([&st, gen] {
    GeneratedCase gc = *gen;
    std::unique_ptr<Session> session;
    try {
      session = st.driver.make_session(gc.config, st.variant);
    } catch (const std::exception& e) {
      if (!st.target.empty()) return;  // an unusable shrink: not a failure of the same kind
      st.harness_error = fmt::format("cannot start a session for config {}: {}", gc.config.dump(), e.what());
      st.target = "(harness error)";  // no shrink of it is accepted: it is reported as it is
      RC_FAIL(st.harness_error);
    }
    CaseRun run = run_case(*session, gc);
    st.ops += run.ops;
    if (!run.violation) return;
    if (!st.target.empty() && run.violation->invariant != st.target) return;
    st.target = run.violation->invariant;
    gc.ops.resize(run.failed_at + 1);
    st.last = Failure{std::move(gc), *run.violation};
    RC_FAIL(fmt::format("{}: {}", run.violation->invariant, run.violation->detail));
  });
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// In time-bounded mode the search runs in batches of this many cases, each
// with its own derived seed, until the time is up.
constexpr int kBatchCases = 10;

}  // namespace

std::uint64_t worker_seed(std::uint64_t seed, unsigned worker) {
  return worker == 0 ? seed : splitmix64(seed + worker);
}

WorkerOutcome run_worker(const Driver& d, const GeneratedProperty& gp, const CampaignOptions& opt,
                         std::uint64_t rc_seed, std::uint64_t cases, const Progress& progress) {
  WorkerOutcome out;
  out.rc_seed = rc_seed;
  SearchState st(d, opt.variant);
  QuietListener listener(st, progress);
  const rc::detail::Property property = make_property(st, gp.generator(opt));
  const rc::detail::TestMetadata meta{gp.format + "/" + gp.name, gp.description};
  const std::unordered_map<std::string, rc::detail::Reproduce> no_reproduce;
  const auto deadline = Clock::now() + std::chrono::duration<double>(opt.seconds);

  for (std::uint64_t batch = 0;; ++batch) {
    rc::detail::TestParams params;
    params.seed = opt.seconds > 0 ? splitmix64(rc_seed ^ (batch * 0x2545f4914f6cdd1dULL)) : rc_seed;
    params.maxSuccess = opt.seconds > 0 ? kBatchCases : static_cast<int>(std::min<std::uint64_t>(cases, INT_MAX));
    params.maxSize = 100;
    params.maxDiscardRatio = 10;
    params.disableShrinking = false;
    if (params.maxSuccess == 0) break;
    const rc::detail::TestResult r = rc::detail::checkProperty(property, meta, params, listener, no_reproduce);

    rc::detail::FailureResult failure;
    rc::detail::GaveUpResult gave_up;
    rc::detail::Error error;
    if (r.match(failure)) {
      if (!st.harness_error.empty()) out.error = st.harness_error;
      else if (st.last) out.failure = st.last;
      else out.error = "property failed outside any op: " + failure.description;
      break;
    }
    if (r.match(gave_up)) {
      out.error = "RapidCheck gave up: " + gave_up.description;
      break;
    }
    if (r.match(error)) {
      out.error = "RapidCheck error: " + error.description;
      break;
    }
    if (opt.seconds <= 0 || Clock::now() >= deadline) break;
  }
  out.cases = st.cases;
  out.ops = st.ops;
  return out;
}

}  // namespace ptspec::props::detail
