// Replay of small in-memory cases: steps, events, expectations, variants,
// the trace, and session errors that name the op.
#include <gtest/gtest.h>

#include <sstream>

#include "model/core/errors.hpp"
#include "properties/arm64/stage2_driver.hpp"
#include "properties/case.hpp"
#include "properties/corpus.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {
namespace {

Case make_case(const std::string& ops, const std::string& extra = "") {
  return parse_case(Json::parse(R"({"schema": 1, "format": "arm64.stage2", "config": {"granule": 4096, "ia_bits": 40},
                                    "origin": "seed", "note": "test", )" +
                                extra + R"("ops": )" + ops + "}"),
                    "");
}

bool any_of(const ReplayResult& r, const std::string& invariant) {
  for (const auto& v : r.violations)
    if (v.invariant == invariant) return true;
  return false;
}

TEST(Replay, SmallCaseHoldsWithEventsAndTrace) {
  const Case c = make_case(R"([
      {"op": "map", "addr": "0x40000000", "size": "0x200000", "phys": "0x80000000", "prot": "rw", "expect": 0},
      {"op": "set_owner", "addr": "0x40001000", "size": "0x1000", "owner": 1, "expect": 0},
      {"op": "expect_walk", "addr": "0x40001000", "result": {"fault": "translation", "owner": 1, "level": 3}},
      {"op": "expect_tables", "count": 4},
      {"op": "expect_refcount", "addr": "0x40001000", "level": 3, "count": 2}])");
  const ReplayResult r = replay(c);
  EXPECT_TRUE(r.holds);
  EXPECT_TRUE(r.as_expected);
  ASSERT_EQ(r.steps.size(), 5u);
  // set_owner over part of the block: block cleared (+TLBI), table installed, annotation written.
  const StepReport& s = r.steps[1];
  std::size_t writes = 0, tlbis = 0;
  for (const Event& e : s.events) {
    writes += e.kind == EventKind::Write;
    tlbis += e.kind == EventKind::TlbiAddr || e.kind == EventKind::TlbiAll;
  }
  EXPECT_EQ(writes, 3u);
  EXPECT_GE(tlbis, 1u);
  EXPECT_EQ(s.trace.size(), s.events.size());
  EXPECT_NE(r.final_dump.find("L3 table"), std::string::npos) << r.final_dump;

  std::ostringstream os;
  print_trace(os, c, r);
  const std::string t = os.str();
  EXPECT_NE(t.find("ops[1] {\"op\": \"set_owner\""), std::string::npos) << t;
  EXPECT_NE(t.find("block -> 0x80000000 rw- AF => invalid"), std::string::npos) << t;
  EXPECT_NE(t.find("AS EXPECTED"), std::string::npos) << t;
}

TEST(Replay, WrongExpectationsAreViolations) {
  const Case c = make_case(R"([
      {"op": "map", "addr": "0x40000000", "size": "0x1000", "phys": "0x80000000", "prot": "rw", "expect": "-EAGAIN"},
      {"op": "expect_walk", "addr": "0x40000000", "result": {"pa": "0x90000000"}},
      {"op": "expect_tables", "count": 7}])");
  ReplayOptions all;
  all.stop_at_first_violation = false;
  const ReplayResult r = replay(c, all);
  EXPECT_FALSE(r.holds);
  EXPECT_FALSE(r.as_expected);
  ASSERT_EQ(r.violations.size(), 3u);
  for (const auto& v : r.violations) EXPECT_EQ(v.invariant, "expectation");
  EXPECT_NE(r.violations[0].detail.find("ops[0] map: returned 0, the case expects -EAGAIN"), std::string::npos)
      << r.violations[0].detail;
  EXPECT_NE(r.violations[1].detail.find("pa 0x90000000 expected, walk gives 0x80000000"), std::string::npos)
      << r.violations[1].detail;
  // Stopping at the first violation runs one op.
  EXPECT_EQ(replay(c).steps.size(), 1u);
}

TEST(Replay, VariantFromTheCaseOrTheOptions) {
  const std::string ops = R"([
      {"op": "map", "addr": "0x40000000", "size": "0x1000", "phys": "0x80000000", "prot": "rw"},
      {"op": "map", "addr": "0x40000000", "size": "0x1000", "phys": "0x90000000", "prot": "rw"}])";
  const Case correct = make_case(ops);
  EXPECT_TRUE(replay(correct).holds);
  ReplayOptions leak;
  leak.variant = "leak-on-valid-update";
  const ReplayResult r = replay(correct, leak);
  EXPECT_FALSE(r.holds);
  EXPECT_TRUE(any_of(r, "refcount"));

  const Case bug = make_case(ops, R"("variant": "leak-on-valid-update", "expect": {"holds": false, "violation": "refcount"}, )");
  const ReplayResult b = replay(bug);
  EXPECT_FALSE(b.holds);
  EXPECT_TRUE(b.as_expected);
  const Case wrong_name = make_case(ops, R"("variant": "leak-on-valid-update", "expect": {"holds": false, "violation": "bbm"}, )");
  EXPECT_FALSE(replay(wrong_name).as_expected);
}

