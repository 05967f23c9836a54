// The forked --jobs workers of a campaign. Internal to ptspec::properties
// (campaign.cpp).
#pragma once

#include <vector>

#include "properties/campaign.hpp"
#include "properties/campaign_worker.hpp"
#include "properties/driver.hpp"
#include "properties/rc_case_gen.hpp"

namespace ptspec::props::detail {

// Runs opt.jobs workers in child processes, each on its own seed
// (worker_seed) and share of opt.cases, calling `progress` with the summed
// counts as they report. Returns one outcome per worker started.
std::vector<WorkerOutcome> run_forked(const Driver& d, const GeneratedProperty& gp, const CampaignOptions& opt,
                                      const Progress& progress);

}  // namespace ptspec::props::detail
