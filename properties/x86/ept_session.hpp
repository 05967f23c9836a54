// A live x86.ept instance: the model (x86::EptMmu), the abstract spec
// (spec::EptSpec) and the checkers of ept_checks.hpp, run after every op.
#pragma once

#include <cstdint>
#include <string>

#include "model/spec/ept_spec.hpp"
#include "model/x86/ept_mmu.hpp"
#include "properties/driver.hpp"
#include "properties/mem_snapshot.hpp"
#include "properties/x86/ept_checks.hpp"

namespace ptspec::props {

class EptSession final : public Session {
 public:
  explicit EptSession(const x86::EptConfig& cfg);

  StepReport step(const Op& op) override;
  std::string dump() const override;
  std::string walk_text(std::uint64_t addr) const override;
  Json walk_json(std::uint64_t addr) const override;
  std::uint64_t ops_run() const override { return ops_; }

  const x86::EptMmu& model() const { return mmu_; }
  const spec::EptSpec& spec() const { return spec_; }
  // True after a write_entry: the tables no longer follow KVM's rules, so the
  // invariant checkers are off; only expectations are checked from then on.
  bool raw() const { return raw_; }

 private:
  struct Outcome {
    int model_ret = 0;
    int spec_ret = 0;
    bool compare = false;       // ran on model and spec
    bool state_checks = false;  // the tables may have changed
    std::uint64_t lo = 0, size = 0;
  };
  Outcome run(const Op& op, StepReport& rep);
  Outcome run_kvm(const Op& op);
  void expect_walk(const Op& op, StepReport& rep) const;
  void expect_entry(const Op& op, StepReport& rep) const;
  void write_entry(const Op& op);
  void check(const Outcome& o, StepReport& rep);
  std::vector<std::uint64_t> walk_samples(const Outcome& o) const;

  x86::EptMmu mmu_;
  spec::EptSpec spec_;
  std::uint64_t ops_ = 0;
  bool raw_ = false;
  MemSnapshot before_;
  eptcheck::EptScan scan_;
};

// "not present", "table -> 0x...", "L1 4K -> 0x... rwx mt6" (trace lines).
std::string ept_entry_brief(const x86::EptConfig& cfg, std::uint64_t pte, unsigned level);

}  // namespace ptspec::props
