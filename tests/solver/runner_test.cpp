// The lemma runner: one test per outcome (proved, counterexample with values,
// unknown/timeout, error), and "only the expected outcome passes".
#include <gtest/gtest.h>

#include "model/core/errors.hpp"
#include "solver/cases.hpp"
#include "solver/lemma.hpp"
#include "solver/symbolic.hpp"

namespace ptspec::solver {
namespace {

Lemma make(std::string name, Expect e, LemmaBuilder b, unsigned ms = 5000) {
  return Lemma{"test", std::move(name), "a test lemma", e, ms, std::move(b)};
}

TEST(Runner, ProvedWhenTheNegationIsUnsat) {
  Lemma l = make("and-zero", Expect::Proved, [](z3::context& c) {
    Symbolic d(c);
    z3::expr x = d.var("x");
    return Claim((x & d.lit(0)) == d.lit(0) && d.ule(x & d.lit(0xff), d.lit(0xff)), {{"x", x}});
  });
  LemmaResult r = run_lemma(l);
  EXPECT_EQ(r.outcome, Outcome::Proved) << r.message;
  EXPECT_TRUE(r.passed());
  EXPECT_TRUE(r.counterexample.empty());
  EXPECT_EQ(r.obligations, 1u);
  EXPECT_EQ(r.obligations_proved, 1u);
  EXPECT_EQ(r.format, "test");
  EXPECT_EQ(r.name, "and-zero");
  EXPECT_GE(r.seconds, 0.0);
}

TEST(Runner, CounterexampleReportsConcreteValues) {
  auto build = [](z3::context& c) {
    Symbolic d(c);
    z3::expr x = d.var("x");
    z3::expr b = d.bvar("b");
    // Fails exactly for x > 0x100 with the top bit clear, whatever b is.
    return Claim(d.ule(x, d.lit(0x100)) || d.uge(x, d.lit(std::uint64_t{1} << 63)),
                 {{"x", x}, {"b", b}, {"x_plus_1", x + d.lit(1)}});
  };
  LemmaResult r = run_lemma(make("small", Expect::Proved, build));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  EXPECT_FALSE(r.passed());
  ASSERT_EQ(r.counterexample.size(), 3u);
  EXPECT_EQ(r.counterexample[0].first, "x");
  const std::uint64_t x = *r.value("x");
  EXPECT_GT(x, 0x100u);
  EXPECT_LT(x, std::uint64_t{1} << 63);
  EXPECT_EQ(*r.value("x_plus_1"), x + 1);
  EXPECT_LE(*r.value("b"), 1u);  // Booleans report as 0/1 (completed if unconstrained)
  EXPECT_FALSE(r.value("nope").has_value());
  EXPECT_NE(r.message.find("x=0x"), std::string::npos) << r.message;

  // The same result is a pass when a counterexample is what the lemma expects.
  LemmaResult r2 = run_lemma(make("small", Expect::Counterexample, build));
  EXPECT_EQ(r2.outcome, Outcome::Counterexample);
  EXPECT_TRUE(r2.passed());
}

TEST(Runner, ExpectedCounterexampleThatIsProvedFails) {
  LemmaResult r = run_lemma(make("true", Expect::Counterexample, [](z3::context& c) {
    Symbolic d(c);
    z3::expr x = d.var("x");
    return Claim(x == x, {{"x", x}});
  }));
  EXPECT_EQ(r.outcome, Outcome::Proved);
  EXPECT_FALSE(r.passed());
}

TEST(Runner, ObligationsAreProvedSeparatelyAndLabelTheFailure) {
  LemmaResult r = run_lemma(make("cases", Expect::Proved, [](z3::context& c) {
    Symbolic d(c);
    z3::expr x = d.var("x");
    CaseSplit cases;
    for (unsigned shift : {4u, 8u, 12u})
      // holds for 4 and 8; for 12 the mask 0xfff is not within 0x3ff.
      cases.add(d.ule(x & d.lit((std::uint64_t{1} << shift) - 1), d.lit(0x3ff)), {{"shift", shift}});
    return cases.claim({{"x", x}});
  }));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  EXPECT_EQ(r.obligations, 3u);
  EXPECT_EQ(r.obligations_proved, 2u);
  EXPECT_EQ(*r.value("shift"), 12u);
  EXPECT_GT(*r.value("x") & 0xfff, 0x3ffu);
  EXPECT_EQ(r.counterexample.front().first, "shift");  // labels first, then the reported terms
}

// Factoring a 62-bit semiprime: far beyond 1 ms. Must come back as timeout or
// unknown, and neither is ever a pass.
Claim hard_claim(z3::context& c) {
  Symbolic d(c);
  z3::expr x = d.var("x"), y = d.var("y");
  const std::uint64_t p = 2147483647, q = 2147483629;  // 2^31-1 and a prime below it
  z3::expr small = d.ult(x, d.lit(std::uint64_t{1} << 32)) && d.ult(y, d.lit(std::uint64_t{1} << 32));
  z3::expr nontrivial = d.ult(d.lit(1), x) && d.ult(d.lit(1), y);
  return Claim(!(small && nontrivial && x * y == d.lit(p * q)), {{"x", x}, {"y", y}});
}

TEST(Runner, HardClaimWithTinyLimitIsTimeoutOrUnknownAndNeverPasses) {
  for (Expect e : {Expect::Proved, Expect::Counterexample}) {
    LemmaResult r = run_lemma(make("factor", e, hard_claim, 1));
    EXPECT_TRUE(r.outcome == Outcome::Timeout || r.outcome == Outcome::Unknown)
        << outcome_name(r.outcome) << ": " << r.message;
    EXPECT_FALSE(r.passed());
    EXPECT_TRUE(r.counterexample.empty());
  }
  // The override replaces the lemma's own limit.
  LemmaResult r = run_lemma(make("factor", Expect::Counterexample, hard_claim, 600'000), 1);
  EXPECT_TRUE(r.outcome == Outcome::Timeout || r.outcome == Outcome::Unknown) << r.message;
  EXPECT_LT(r.seconds, 60.0);
}

TEST(Runner, ErrorsAreReportedNotThrown) {
  std::vector<Lemma> bad = {
      make("throws-z3", Expect::Proved, [](z3::context&) -> Claim { throw z3::exception("boom"); }),
      make("sort-mismatch", Expect::Proved,
           [](z3::context& c) {
             Symbolic d(c);
             return Claim(d.var("x") == d.blit(true));  // bit-vector == Boolean: Z3 refuses
           }),
      make("not-boolean", Expect::Proved, [](z3::context& c) { return Claim(Symbolic(c).var("x")); }),
      make("no-obligation", Expect::Proved, [](z3::context&) { return Claim(std::vector<Obligation>{}, {}); }),
      make("input-error", Expect::Counterexample,
           [](z3::context&) -> Claim { throw InputError("config.granule: 3 is not a granule"); }),
      make("no-builder", Expect::Proved, nullptr),
  };
  for (const Lemma& l : bad) {
    LemmaResult r;
    EXPECT_NO_THROW(r = run_lemma(l)) << l.name;
    EXPECT_EQ(r.outcome, Outcome::Error) << l.name << ": " << r.message;
    EXPECT_FALSE(r.passed()) << l.name;
    EXPECT_FALSE(r.message.empty()) << l.name;
  }
  EXPECT_NE(run_lemma(bad[0]).message.find("boom"), std::string::npos);
  EXPECT_NE(run_lemma(bad[4]).message.find("config.granule"), std::string::npos);
}

TEST(Runner, ReportingATermThatIsNotAWordIsAnError) {
  LemmaResult r = run_lemma(make("bad-report", Expect::Proved, [](z3::context& c) {
    Symbolic d(c);
    z3::expr x = d.var("x");
    return Claim(x == d.lit(0), {{"wide", z3::concat(x, x)}});
  }));
  EXPECT_EQ(r.outcome, Outcome::Error) << r.message;
  EXPECT_FALSE(r.passed());
}

TEST(Runner, OutcomeAndExpectNames) {
  EXPECT_EQ(outcome_name(Outcome::Proved), "proved");
  EXPECT_EQ(outcome_name(Outcome::Counterexample), "counterexample");
  EXPECT_EQ(outcome_name(Outcome::Unknown), "unknown");
  EXPECT_EQ(outcome_name(Outcome::Timeout), "timeout");
  EXPECT_EQ(outcome_name(Outcome::Error), "error");
  EXPECT_EQ(expect_name(Expect::Proved), "proved");
  EXPECT_EQ(expect_name(Expect::Counterexample), "counterexample");
  for (Outcome o : {Outcome::Proved, Outcome::Counterexample, Outcome::Unknown, Outcome::Timeout, Outcome::Error})
    EXPECT_EQ(outcome_from_name(outcome_name(o)), o);
  EXPECT_EQ(expect_from_name("counterexample"), Expect::Counterexample);
  EXPECT_FALSE(outcome_from_name("passed").has_value());
  EXPECT_FALSE(expect_from_name("timeout").has_value());
}

TEST(Runner, PassedOnlyForTheExpectedOutcome) {
  LemmaResult r;
  for (Outcome o : {Outcome::Proved, Outcome::Counterexample, Outcome::Unknown, Outcome::Timeout, Outcome::Error}) {
    for (Expect e : {Expect::Proved, Expect::Counterexample}) {
      r.outcome = o;
      r.expected = e;
      const bool want = (o == Outcome::Proved && e == Expect::Proved) ||
                        (o == Outcome::Counterexample && e == Expect::Counterexample);
      EXPECT_EQ(r.passed(), want) << outcome_name(o) << "/" << expect_name(e);
    }
  }
}

}  // namespace
}  // namespace ptspec::solver
