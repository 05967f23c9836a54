// x86.tdx configuration (model/x86/tdx_config.hpp): each field's range with
// the error naming it, and the variant names.
#include <gtest/gtest.h>

#include "model/core/errors.hpp"
#include "model/x86/tdx_config.hpp"
#include "model/x86/tdx_kvm.hpp"

namespace ptspec::x86::tdx {
namespace {

std::string error_of(const TdConfig& c) {
  try {
    check_td_config(c);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(TdxConfig, DefaultsAreValid) {
  TdConfig c;
  EXPECT_EQ(error_of(c), "");
  EXPECT_EQ(c.shared_bit(), 47u);
  EXPECT_EQ(c.describe(), "gpaw=48 ept_levels=4 vcpus=2 finalized=true maxphyaddr=52");
  const EptConfig e = shared_ept_config(c);
  EXPECT_EQ(e.levels, 4u);
  EXPECT_EQ(e.maxphyaddr, 52u);
}

TEST(TdxConfig, EachFieldChecked) {
  TdConfig c;
  c.gpaw = 50;
  EXPECT_EQ(error_of(c).rfind("config.gpaw: 50", 0), 0u);
  c = TdConfig{};
  c.ept_levels = 3;
  EXPECT_EQ(error_of(c).rfind("config.ept_levels: 3", 0), 0u);
  c = TdConfig{};
  c.gpaw = 52;  // needs 5 levels
  EXPECT_EQ(error_of(c).rfind("config.ept_levels: 4, but gpaw 52", 0), 0u);
  c.ept_levels = 5;
  EXPECT_EQ(error_of(c), "");
  EXPECT_EQ(c.shared_bit(), 51u);
  c = TdConfig{};
  c.vcpus = 0;
  EXPECT_EQ(error_of(c).rfind("config.vcpus: 0", 0), 0u);
  c.vcpus = kMaxVcpus + 1;
  EXPECT_EQ(error_of(c).rfind("config.vcpus: 9", 0), 0u);
  c = TdConfig{};
  c.maxphyaddr = 46;  // below GPAW 48
  EXPECT_EQ(error_of(c).rfind("config.maxphyaddr: 46", 0), 0u);
  c.maxphyaddr = 53;
  EXPECT_EQ(error_of(c).rfind("config.maxphyaddr: 53", 0), 0u);
  c.maxphyaddr = 48;
  EXPECT_EQ(error_of(c), "");
  c.variant = static_cast<TdxVariant>(9);
  EXPECT_EQ(error_of(c).rfind("config.variant", 0), 0u);
  EXPECT_THROW(make_td_config(52, 4, 1), InputError);
  EXPECT_EQ(make_td_config(52, 5, 8, false, 52, TdxVariant::TrackWithoutKick).vcpus, 8u);
}

TEST(TdxConfig, Variants) {
  ASSERT_EQ(tdx_variants().size(), 3u);
  for (const TdxVariantInfo& v : tdx_variants()) {
    EXPECT_EQ(tdx_variant_from_name(v.name), v.variant);
    EXPECT_EQ(tdx_variant_name(v.variant), v.name);
    EXPECT_NE(v.source.find("seed 004"), std::string_view::npos);
  }
  EXPECT_EQ(tdx_variant_from_name("remove-before-track"), TdxVariant::RemoveBeforeTrack);
  EXPECT_EQ(tdx_variant_from_name("track-without-kick"), TdxVariant::TrackWithoutKick);
  EXPECT_EQ(tdx_variant_from_name("zap-busy-as-success"), TdxVariant::ZapBusyAsSuccess);
  EXPECT_EQ(tdx_variant_from_name("none"), TdxVariant::None);
  EXPECT_EQ(tdx_variant_from_name(""), TdxVariant::None);
  EXPECT_EQ(tdx_variant_from_name("remove_before_track"), std::nullopt);
  EXPECT_EQ(tdx_variant_name(TdxVariant::None), "none");
  TdConfig c;
  c.variant = TdxVariant::ZapBusyAsSuccess;
  EXPECT_NE(c.describe().find("variant=zap-busy-as-success"), std::string::npos);
}

// Every enum the traces, case files and Python spell by name round-trips.
template <class E, class Name, class From>
void round_trip(unsigned count, Name name, From from) {
  for (unsigned i = 0; i < count; ++i) {
    E e{}, back{};
    e = static_cast<E>(i);
    ASSERT_TRUE(from(name(e), back)) << name(e);
    EXPECT_EQ(back, e);
  }
  E dummy{};
  EXPECT_FALSE(from("no-such-name", dummy));
}

TEST(TdxNames, RoundTrip) {
  round_trip<VcpuState>(2, vcpu_state_name, vcpu_state_from_name);
  round_trip<ExitReason>(5, exit_reason_name, exit_reason_from_name);
  round_trip<AccessKind>(3, access_kind_name, access_kind_from_name);
  round_trip<AccessOutcome>(5, access_outcome_name, access_outcome_from_name);
  round_trip<PageOwner>(4, page_owner_name, page_owner_from_name);
  round_trip<Seamcall>(13, seamcall_name, seamcall_from_name);
  round_trip<KvmEventKind>(10, kvm_event_kind_name, kvm_event_kind_from_name);
  round_trip<PendingOp>(2, pending_op_name, pending_op_from_name);
  round_trip<TdxLock>(kNumLocks, tdx_lock_name, tdx_lock_from_name);
  AccessKind k;
  ASSERT_TRUE(access_kind_from_name("write", k));
  EXPECT_EQ(k, AccessKind::Write);
  Seamcall c;
  ASSERT_TRUE(seamcall_from_name("TDH.MEM.TRACK", c));
  EXPECT_EQ(c, Seamcall::Track);
  EXPECT_EQ(std::string(seamcall_name(Seamcall::TdExit)), "TD exit");
}

}  // namespace
}  // namespace ptspec::x86::tdx
