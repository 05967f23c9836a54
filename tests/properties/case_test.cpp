// The case loader: every bad input is an InputError that names the file, the
// op index and the field; good input round-trips through to_json().
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <string>

#include "model/core/errors.hpp"
#include "properties/case.hpp"
#include "properties/corpus.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "ptspec_case_test_" + name;
  std::ofstream(path) << text;
  return path;
}

// A valid case around `ops` (a JSON array text) and extra top-level text.
std::string case_text(const std::string& ops, const std::string& config = R"({"granule": 4096, "ia_bits": 40})",
                      const std::string& extra = "") {
  return R"({"schema": 1, "format": "arm64.stage2", "config": )" + config +
         R"(, "origin": "seed", "note": "test", )" + extra + R"("ops": )" + ops + "}";
}

// Loads `text` from a file called `name` and expects an InputError whose
// message contains the path and every one of `parts`.
void expect_load_error(const std::string& name, const std::string& text, std::initializer_list<std::string> parts) {
  const std::string path = write_temp(name, text);
  try {
    load_case_file(path);
    ADD_FAILURE() << name << ": loaded without error";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path), std::string::npos) << "no path in: " << msg;
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "no \"" << p << "\" in: " << msg;
  }
}

TEST(CaseLoader, MalformedJsonNamesFileAndPosition) {
  expect_load_error("malformed.json", R"({"schema": 1, "format": )", {"malformed JSON", "line 1"});
}

TEST(CaseLoader, MissingFile) {
  try {
    load_case_file("/nonexistent/dir/case.json");
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot open /nonexistent/dir/case.json");
  }
}

TEST(CaseLoader, UnknownOpNamesIndex) {
  expect_load_error("unknown_op.json",
                    case_text(R"([{"op": "unmap", "addr": 0, "size": 0}, {"op": "mapp", "addr": 0}])"),
                    {"ops[1].op", "unknown op \"mapp\"", "known: map"});
}

TEST(CaseLoader, UnknownOpFieldNamesIndexAndField) {
  expect_load_error("unknown_field.json",
                    case_text(R"([{"op": "map", "adr": 0, "size": 4096, "phys": 0, "prot": "rw"}])"),
                    {"ops[0]", "unknown field \"adr\""});
}

TEST(CaseLoader, WrongTypeNamesField) {
  expect_load_error("wrong_type.json",
                    case_text(R"([{"op": "map", "addr": true, "size": 4096, "phys": 0, "prot": "rw"}])"),
                    {"ops[0].addr", "expected a number"});
  expect_load_error("wrong_type2.json", case_text(R"([{"op": "expect_walk", "addr": 0, "result": {"af": 1}}])"),
                    {"ops[0].result.af", "expected true or false"});
}

TEST(CaseLoader, OutOfRangeNamesField) {
  expect_load_error("owner_range.json", case_text(R"([{"op": "set_owner", "addr": 0, "size": 4096, "owner": 256}])"),
                    {"ops[0].owner", "256 out of range 0..255"});
  expect_load_error("negative.json", case_text(R"([{"op": "unmap", "addr": -4096, "size": 4096}])"),
                    {"ops[0].addr", "negative"});
  expect_load_error("float.json", case_text(R"([{"op": "unmap", "addr": 1.5, "size": 4096}])"), {"ops[0].addr"});
  expect_load_error("too_big.json", case_text(R"([{"op": "unmap", "addr": 18446744073709551616, "size": 0}])"),
                    {"ops[0].addr", "64-bit"});
  expect_load_error("too_big_hex.json", case_text(R"([{"op": "unmap", "addr": "0x10000000000000000", "size": 0}])"),
                    {"ops[0].addr", "does not fit in 64 bits"});
  expect_load_error("level.json", case_text(R"([{"op": "expect_refcount", "addr": 0, "level": 4, "count": 1}])"),
                    {"ops[0].level", "out of range 0..3"});
}

TEST(CaseLoader, MissingRequiredField) {
  expect_load_error("missing.json", case_text(R"([{"op": "map", "addr": 0, "size": 4096, "prot": "rw"}])"),
                    {"ops[0].phys", "missing"});
}

