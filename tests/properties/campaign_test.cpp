// The RapidCheck campaign: passes on the correct model, is deterministic
// from its seed, finds and shrinks the two historical arm64.stage2 bugs to
// small case files that replay to the same violation, and never overwrites
// a case file.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "model/core/errors.hpp"
#include "properties/campaign.hpp"
#include "properties/case.hpp"
#include "properties/driver.hpp"
#include "properties/rc_properties.hpp"

namespace ptspec::props {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFormat = "arm64.stage2";
constexpr const char* kProperty = "stage2-ops-refine-spec";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "ptspec-campaign-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  // Every file in the directory, hidden temp files included.
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path_)) out.push_back(e.path().filename().string());
    return out;
  }

 private:
  std::string path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const Driver& stage2() {
  const Driver* d = find_driver(kFormat);
  if (!d) throw std::runtime_error("arm64.stage2 driver missing");
  return *d;
}

PropertyInfo refine() { return {kProperty, ""}; }

CampaignOptions options(std::uint64_t seed, std::uint64_t cases, const std::string& dir) {
  CampaignOptions o;
  o.seed = seed;
  o.cases = cases;
  o.found_dir = dir;
  return o;
}

TEST(Campaign, RegistersTheStage2Property) {
  const auto props = campaign_properties(kFormat);
  ASSERT_EQ(props.size(), 1u);
  EXPECT_EQ(props[0].name, kProperty);
  EXPECT_FALSE(props[0].description.empty());
  EXPECT_TRUE(campaign_properties("no.such.format").empty());
}

TEST(Campaign, UnknownPropertyIsAnInputError) {
  TempDir dir;
  EXPECT_THROW(run_campaign(stage2(), {"no-such-property", ""}, options(1, 1, dir.path())), InputError);
}

TEST(Campaign, CorrectModelPasses) {
  TempDir dir;
  const CampaignResult r = run_campaign(stage2(), refine(), options(1, 30, dir.path()));
  EXPECT_TRUE(r.passed) << r.message << " -> " << r.counterexample_path.value_or("(no file)");
  EXPECT_EQ(r.cases_run, 30u);
  EXPECT_GT(r.ops_run, 0u);
  EXPECT_FALSE(r.counterexample_path.has_value());
  EXPECT_TRUE(dir.files().empty());
}

TEST(Campaign, SameSeedSameOps) {
  TempDir dir;
  const CampaignResult a = run_campaign(stage2(), refine(), options(7, 20, dir.path()));
  const CampaignResult b = run_campaign(stage2(), refine(), options(7, 20, dir.path()));
  ASSERT_TRUE(a.passed) << a.message;
  EXPECT_EQ(a.cases_run, b.cases_run);
  EXPECT_EQ(a.ops_run, b.ops_run);
  EXPECT_GT(a.ops_run, 0u);
}

// Runs a variant until it fails; checks the written case and returns it.
Case found_case(const std::string& variant, const std::string& violation, unsigned jobs, const TempDir& dir) {
  CampaignOptions o = options(1, 300, dir.path());
  o.variant = variant;
  o.jobs = jobs;
  const CampaignResult r = run_campaign(stage2(), refine(), o);
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.message.find(violation), std::string::npos) << r.message;
  EXPECT_EQ(r.message.find("NOT confirmed"), std::string::npos) << r.message;
  if (!r.counterexample_path) {
    ADD_FAILURE() << "no counterexample written: " << r.message;
    return {};
  }
  EXPECT_EQ(fs::path(*r.counterexample_path).parent_path(), fs::path(dir.path()));
  Case c = load_case_file(*r.counterexample_path);
  EXPECT_EQ(c.ops.size(), r.counterexample_ops);
  EXPECT_EQ(c.format, kFormat);
  EXPECT_EQ(c.origin, Origin::Found);
  EXPECT_EQ(c.variant, variant);
  EXPECT_FALSE(c.expect_holds);
  EXPECT_EQ(c.expect_violation, violation);
  EXPECT_NE(c.note.find("ptspec replay"), std::string::npos) << c.note;
  for (const Op& op : c.ops) EXPECT_FALSE(op.args.contains("expect")) << op.args.dump();

  // The file replays to the same violation, as its "expect" says.
  const ReplayResult rr = replay(c);
  EXPECT_FALSE(rr.holds);
  EXPECT_TRUE(rr.as_expected);
  if (!rr.violations.empty()) EXPECT_EQ(rr.violations.front().invariant, violation);
  else ADD_FAILURE() << "replay found no violation";
  return c;
}

