// A live arm64.stage1 instance: the model (arm64::s1::Stage1Mmu), the
// abstract map of what the library calls installed (stage1_map.hpp), and
// the checkers of stage1_checks.hpp.
//
// A CPU runs one thing at a time: a library call may stop after a few
// micro-steps ("steps"), and the rest runs before that CPU's next op (or at
// a `step` op), so the other CPU's accesses interleave with the call's
// maintenance sequence. Checkpoints: when a call returns, the calling CPU's
// maintenance obligations fall due; at an access or expectation, those of
// every CPU without a call in flight (hand-written micro-steps are judged
// there). Calls that write tables are serialised (kvm-unit-tests updates
// the tables from one CPU at a time): one lets the other CPU's table-writing
// call return first; MMU and TLB calls interleave freely. When no call is in flight at a checkpoint, every CPU's view is
// compared with its tables and the tables with the map.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <string>
#include <vector>

#include "model/arm64/stage1_mmu.hpp"
#include "properties/arm64/stage1_checks.hpp"
#include "properties/arm64/stage1_map.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {

class Stage1Session final : public Session {
 public:
  explicit Stage1Session(const arm64::s1::Stage1Config& cfg);

  StepReport step(const Op& op) override;
  std::string dump() const override;
  std::string walk_text(std::uint64_t addr) const override;
  Json walk_json(std::uint64_t addr) const override;
  std::uint64_t ops_run() const override { return ops_; }

  const arm64::s1::Stage1Mmu& model() const { return m_; }
  const s1check::Stage1Map& map() const { return map_; }
  // True after a raw store: the tables no longer follow the library, so the
  // map comparisons are off (the maintenance rules and CPU views are not).
  bool raw() const { return raw_; }

 private:
  struct Outcome {
    int ret = 0;
    bool observe = false;               // an access or expectation: a checkpoint for every idle CPU
    std::vector<unsigned> returned;     // CPUs whose library call returned at the end of this op
    bool settled = false;               // a call in flight was finished first (its dues already checked)
    std::vector<std::string> notes;     // trace lines after the op's micro-steps
  };
  void run(const Op& op, StepReport& rep, Outcome& o);
  void library_call(const Op& op, StepReport& rep, Outcome& o);
  void raw_step(const Op& op, Outcome& o);
  void exec_raw(const Op& op, unsigned cpu, const Event& e);
  void access(const Op& op, StepReport& rep, Outcome& o, bool expect);
  void expect_desc(const Op& op, StepReport& rep) const;
  // Finishes the call in flight on `cpu` (a CPU is sequential).
  void settle(unsigned cpu, Outcome& o);
  unsigned cpu_arg(const Op& op) const;
  std::uint64_t table_arg(const Op& op) const;  // the root PA
  // The entry address for va at `level` under `root` (latest stores), or why there is none.
  bool entry_at(std::uint64_t root, std::uint64_t va, unsigned level, std::uint64_t& ptep, std::string& why) const;
  void checkpoint(const Op& op, const Outcome& o, StepReport& rep);
  // Traces and feeds to the maintenance checker every log event not yet seen.
  void absorb();
  // Sets a Write event's addr / level from the table page it lands in.
  void locate(Event& e);

  arm64::s1::Stage1Mmu m_;
  s1check::Stage1Map map_;
  s1check::MaintenanceChecker maint_;
  s1check::TableScan scan_;
  std::vector<std::size_t> call_op_;  // per CPU: case op index of the call in flight
  std::vector<arm64::s1::OpKind> call_kind_;  // ... and its kind
  std::uint64_t ops_ = 0;
  bool raw_ = false;
  std::size_t absorbed_ = 0;     // log events already traced and fed
  StepReport* cur_ = nullptr;    // the report of the op being run
  const Op* cur_op_ = nullptr;
  std::map<std::uint64_t, std::pair<unsigned, std::uint64_t>> table_base_;  // table page -> (level, first VA)
  std::size_t tables_seen_ = 0;
  bool dirty_ = true;  // tables or map changed since the last scan
};

}  // namespace ptspec::props