TEST(CaseLoader, BadValuesOfSpecialTypes) {
  expect_load_error("errno.json", case_text(R"([{"op": "unmap", "addr": 0, "size": 0, "expect": "-EFOO"}])"),
                    {"ops[0].expect", "unknown errno"});
  expect_load_error("prot.json",
                    case_text(R"([{"op": "map", "addr": 0, "size": 4096, "phys": 0, "prot": "rq"}])"),
                    {"ops[0].prot", "not a permission string"});
  expect_load_error("fault.json",
                    case_text(R"([{"op": "expect_walk", "addr": 0, "result": {"fault": "page"}}])"),
                    {"ops[0].result.fault", "not one of"});
  expect_load_error("result_field.json",
                    case_text(R"([{"op": "expect_walk", "addr": 0, "result": {"fualt": "none"}}])"),
                    {"ops[0].result", "unknown field \"fualt\""});
  expect_load_error("memcache.json", case_text(R"([{"op": "memcache", "pages": "all"}])"), {"ops[0].pages"});
}

TEST(CaseLoader, BadConfigNamesField) {
  expect_load_error("granule.json", case_text("[]", R"({"granule": 8192})"), {"config.granule", "8192"});
  expect_load_error("ia_bits.json", case_text("[]", R"({"ia_bits": 50})"), {"config.ia_bits", "50"});
  expect_load_error("config_field.json", case_text("[]", R"({"granularity": 4096})"),
                    {"config", "unknown field \"granularity\""});
  expect_load_error("layout.json", case_text("[]", R"({"owner_layout": "new"})"), {"config.owner_layout"});
  expect_load_error("start_level.json", case_text("[]", R"({"granule": 16384, "start_level": 0})"),
                    {"config.start_level"});
  expect_load_error("max_owner.json", case_text("[]", R"({"max_owner": 300})"), {"config.max_owner"});
}

TEST(CaseLoader, BadTopLevel) {
  expect_load_error("schema.json", R"({"schema": 2, "format": "arm64.stage2", "ops": []})", {"schema", "2"});
  expect_load_error("format.json", R"({"schema": 1, "format": "mips.tlb", "ops": []})",
                    {"format", "unknown format \"mips.tlb\""});
  expect_load_error("top_field.json", case_text("[]", "{}", R"("comment": "x", )"), {"unknown field \"comment\""});
  expect_load_error("origin.json", R"({"schema": 1, "format": "arm64.stage2", "origin": "fuzz", "ops": []})",
                    {"origin"});
  expect_load_error("variant.json", case_text("[]", "{}", R"("variant": "leaky", )"),
                    {"variant", "unknown variant \"leaky\"", "leak-on-valid-update"});
  expect_load_error("violation.json", case_text("[]", "{}", R"("expect": {"holds": false, "violation": "tlb"}, )"),
                    {"expect.violation", "not one of"});
  expect_load_error("ops.json", R"({"schema": 1, "format": "arm64.stage2", "ops": {}})", {"ops"});
}

TEST(CaseLoader, NumbersAndErrnosInEveryForm) {
  const Case c = parse_case(Json::parse(case_text(R"([
      {"op": "unmap", "addr": 1073741824, "size": "4096", "expect": 0},
      {"op": "unmap", "addr": "0x40000000", "size": "0X1000", "expect": -22},
      {"op": "unmap", "addr": 0, "size": 0, "expect": "EINVAL"},
      {"op": "unmap", "addr": 0, "size": 0, "expect": "-ERANGE"},
      {"op": "memcache", "pages": "auto"}])")),
                            "inline");
  ASSERT_EQ(c.ops.size(), 5u);
  EXPECT_EQ(arg_u64(c.ops[0], "addr"), 0x40000000u);
  EXPECT_EQ(arg_u64(c.ops[0], "size"), 4096u);
  EXPECT_EQ(arg_u64(c.ops[1], "size"), 4096u);
  EXPECT_EQ(op_expect(c.ops[0]), 0);
  EXPECT_EQ(op_expect(c.ops[1]), kEinval);
  EXPECT_EQ(op_expect(c.ops[2]), kEinval);
  EXPECT_EQ(op_expect(c.ops[3]), kErange);
  // Canonical forms: addresses as hex strings, errnos by name.
  EXPECT_EQ(c.ops[0].args["addr"], "0x40000000");
  EXPECT_EQ(c.ops[2].args["expect"], "-EINVAL");
  EXPECT_EQ(op_text(c.ops[1]), R"({"op": "unmap", "addr": "0x40000000", "expect": "-EINVAL", "size": "0x1000"})");
}

