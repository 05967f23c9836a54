// A live arm64.stage2 instance: the model (arm64::Stage2), the abstract spec
// (spec::Stage2Spec) and the checkers of stage2_checks.hpp, run after every op.
#pragma once

#include <cstdint>
#include <string>

#include "model/arm64/stage2.hpp"
#include "model/spec/stage2_spec.hpp"
#include "properties/arm64/stage2_checks.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {

class Stage2Session final : public Session {
 public:
  explicit Stage2Session(const arm64::Stage2Config& cfg);

  StepReport step(const Op& op) override;
  std::string dump() const override;
  std::string walk_text(std::uint64_t addr) const override;
  Json walk_json(std::uint64_t addr) const override;
  std::uint64_t ops_run() const override { return ops_; }

  const arm64::Stage2& model() const { return pgt_; }
  const spec::Stage2Spec& spec() const { return spec_; }
  // True after a write_entry: the tables were written by hand, so they no
  // longer follow KVM's rules and the invariant checkers are off; only
  // expectations are checked from then on.
  bool raw() const { return raw_; }

 private:
  struct Outcome {
    int model_ret = 0;
    int spec_ret = 0;
    bool compare = false;       // ran on model and spec: compare them
    bool state_checks = false;  // the tables may have changed: run the checkers
    std::uint64_t lo = 0, size = 0;  // the input range the op touched
  };
  Outcome run(const Op& op, StepReport& rep);
  Outcome run_kvm(const Op& op);
  void expect_walk(const Op& op, StepReport& rep) const;
  void expect_refcount(const Op& op, StepReport& rep) const;
  void write_entry(const Op& op);
  // Runs the checkers; `before` is the snapshot taken before the op (when
  // the op is a KVM op on tables the checkers follow).
  void check(const Outcome& o, StepReport& rep, const s2check::Snapshot& before);
  // Addresses whose hardware walk is compared with the spec after the op.
  std::vector<std::uint64_t> walk_samples(const Outcome& o) const;
  // The address of the table (the pgd base at the start level) that holds
  // the entry for `addr` at `level`, or an explanation of why there is none.
  bool table_at(std::uint64_t addr, unsigned level, std::uint64_t& table, std::string& why) const;

  arm64::Stage2 pgt_;
  spec::Stage2Spec spec_;
  std::uint64_t ops_ = 0;
  bool raw_ = false;
  // Buffers reused from step to step (a snapshot of every live page before
  // each op, one scan of the tables after it): no allocation per step.
  s2check::Snapshot before_;
  s2check::TableScan scan_;
};

// One line of trace for an entry: "invalid", "owner 1", "table 0x...",
// "L3 page 0x... rw- AF", ... (the session's write events use it).
std::string stage2_entry_brief(const arm64::Stage2Config& cfg, std::uint64_t pte, unsigned level);

}  // namespace ptspec::props
