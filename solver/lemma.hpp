// The lemma catalogue and its runner.
//
// A lemma is a claim about a format's entry logic, built by instantiating the
// model's own templates with the Symbolic domain, and proved for all inputs:
// the runner asserts the claim's negation and asks Z3 for a model. unsat means
// the claim holds for every value (Proved); sat gives a counterexample, whose
// variables are reported as concrete 64-bit values. `unknown` and timeouts are
// outcomes of their own and never count as a pass (STYLE.md, Isla).
#pragma once

#include <z3++.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ptspec::solver {

enum class Outcome : std::uint8_t { Proved, Counterexample, Unknown, Timeout, Error };
// What a lemma is expected to yield. Most lemmas are expected to be proved; a
// lemma may document a known defect (e.g. the seed's owner layout) and expect
// the solver to find a counterexample.
enum class Expect : std::uint8_t { Proved, Counterexample };

// "proved", "counterexample", "unknown", "timeout", "error".
std::string_view outcome_name(Outcome o);
// "proved", "counterexample".
std::string_view expect_name(Expect e);
std::optional<Outcome> outcome_from_name(std::string_view s);
std::optional<Expect> expect_from_name(std::string_view s);

// A term whose value is reported with a counterexample (a variable, or any
// term over the variables, e.g. the entry they build). Bit-vectors of up to 64
// bits and Booleans (0/1) are supported.
struct Reported {
  std::string name;
  z3::expr value;
};

// Configuration labels of one proof obligation, e.g. {{"granule", 4096}, {"level", 2}}.
using Labels = std::vector<std::pair<std::string, std::uint64_t>>;

// One Z3 Boolean that must hold for every value of its free variables, in the
// configuration its labels name.
struct Obligation {
  z3::expr holds;
  Labels labels;
};

// What a lemma builder returns: the claim -- the conjunction of its
// obligations (most lemmas have one; a lemma over a family of configurations
// has one per configuration, proved separately, which is much faster than one
// big conjunction) -- and the terms to report if it does not hold.
struct Claim {
  std::vector<Obligation> obligations;
  std::vector<Reported> report;

  Claim(z3::expr holds, std::vector<Reported> rep = {})
      : obligations{Obligation{std::move(holds), {}}}, report(std::move(rep)) {}
  Claim(std::vector<Obligation> obs, std::vector<Reported> rep)
      : obligations(std::move(obs)), report(std::move(rep)) {}

  // The whole claim as one Boolean (needs at least one obligation).
  z3::expr conjunction() const;
};

using LemmaBuilder = std::function<Claim(z3::context&)>;

struct Lemma {
  std::string format;     // e.g. "arm64.stage2"
  std::string name;       // kebab-case, unique in the catalogue
  std::string statement;  // one sentence a person can check against the source
  Expect expected = Expect::Proved;
  unsigned time_limit_ms = 10'000;
  LemmaBuilder build;
};

struct LemmaResult {
  std::string format;
  std::string name;
  std::string statement;
  Expect expected = Expect::Proved;
  Outcome outcome = Outcome::Error;
  double seconds = 0;
  // Counterexample values (empty unless outcome == Counterexample): the
  // failing obligation's labels, then the lemma's reported terms, in order.
  std::vector<std::pair<std::string, std::uint64_t>> counterexample;
  std::size_t obligations = 0;         // in the claim
  std::size_t obligations_proved = 0;  // proved before the outcome was decided
  std::string message;  // what happened, in words (reason for unknown, error text, values)

  // True only if the outcome is the expected one. Unknown, Timeout and Error
  // are never passes.
  bool passed() const;
  // The reported value named `name`, if the counterexample has it.
  std::optional<std::uint64_t> value(std::string_view name) const;
  // "owner=0x0 sw=0x8 ..." (hex).
  std::string counterexample_text() const;
};

// Every lemma of every format, in registration order (built once).
const std::vector<Lemma>& lemma_catalogue();
// By name ("owner-round-trip-upstream"), or qualified by format
// ("arm64.stage2/owner-round-trip-upstream"); nullptr if unknown.
const Lemma* find_lemma(std::string_view name);
// The lemmas of one format, in catalogue order.
std::vector<const Lemma*> lemmas_of_format(std::string_view format);
// The formats that have lemmas, in catalogue order.
std::vector<std::string> lemma_formats();

// Proves one lemma in a fresh Z3 context: for each obligation, asserts its
// negation in a fresh solver and checks; unsat for all -> Proved; the first
// sat -> Counterexample; unknown -> Unknown, or Timeout when Z3 gave up on
// time. `timeout_ms_override` (if non-zero) replaces the lemma's own time
// limit, which bounds the whole lemma (all obligations). Never throws for solver trouble: Z3
// exceptions and builder errors become Outcome::Error with the message.
LemmaResult run_lemma(const Lemma& lemma, unsigned timeout_ms_override = 0);

// ---- per-format registration (one file per format, called by the catalogue) ----
void register_arm64_stage2_lemmas(std::vector<Lemma>& out);
void register_x86_sppt_lemmas(std::vector<Lemma>& out);

}  // namespace ptspec::solver
