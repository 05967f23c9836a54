#include "solver/lemma.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace ptspec::solver {

namespace {

// Z3's "timeout" parameter is a one-shot timer that sets the context's cancel
// flag. When it fires before the solver is far enough into check() (a 1 ms
// budget on a loaded machine), check() resets the flag and then runs without
// any limit: we saw a 1 ms factoring claim run for minutes. This watchdog
// interrupts the context (Z3_interrupt, safe from another thread) once the
// budget plus a grace period is spent, and again every 20 ms until check()
// returns, so a lost interrupt only delays the timeout.
class Watchdog {
 public:
  Watchdog(z3::context& ctx, unsigned budget_ms)
      : thread_([this, &ctx, budget_ms] {
          std::unique_lock<std::mutex> lock(mu_);
          if (cv_.wait_for(lock, std::chrono::milliseconds(budget_ms) + std::chrono::milliseconds(50),
                           [this] { return done_; }))
            return;
          do ctx.interrupt();
          while (!cv_.wait_for(lock, std::chrono::milliseconds(20), [this] { return done_; }));
        }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Proved: return "proved";
    case Outcome::Counterexample: return "counterexample";
    case Outcome::Unknown: return "unknown";
    case Outcome::Timeout: return "timeout";
    case Outcome::Error: return "error";
  }
  return "error";
}

std::string_view expect_name(Expect e) {
  return e == Expect::Proved ? "proved" : "counterexample";
}

std::optional<Outcome> outcome_from_name(std::string_view s) {
  for (Outcome o : {Outcome::Proved, Outcome::Counterexample, Outcome::Unknown, Outcome::Timeout,
                    Outcome::Error})
    if (outcome_name(o) == s) return o;
  return std::nullopt;
}

std::optional<Expect> expect_from_name(std::string_view s) {
  if (s == "proved") return Expect::Proved;
  if (s == "counterexample") return Expect::Counterexample;
  return std::nullopt;
}

bool LemmaResult::passed() const {
  switch (outcome) {
    case Outcome::Proved: return expected == Expect::Proved;
    case Outcome::Counterexample: return expected == Expect::Counterexample;
    case Outcome::Unknown:
    case Outcome::Timeout:
    case Outcome::Error: return false;
  }
  return false;
}

std::optional<std::uint64_t> LemmaResult::value(std::string_view n) const {
  for (const auto& [k, v] : counterexample)
    if (k == n) return v;
  return std::nullopt;
}

std::string LemmaResult::counterexample_text() const {
  std::string s;
  for (const auto& [k, v] : counterexample) {
    if (!s.empty()) s += ' ';
    s += fmt::format("{}={:#x}", k, v);
  }
  return s;
}

z3::expr Claim::conjunction() const {
  if (obligations.empty()) throw z3::exception("claim without obligations");
  z3::expr all = obligations.front().holds;
  for (std::size_t i = 1; i < obligations.size(); ++i) all = all && obligations[i].holds;
  return all;
}

namespace {

// The value of `e` in `m`, completed (unconstrained variables get a value).
std::uint64_t eval_u64(const z3::model& m, const z3::expr& e) {
  z3::expr v = m.eval(e, true);
  if (v.is_bool()) {
    if (v.is_true()) return 1;
    if (v.is_false()) return 0;
    throw z3::exception("reported Boolean has no concrete value");
  }
  if (!v.is_bv()) throw z3::exception("reported term is neither a bit-vector nor a Boolean");
  if (v.get_sort().bv_size() > 64) throw z3::exception("reported bit-vector is wider than 64 bits");
  std::uint64_t out = 0;
  if (!v.is_numeral_u64(out)) throw z3::exception("reported bit-vector has no concrete value");
  return out;
}

bool says_timeout(const std::string& reason) {
  return reason.find("timeout") != std::string::npos || reason.find("canceled") != std::string::npos ||
         reason.find("cancelled") != std::string::npos;
}

}  // namespace

LemmaResult run_lemma(const Lemma& lemma, unsigned timeout_ms_override) {
  LemmaResult r;
  r.format = lemma.format;
  r.name = lemma.name;
  r.statement = lemma.statement;
  r.expected = lemma.expected;
  const unsigned limit_ms = timeout_ms_override ? timeout_ms_override : lemma.time_limit_ms;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  try {
    if (!lemma.build) throw z3::exception("lemma has no builder");
    z3::context ctx;
    Claim claim = lemma.build(ctx);
    r.obligations = claim.obligations.size();
    if (claim.obligations.empty()) throw z3::exception("the lemma's claim has no obligation");
    r.outcome = Outcome::Proved;
    r.message = "proved: the negation is unsatisfiable";
    for (const Obligation& ob : claim.obligations) {
      if (!ob.holds.is_bool()) throw z3::exception("the lemma's claim is not a Boolean");
      const double spent_ms = elapsed() * 1000.0;
      if (spent_ms >= limit_ms) {
        r.outcome = Outcome::Timeout;
        r.message = fmt::format("timeout after {} ms ({} of {} obligations proved)", limit_ms,
                                r.obligations_proved, r.obligations);
        break;
      }
      const unsigned budget = std::max(1u, limit_ms - static_cast<unsigned>(spent_ms));
      z3::solver s(ctx);
      z3::params p(ctx);
      p.set("timeout", budget);
      s.set(p);
      s.add(!ob.holds);
      bool decided = false;
      z3::check_result verdict;
      {
        Watchdog watchdog(ctx, budget);
        verdict = s.check();
      }
      switch (verdict) {
        case z3::unsat:
          ++r.obligations_proved;
          break;
        case z3::sat: {
          decided = true;
          r.outcome = Outcome::Counterexample;
          z3::model m = s.get_model();
          for (const auto& [k, v] : ob.labels) r.counterexample.emplace_back(k, v);
          for (const Reported& rep : claim.report) r.counterexample.emplace_back(rep.name, eval_u64(m, rep.value));
          r.message = "counterexample: " + r.counterexample_text();
          break;
        }
        case z3::unknown: {
          decided = true;
          const std::string reason = s.reason_unknown();
          if (says_timeout(reason) || elapsed() * 1000.0 >= limit_ms) {
            r.outcome = Outcome::Timeout;
            r.message = fmt::format("timeout after {} ms ({}; {} of {} obligations proved)", limit_ms, reason,
                                    r.obligations_proved, r.obligations);
          } else {
            r.outcome = Outcome::Unknown;
            r.message = "unknown: " + reason;
          }
          break;
        }
      }
      if (decided) break;
    }
  } catch (const z3::exception& e) {
    r.outcome = Outcome::Error;
    r.counterexample.clear();
    r.message = std::string("z3 error: ") + e.msg();
  } catch (const std::exception& e) {
    r.outcome = Outcome::Error;
    r.counterexample.clear();
    r.message = std::string("error: ") + e.what();
  }
  r.seconds = elapsed();
  return r;
}

}  // namespace ptspec::solver