TEST(CaseLoader, ParseU64) {
  EXPECT_EQ(parse_u64(std::string("0x1f"), "w"), 31u);
  EXPECT_EQ(parse_u64(std::string("0XFF"), "w"), 255u);
  EXPECT_EQ(parse_u64(std::string("18446744073709551615"), "w"), ~std::uint64_t{0});
  EXPECT_THROW(parse_u64(std::string("18446744073709551616"), "w"), InputError);
  EXPECT_THROW(parse_u64(std::string("0x"), "w"), InputError);
  EXPECT_THROW(parse_u64(std::string(""), "w"), InputError);
  EXPECT_THROW(parse_u64(std::string(" 1"), "w"), InputError);
  EXPECT_THROW(parse_u64(Json(-1), "w"), InputError);
  EXPECT_THROW(parse_u64(Json(2.5), "w"), InputError);
  EXPECT_THROW(parse_u64(Json::array(), "w"), InputError);
}

TEST(CaseLoader, RoundTrip) {
  const std::string path = write_temp("roundtrip.json", case_text(R"([
      {"op": "map", "addr": 1073741824, "size": 2097152, "phys": 2147483648, "prot": "rw", "expect": 0},
      {"op": "set_owner", "addr": "0x40001000", "size": "0x1000", "owner": 1, "note": "split"},
      {"op": "expect_walk", "addr": "0x40001000", "result": {"owner": 1, "pa": 0, "fault": "translation"}}])",
                                                                    "{}",
                                                                    R"("variant": "leak-on-valid-update", "expect": {"holds": false, "violation": "refcount"}, )"));
  const Case c = load_case_file(path);
  EXPECT_EQ(c.path, path);
  EXPECT_EQ(c.variant, "leak-on-valid-update");
  EXPECT_FALSE(c.expect_holds);
  EXPECT_EQ(c.expect_violation, "refcount");
  const Json j = c.to_json();
  EXPECT_EQ(j["ops"][0]["addr"], "0x40000000");
  EXPECT_EQ(j["ops"][0]["phys"], "0x80000000");
  EXPECT_EQ(j["ops"][2]["result"]["pa"], "0x0");
  const Case back = parse_case(j, "round trip");
  EXPECT_EQ(back.to_json(), j);
  ASSERT_EQ(back.ops.size(), c.ops.size());
  for (std::size_t i = 0; i < c.ops.size(); ++i) EXPECT_EQ(back.ops[i].args, c.ops[i].args);
}

TEST(CaseLoader, InMemoryOpsAreCanonicalisedByToJson) {
  Case c;
  c.format = "arm64.stage2";
  c.ops.push_back(Op{0, "unmap", Json{{"op", "unmap"}, {"addr", 4096}, {"size", 4096}}});
  EXPECT_EQ(c.to_json()["ops"][0]["addr"], "0x1000");
}

TEST(Corpus, ListsEveryFolderWithItsOrigin) {
  const auto all = list_corpus(PTSPEC_CORPUS_DIR, "arm64.stage2");
  std::size_t seeds = 0, bugs = 0;
  for (const auto& e : all) {
    EXPECT_EQ(e.format, "arm64.stage2");
    if (e.origin == Origin::Seed) ++seeds;
    if (e.origin == Origin::Bug) ++bugs;
  }
  EXPECT_GE(seeds, 10u);
  EXPECT_GE(bugs, 2u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(),
                             [](const CorpusEntry& a, const CorpusEntry& b) { return a.path < b.path; }));
  EXPECT_TRUE(list_corpus(PTSPEC_CORPUS_DIR, "no.such.format").empty());
  EXPECT_TRUE(list_corpus("/nonexistent/corpus").empty());
}

TEST(Corpus, EnvironmentOverridesTheDefaultDirectory) {
  ::setenv("PTSPEC_CORPUS", "/tmp/elsewhere", 1);
  EXPECT_EQ(default_corpus_dir(), "/tmp/elsewhere");
  ::unsetenv("PTSPEC_CORPUS");
  EXPECT_EQ(default_corpus_dir(), PTSPEC_CORPUS_DIR);
}

TEST(Corpus, EveryCaseLoadsAndRoundTrips) {
  for (const auto& e : list_corpus(PTSPEC_CORPUS_DIR)) {
    const Case c = load_case_file(e.path);
    EXPECT_FALSE(c.note.empty()) << e.path << ": every corpus case explains itself";
    EXPECT_EQ(parse_case(c.to_json(), e.path).to_json(), c.to_json()) << e.path;
  }
}

}  // namespace
}  // namespace ptspec::props