TEST(Replay, FailedOpsLeaveTablesUnchangedAndCheckingGoesOn) {
  const Case c = make_case(R"([
      {"op": "memcache", "pages": 1},
      {"op": "map", "addr": "0x40000000", "size": "0x1000", "phys": "0x80000000", "prot": "rw", "expect": "-ENOMEM"},
      {"op": "memcache", "pages": "auto"},
      {"op": "map", "addr": "0x40000000", "size": "0x1000", "phys": "0x80000000", "prot": "rw", "expect": 0},
      {"op": "expect_tables", "count": 4}])");
  const ReplayResult r = replay(c);
  EXPECT_TRUE(r.holds) << (r.violations.empty() ? "" : r.violations[0].detail);
  ASSERT_EQ(r.steps.size(), 5u);
  EXPECT_EQ(r.steps[1].ret, kEnomem);
  ASSERT_FALSE(r.steps[1].events.empty());
  EXPECT_EQ(r.steps[1].events.front().kind, EventKind::Rollback);
}

// The historical bugs are bugs of their variants only: on the correct model
// the same ops hold (owner-overwrites-sw-bits: the correct model refuses
// software bits in a seed-layout annotation with -EINVAL, spec and model alike).
TEST(Replay, BugCasesHoldOnTheCorrectModel) {
  ReplayOptions correct;
  correct.variant = "none";
  std::size_t bugs = 0;
  for (const auto& e : list_corpus(PTSPEC_CORPUS_DIR, "arm64.stage2")) {
    if (e.origin != Origin::Bug) continue;
    ++bugs;
    const Case c = load_case_file(e.path);
    ASSERT_FALSE(c.variant.empty()) << e.path << ": a bug case names its variant";
    EXPECT_FALSE(replay(c).holds) << e.path;
    const ReplayResult r = replay(c, correct);
    EXPECT_TRUE(r.holds) << e.path << ": " << (r.violations.empty() ? "" : r.violations[0].detail);
  }
  EXPECT_GE(bugs, 2u);
}

TEST(Replay, WriteEntryWithoutATableNamesTheOp) {
  const Case c = make_case(R"([{"op": "write_entry", "addr": "0x40000000", "level": 3, "value": "0x3"}])");
  try {
    replay(c);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("ops[0].level"), std::string::npos) << e.what();
  }
}

TEST(Replay, UnknownVariantIsBadInput) {
  ReplayOptions o;
  o.variant = "no-such-bug";
  EXPECT_THROW(replay(make_case("[]"), o), InputError);
}

TEST(Session, WalkTextAndJson) {
  auto s = stage2_driver().make_session(Json{{"granule", 4096}, {"ia_bits", 40}}, "");
  const Op map = parse_op("arm64.stage2",
                          Json{{"op", "map"}, {"addr", "0x40000000"}, {"size", "0x1000"}, {"phys", "0x80000000"},
                               {"prot", "rw"}},
                          0, "");
  EXPECT_TRUE(s->step(map).violations.empty());
  EXPECT_EQ(s->ops_run(), 1u);
  const std::string text = s->walk_text(0x4000'0123);
  EXPECT_NE(text.find("L1 entry"), std::string::npos) << text;
  EXPECT_NE(text.find("L3 entry"), std::string::npos) << text;
  EXPECT_NE(text.find("=> PA 0x80000123"), std::string::npos) << text;
  const Json j = s->walk_json(0x4000'0123);
  EXPECT_EQ(j["fault"], "none");
  EXPECT_EQ(j["pa"], "0x80000123");
  EXPECT_EQ(j["entries"].size(), 3u);
  EXPECT_EQ(s->walk_json(0x5000'0000)["fault"], "translation");
}

TEST(Driver, RegistryAndDecode) {
  ASSERT_NE(find_driver("arm64.stage2"), nullptr);
  EXPECT_EQ(find_driver("x86.nothing"), nullptr);
  const Driver& d = *find_driver("arm64.stage2");
  EXPECT_EQ(d.variants.size(), 2u);
  ASSERT_TRUE(d.default_config.is_array());
  for (const Json& cfg : d.default_config) EXPECT_NO_THROW(d.check_config(cfg, "default"));
  EXPECT_EQ(d.decode(Json::object(), 0x8000'04c3, 3).kind, "page");
  EXPECT_EQ(d.decode(Json::object(), 0x4, 3).kind, "owner annotation");
  EXPECT_THROW(d.check_config(Json{{"granule", "4k"}}, "x.json"), InputError);
}

}  // namespace
}  // namespace ptspec::props
