// Shared scaffolding of the mutation tests: a table of (mutant, lemma it must
// break), the check that the mutant's catalogue breaks that lemma, and the
// check that every lemma of a format is broken by some mutant. Each format's
// test file defines its mutants and its `mut<L>` (which catalogue template
// to instantiate with the mutated logic).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "solver/lemma.hpp"

namespace ptspec::solver::mutation {

struct Mutation {
  std::string mutant;
  std::string lemma;
  std::function<std::vector<Lemma>()> catalogue;  // the catalogue built over the mutant
};

inline void PrintTo(const Mutation& m, std::ostream* os) { *os << m.mutant << " vs " << m.lemma; }

inline const Lemma& lemma_in(const std::vector<Lemma>& cat, const std::string& name) {
  for (const Lemma& l : cat)
    if (l.name == name) return l;
  throw std::runtime_error("no lemma " + name);
}

// gtest parameter names: "mutant__lemma" with '-' as '_'.
inline std::string mutation_name(const ::testing::TestParamInfo<Mutation>& info) {
  std::string s = info.param.mutant + "__" + info.param.lemma;
  for (char& ch : s)
    if (ch == '-') ch = '_';
  return s;
}

// The mutated lemma is the catalogue's own (same statement, expectation and
// format) and no longer gives its expected outcome: a lemma expected proved
// yields a counterexample, one expected to find a counterexample is proved.
inline void expect_mutation_breaks(const Mutation& m, const std::string& format) {
  const std::vector<Lemma> cat = m.catalogue();
  const Lemma& l = lemma_in(cat, m.lemma);
  const Lemma* orig = find_lemma(m.lemma);
  ASSERT_NE(orig, nullptr);
  EXPECT_EQ(l.statement, orig->statement);
  EXPECT_EQ(l.expected, orig->expected);
  EXPECT_EQ(orig->format, format);

  LemmaResult r = run_lemma(l);
  EXPECT_FALSE(r.passed()) << m.mutant << " did not break " << m.lemma << ": " << r.message;
  if (l.expected == Expect::Proved) {
    EXPECT_EQ(r.outcome, Outcome::Counterexample) << r.message;
    EXPECT_FALSE(r.counterexample.empty());
  } else {
    EXPECT_EQ(r.outcome, Outcome::Proved) << r.message;
  }
  ::testing::Test::RecordProperty("counterexample", r.counterexample_text());
}

// Every lemma of `format` is broken by at least one mutation of the table.
inline void expect_every_lemma_broken(const std::vector<Mutation>& table, const std::string& format) {
  std::set<std::string> covered;
  for (const Mutation& m : table) covered.insert(m.lemma);
  for (const Lemma* l : lemmas_of_format(format)) EXPECT_TRUE(covered.count(l->name)) << l->name;
}

}  // namespace ptspec::solver::mutation
