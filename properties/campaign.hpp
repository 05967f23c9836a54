// The property campaign: RapidCheck random configs and op sequences run
// through the replay engine with every invariant checked after every op;
// failures are shrunk and written as corpus cases.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "properties/case_writer.hpp"  // write_case_unique, for the campaign's callers
#include "properties/driver.hpp"

namespace ptspec::props {

struct CampaignOptions {
  std::uint64_t seed = 1;      // deterministic: same seed, same cases
  std::uint64_t cases = 200;   // RapidCheck test cases (ignored if seconds > 0)
  double seconds = 0;          // run for this long instead of a case count
  unsigned jobs = 1;           // parallel workers, each with its own seed stream
  unsigned max_ops = 40;       // longest op sequence per case
  std::string variant;         // run a historical-bug variant
  std::string found_dir;       // where counterexamples go (corpus/<format>/found)
  bool progress = false;       // a progress line on stderr (only when it is a terminal)
};

struct CampaignResult {
  std::string format;
  std::string property;
  bool passed = true;
  std::uint64_t cases_run = 0;
  std::uint64_t ops_run = 0;
  double seconds = 0;
  std::optional<std::string> counterexample_path;  // the shrunk case written to found_dir
  std::size_t counterexample_ops = 0;
  std::string message;  // the violation, when failed
};

CampaignResult run_campaign(const Driver& d, const PropertyInfo& p, const CampaignOptions& opt);

}  // namespace ptspec::props
