// One campaign worker: a RapidCheck search (and shrink) of one property on
// one seed, in this process. Internal to ptspec::properties (campaign.cpp,
// campaign_fork.cpp): it pulls in RapidCheck, which the public headers must
// not.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "properties/campaign.hpp"
#include "properties/driver.hpp"
#include "properties/rc_case_gen.hpp"

namespace ptspec::props::detail {

using Clock = std::chrono::steady_clock;

struct Failure {
  GeneratedCase gc;  // truncated after the failing op
  Violation violation;
};

using Progress = std::function<void(std::uint64_t cases, std::uint64_t ops)>;

struct WorkerOutcome {
  std::uint64_t rc_seed = 0;
  std::uint64_t cases = 0;
  std::uint64_t ops = 0;
  std::optional<Failure> failure;
  std::string error;  // the harness itself failed (generator, unknown variant ...)
};

// Worker 0 uses the campaign seed itself, so --jobs 1 and worker 0 of any
// --jobs J draw the same cases.
std::uint64_t worker_seed(std::uint64_t seed, unsigned worker);

// Searches `cases` cases of `gp` (or, with opt.seconds > 0, until the time
// is up) from RapidCheck seed `rc_seed`, shrinking the first failure.
WorkerOutcome run_worker(const Driver& d, const GeneratedProperty& gp, const CampaignOptions& opt,
                         std::uint64_t rc_seed, std::uint64_t cases, const Progress& progress);

}  // namespace ptspec::props::detail
