// x86.shadow through the driver: the session's checks hold on KVM's own
// operations and name the invariant the historical-bug variant breaks; a
// failed expectation is reported; bad config, variant and op arguments are
// InputErrors.
#include <gtest/gtest.h>

#include "model/core/errors.hpp"
#include "properties/driver.hpp"
#include "properties/x86/shadow_driver.hpp"

namespace ptspec::props {
namespace {

Case npt_case() {
  return parse_case(Json::parse(R"({"schema": 1, "format": "x86.shadow", "config": {"kind": "npt", "tdp_level": 4},
    "ops": [{"op": "write", "gpa": "0x40000c04", "value": "0x40001007", "bytes": 4},
            {"op": "write", "gpa": "0x40001004", "value": "0x40100007", "bytes": 4},
            {"op": "context", "mode": "32-bit"},
            {"op": "fault", "va": "0xc0401000", "outcome": "fixed"}],
    "expect": {"holds": true}})"),
                    "test");
}

TEST(ShadowSession, CorrectModelHoldsVariantBreaksStructure) {
  const Case c = npt_case();
  EXPECT_TRUE(replay(c).holds);
  ReplayOptions o;
  o.variant = "npt-32bit-no-pae-root";
  const ReplayResult r = replay(c, o);
  ASSERT_FALSE(r.holds);
  EXPECT_EQ(r.violations.front().invariant, "structure");
}

TEST(ShadowSession, ChecksHoldOnKvmOpsAndAFailedExpectationIsReported) {
  const Driver* d = find_driver("x86.shadow");
  ASSERT_NE(d, nullptr);
  auto s = d->make_session(Json{{"kind", "shadow"}}, "");
  auto step = [&](const Json& op) { return s->step(parse_op("x86.shadow", op, 0, "test")); };
  EXPECT_TRUE(step(Json{{"op", "write"}, {"gpa", "0x40000000"}, {"value", "0x40001007"}}).violations.empty());
  EXPECT_TRUE(step(Json{{"op", "write"}, {"gpa", "0x40001000"}, {"value", "0x40002007"}}).violations.empty());
  EXPECT_TRUE(step(Json{{"op", "write"}, {"gpa", "0x40002000"}, {"value", "0x40003007"}}).violations.empty());
  EXPECT_TRUE(step(Json{{"op", "write"}, {"gpa", "0x40003000"}, {"value", "0x40100007"}}).violations.empty());
  EXPECT_TRUE(step(Json{{"op", "context"}, {"mode", "4-level"}}).violations.empty());
  EXPECT_TRUE(step(Json{{"op", "fault"}, {"va", "0x0"}, {"outcome", "fixed"}}).violations.empty());
  // The PT page is write-protected; a write to an unshadowed gfn changes
  // nothing the shadow depends on and holds.
  EXPECT_TRUE(step(Json{{"op", "write"}, {"gpa", "0x40005000"}, {"value", "0x1"}}).violations.empty());
  // An expectation that does not hold is reported.
  const StepReport bad = step(Json{{"op", "expect_walk"}, {"va", "0x0"}, {"host", "0x12345000"}});
  ASSERT_FALSE(bad.violations.empty());
  EXPECT_EQ(bad.violations.front().invariant, "expectation");
}

TEST(ShadowSession, BadInputIsAnInputError) {
  const Driver* d = find_driver("x86.shadow");
  ASSERT_NE(d, nullptr);
  EXPECT_THROW(d->check_config(Json{{"colour", 1}}, "c"), InputError);
  EXPECT_THROW(d->check_config(Json{{"kind", "tdp"}}, "c"), InputError);
  EXPECT_THROW(d->check_config(Json{{"maxphyaddr", 30}}, "c"), InputError);
  EXPECT_THROW(d->check_config(Json{{"kind", "npt"}, {"tdp_level", 2}}, "c"), InputError);
  EXPECT_THROW(d->make_session(Json::object(), "no-such-bug"), InputError);
  auto s = d->make_session(Json::object(), "");
  EXPECT_THROW(s->step(parse_op("x86.shadow", Json{{"op", "fault"}, {"va", "0x0"}}, 0, "t")), InputError);
  EXPECT_THROW(s->step(parse_op("x86.shadow", Json{{"op", "write"}, {"gpa", "0x40000000"}, {"value", "0x100000000"},
                                                    {"bytes", 4}}, 0, "t")),
               InputError);
  EXPECT_THROW(s->step(parse_op("x86.shadow", Json{{"op", "write"}, {"gpa", "0x90000000"}, {"value", "0x1"}}, 0, "t")),
               InputError);
}

}  // namespace
}  // namespace ptspec::props
