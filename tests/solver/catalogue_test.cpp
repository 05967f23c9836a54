// The catalogue: well-formed entries, and every lemma returns its expected
// outcome (each lemma is its own test case, so CTest shows them one by one).
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "model/arm64/stage2_desc.hpp"
#include "solver/lemma.hpp"

namespace ptspec::solver {
namespace {

TEST(Catalogue, NamesAreUniqueKebabCaseWithFormatAndStatement) {
  const std::regex kebab("[a-z0-9]+(-[a-z0-9]+)*");
  std::set<std::string> names;
  ASSERT_FALSE(lemma_catalogue().empty());
  for (const Lemma& l : lemma_catalogue()) {
    EXPECT_TRUE(names.insert(l.name).second) << "duplicate lemma name " << l.name;
    EXPECT_TRUE(std::regex_match(l.name, kebab)) << l.name;
    EXPECT_FALSE(l.format.empty()) << l.name;
    EXPECT_GT(l.statement.size(), 20u) << l.name;
    EXPECT_TRUE(static_cast<bool>(l.build)) << l.name;
    EXPECT_GT(l.time_limit_ms, 0u) << l.name;
  }
}

TEST(Catalogue, Arm64Stage2HasItsLemmas) {
  EXPECT_GE(lemmas_of_format("arm64.stage2").size(), 14u);
  const std::vector<std::string> formats = lemma_formats();
  ASSERT_FALSE(formats.empty());
  EXPECT_EQ(formats.front(), "arm64.stage2");
  const Lemma* seed = find_lemma("owner-survives-sw-bits-seed");
  ASSERT_NE(seed, nullptr);
  EXPECT_EQ(seed->expected, Expect::Counterexample);
  EXPECT_EQ(find_lemma("arm64.stage2/owner-survives-sw-bits-seed"), seed);
  EXPECT_EQ(find_lemma("x86.ept/owner-survives-sw-bits-seed"), nullptr);
  EXPECT_EQ(find_lemma("no-such-lemma"), nullptr);
  EXPECT_EQ(find_lemma(""), nullptr);
}

TEST(Catalogue, X86EptHasItsLemmas) {
  const std::vector<const Lemma*> ept = lemmas_of_format("x86.ept");
  EXPECT_GE(ept.size(), 12u);
  for (const Lemma* l : ept) {
    EXPECT_TRUE(l->name.starts_with("ept-")) << l->name;
    EXPECT_EQ(l->expected, Expect::Proved) << l->name;
  }
  const Lemma* present = find_lemma("x86.ept/ept-present-iff-rwx");
  ASSERT_NE(present, nullptr);
  EXPECT_EQ(present->format, "x86.ept");
  EXPECT_EQ(find_lemma("x86.sppt/ept-present-iff-rwx"), nullptr);
}

TEST(Catalogue, X86PagingHasItsLemmas) {
  const std::vector<const Lemma*> paging = lemmas_of_format("x86.paging");
  EXPECT_GE(paging.size(), 6u);
  for (const Lemma* l : paging) {
    EXPECT_TRUE(l->name.starts_with("paging-")) << l->name;
    EXPECT_EQ(l->expected, Expect::Proved) << l->name;
  }
  const Lemma* agree = find_lemma("x86.paging/paging-intel-amd-pdpte-agree");
  ASSERT_NE(agree, nullptr);
  EXPECT_EQ(agree->format, "x86.paging");
  EXPECT_EQ(find_lemma("x86.ept/paging-intel-amd-pdpte-agree"), nullptr);
}

TEST(Catalogue, X86ShadowHasItsLemmas) {
  const std::vector<const Lemma*> shadow = lemmas_of_format("x86.shadow");
  EXPECT_GE(shadow.size(), 10u);
  for (const Lemma* l : shadow) {
    EXPECT_TRUE(l->name.starts_with("shadow-")) << l->name;
    EXPECT_EQ(l->expected, Expect::Proved) << l->name;
  }
  const Lemma* pae = find_lemma("x86.shadow/shadow-pae-root-iff-level-3");
  ASSERT_NE(pae, nullptr);
  EXPECT_EQ(pae->format, "x86.shadow");
  EXPECT_EQ(find_lemma("x86.ept/shadow-pae-root-iff-level-3"), nullptr);
}

TEST(Catalogue, X86TdxHasItsLemmas) {
  const std::vector<const Lemma*> tdx = lemmas_of_format("x86.tdx");
  EXPECT_GE(tdx.size(), 10u);
  for (const Lemma* l : tdx) {
    EXPECT_TRUE(l->name.starts_with("tdx-")) << l->name;
    EXPECT_EQ(l->expected, Expect::Proved) << l->name;
  }
  const Lemma* safe = find_lemma("x86.tdx/tdx-remove-safe-for-every-vcpu");
  ASSERT_NE(safe, nullptr);
  EXPECT_EQ(safe->format, "x86.tdx");
  EXPECT_EQ(find_lemma("x86.ept/tdx-remove-safe-for-every-vcpu"), nullptr);
}

TEST(Catalogue, Arm64Stage1HasItsLemmas) {
  const std::vector<const Lemma*> s1 = lemmas_of_format("arm64.stage1");
  EXPECT_GE(s1.size(), 8u);
  for (const Lemma* l : s1) EXPECT_TRUE(l->name.starts_with("stage1-")) << l->name;
  const Lemma* perms = find_lemma("arm64.stage1/stage1-perms-match-arm-table");
  ASSERT_NE(perms, nullptr);
  EXPECT_EQ(perms->format, "arm64.stage1");
  EXPECT_EQ(find_lemma("arm64.stage2/stage1-perms-match-arm-table"), nullptr);
}

// The seed layout's counterexample is real: replaying its values through the
// model's concrete templates shows the owner id changing.
TEST(Catalogue, SeedOwnerOverlapCounterexampleReplaysConcretely) {
  LemmaResult r = run_lemma(*find_lemma("owner-survives-sw-bits-seed"));
  ASSERT_EQ(r.outcome, Outcome::Counterexample) << r.message;
  EXPECT_TRUE(r.passed());
  const std::uint64_t owner = *r.value("owner");
  const std::uint64_t sw = *r.value("sw");
  EXPECT_LE(owner, 0xffu);
  EXPECT_LE(sw, 0xfu);
  namespace s2 = arm64::s2;
  Concrete k;
  const std::uint64_t pte = s2::with_sw(k, s2::make_owner(k, s2::OwnerLayout::Seed, owner), sw);
  EXPECT_EQ(pte, *r.value("pte"));
  EXPECT_NE(s2::owner_of(k, s2::OwnerLayout::Seed, pte), owner);
  EXPECT_EQ(s2::owner_of(k, s2::OwnerLayout::Seed, pte), *r.value("owner_read"));
  // The same values are harmless in the upstream layout.
  const std::uint64_t up = s2::with_sw(k, s2::make_owner(k, s2::OwnerLayout::Upstream, owner), sw);
  EXPECT_EQ(s2::owner_of(k, s2::OwnerLayout::Upstream, up), owner);
}

class EveryLemma : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryLemma, ReturnsItsExpectedOutcome) {
  const Lemma* l = find_lemma(GetParam());
  ASSERT_NE(l, nullptr);
  LemmaResult r = run_lemma(*l);
  EXPECT_TRUE(r.passed()) << l->name << ": expected " << expect_name(l->expected) << ", got "
                          << outcome_name(r.outcome) << " (" << r.message << ")";
  if (r.outcome == Outcome::Counterexample) {
    EXPECT_FALSE(r.counterexample.empty());
  }
  RecordProperty("seconds", std::to_string(r.seconds));
}

std::vector<std::string> all_names() {
  std::vector<std::string> out;
  for (const Lemma& l : lemma_catalogue()) out.push_back(l.name);
  return out;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& ch : s)
    if (ch == '-') ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Catalogue, EveryLemma, ::testing::ValuesIn(all_names()), test_name);

}  // namespace
}  // namespace ptspec::solver