TEST(Campaign, FindsLeakOnValidUpdateAndShrinksIt) {
  TempDir dir;
  const Case c = found_case("leak-on-valid-update", "refcount", 1, dir);
  EXPECT_GE(c.ops.size(), 2u);  // a valid leaf, then a valid -> valid update
  EXPECT_LE(c.ops.size(), 6u);
}

TEST(Campaign, FindsOwnerOverwritingSwBits) {
  TempDir dir;
  const Case c = found_case("owner-overwrites-sw-bits", "abstraction", 1, dir);
  EXPECT_LE(c.ops.size(), 6u);
  // Only the seed's owner layout overlaps the software bits, and only an
  // annotation that carries software bits shows the bug.
  EXPECT_EQ(c.config.value("owner_layout", ""), "seed") << c.config.dump();
  bool owner_with_sw = false;
  for (const Op& op : c.ops) owner_with_sw |= op.name == "set_owner" && op.args.contains("sw");
  EXPECT_TRUE(owner_with_sw);
}

TEST(Campaign, ParallelWorkersFindTheBugToo) {
  TempDir dir;
  const Case c = found_case("leak-on-valid-update", "refcount", 2, dir);
  EXPECT_LE(c.ops.size(), 6u);
}

TEST(Campaign, ParallelWorkersShareTheCases) {
  TempDir dir;
  CampaignOptions o = options(3, 12, dir.path());
  o.jobs = 2;
  const CampaignResult r = run_campaign(stage2(), refine(), o);
  EXPECT_TRUE(r.passed) << r.message;
  EXPECT_EQ(r.cases_run, 12u);
  EXPECT_GT(r.ops_run, 0u);
}

TEST(WriteCaseUnique, NeverClobbers) {
  TempDir dir;
  Case c;
  c.format = kFormat;
  c.config = Json{{"granule", 4096}, {"ia_bits", 40}};
  c.origin = Origin::Found;
  c.ops.push_back(parse_op(kFormat,
                           Json{{"op", "map"}, {"addr", "0x40000000"}, {"size", "0x1000"}, {"phys", "0x80000000"},
                                {"prot", "rw"}},
                           0, "test"));
  // Someone else's file already holds the first name.
  const std::string taken = (fs::path(dir.path()) / "found-1.json").string();
  { std::ofstream(taken) << "not ours\n"; }

  const std::string first = write_case_unique(c, dir.path(), "found");
  const std::string first_text = slurp(first);
  c.note = "second";
  const std::string second = write_case_unique(c, dir.path(), "found");

  EXPECT_NE(first, taken);
  EXPECT_NE(second, first);
  EXPECT_NE(second, taken);
  EXPECT_EQ(slurp(taken), "not ours\n");
  EXPECT_EQ(slurp(first), first_text);
  EXPECT_EQ(load_case_file(second).note, "second");
  EXPECT_EQ(load_case_file(first).ops.size(), 1u);
  EXPECT_EQ(dir.files().size(), 3u);  // no temp file left behind
}

TEST(WriteCaseUnique, CreatesTheDirectory) {
  TempDir dir;
  Case c;
  c.format = kFormat;
  const std::string sub = (fs::path(dir.path()) / "corpus" / kFormat / "found").string();
  const std::string path = write_case_unique(c, sub, "x");
  EXPECT_EQ(fs::path(path).parent_path(), fs::path(sub));
  EXPECT_EQ(load_case_file(path).format, kFormat);
}

}  // namespace
}  // namespace ptspec::props
