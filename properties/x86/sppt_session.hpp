// A live x86.sppt instance: the SPP system (EptMmu + SPPT + bitmaps), the
// spec (the last bitmap set per GFN, recorded from the ops) and the
// checkers of sppt_checks.hpp, run after every op.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "model/x86/spp_system.hpp"
#include "properties/driver.hpp"
#include "properties/x86/sppt_checks.hpp"

namespace ptspec::props {

class SpptSession final : public Session {
 public:
  explicit SpptSession(const x86::EptConfig& cfg);

  StepReport step(const Op& op) override;
  std::string dump() const override;
  std::string walk_text(std::uint64_t addr) const override;
  Json walk_json(std::uint64_t addr) const override;
  std::uint64_t ops_run() const override { return ops_; }

  x86::SppSystem& system() { return sys_; }
  const spptcheck::Bitmaps& spec() const { return spec_; }
  bool raw() const { return raw_; }

 private:
  struct Outcome {
    int ret = 0;
    bool kvm = false;  // a KVM op: tables may have changed
  };
  Outcome run(const Op& op, StepReport& rep);
  void access(const Op& op, StepReport& rep);
  void expect_vector(const Op& op, StepReport& rep) const;
  void check(const Outcome& o, StepReport& rep);
  std::uint64_t gfn_arg(const Op& op) const;
  void touch(std::uint64_t gfn);

  x86::SppSystem sys_;
  spptcheck::Bitmaps spec_;
  std::set<std::uint64_t> touched_;  // GFNs ops named (plain-write checks)
  spptcheck::Snapshot before_;
  std::uint64_t ops_ = 0;
  bool raw_ = false;
};

}  // namespace ptspec::props
