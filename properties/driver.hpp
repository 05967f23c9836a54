// A format driver: everything the format-generic layers (loader, replay,
// campaign, CLI, Python) need to know about one format. Each format registers
// one Driver; adding a format means adding a driver, not touching the tools.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "model/core/decoded.hpp"
#include "model/core/events.hpp"
#include "properties/case.hpp"

namespace ptspec::props {

// One failed check. `invariant` is a stable short name used in case files
// ("expect": {"holds": false, "violation": "refcount"}):
//   abstraction  tables read back != abstract spec (or return codes differ)
//   refcount     a table page's count != 1 + counted entries
//   structure    a table page reachable twice, or a leaf at a level without leaves
//   leak         a page allocated but neither reachable nor freed
//   bbm          valid->valid change of output address/size without invalid + TLBI between
//   flush        an entry made invalid or less permissive without a TLBI before the op returned
//   unchanged    an op returned an error but changed the tables
//   expectation  an op's "expect" or an expect_* op did not hold
//   model-error  the model itself threw (an internal inconsistency, e.g. a
//                reference dropped on a page with count 0)
// x86.tdx (properties/x86/tdx_checks.hpp has each rule and its source):
//   stale-tlb        a live vCPU TLB translates a private page that was removed or reused
//   remove-protocol  a successful PAGE/SEPT.REMOVE without BLOCK, a TRACK past the block
//                    epoch and the exit of every vCPU of the old epoch (from the history)
//   mirror           KVM's mirror and the Secure EPT disagree outside KVM's retries
//   wbinvd           a page back to (or out of) the host pool without PHYMEM.PAGE.WBINVD
//   busy-consistent  a BUSY-failed op KVM is retrying left a trace in either view
//   kvm-bug          KVM hit KVM_BUG_ON
// arm64.stage1 (properties/arm64/stage1_checks.hpp has each rule and its source):
//   cpu-view     once no library call is in flight, a CPU's TLB disagrees with its tables,
//                or an access disagrees with the abstract map
//   maintenance  a table update without its WRITE_ONCE / DSB / TLBI / DSB ISH + ISB step,
//                or the MMU enabled without TLB invalidation (the message names the step)
struct Violation {
  std::string invariant;
  std::string detail;
};

// Every invariant name above (what "expect.violation" may name).
const std::vector<std::string>& invariant_names();

struct StepReport {
  std::size_t op_index = 0;
  std::string op_text;              // the op as one line of JSON
  int ret = 0;                      // errno-style result (0 for expect_* ops that held)
  std::vector<Event> events;        // what the op did, in order
  std::vector<std::string> trace;   // human-readable: entry old -> new, TLBIs, barriers
  std::vector<Violation> violations;
};

// A live instance of a format: the model, its abstract spec, and the
// invariant checkers that run after every op.
class Session {
 public:
  virtual ~Session() = default;
  // Runs one op on the model and the spec and checks every invariant.
  virtual StepReport step(const Op& op) = 0;
  // Every table page and non-zero entry.
  virtual std::string dump() const = 0;
  // The hardware walk of one address, level by level (`ptspec walk`).
  virtual std::string walk_text(std::uint64_t addr) const = 0;
  virtual Json walk_json(std::uint64_t addr) const = 0;
  // Operations run so far (for ops/s figures).
  virtual std::uint64_t ops_run() const = 0;
};

struct PropertyInfo {
  std::string name;         // e.g. "stage2-ops-refine-spec"
  std::string description;
};

struct VariantDesc {
  std::string name;
  std::string source;  // where the historical bug comes from
};


struct Driver {
  std::string id;       // "arm64.stage2"
  std::string summary;  // one line
  std::vector<OpSpec> ops;
  std::vector<VariantDesc> variants;
  std::vector<PropertyInfo> properties;
  Json default_config;  // the built-in default configuration(s) `ptspec check` runs
  // Throws InputError("<where>.config.<field>: ...") for a config the format cannot have.
  std::function<void(const Json& config, const std::string& where)> check_config;
  // Throws InputError for an unknown variant.
  std::function<std::unique_ptr<Session>(const Json& config, const std::string& variant)> make_session;
  // `ptspec decode FORMAT VALUE [--level N]`; level < 0 = unknown.
  std::function<DecodedEntry(const Json& config, std::uint64_t value, int level)> decode;
};

// The registry of all formats (built-in drivers register themselves here).
const std::vector<const Driver*>& drivers();
const Driver* find_driver(const std::string& id);  // nullptr if unknown

struct ReplayOptions {
  std::string variant;            // overrides the case's "variant" when non-empty
  bool stop_at_first_violation = true;
};

struct ReplayResult {
  bool holds = true;                    // every invariant and expectation held
  bool as_expected = true;              // holds == case.expect_holds (and the violation matches)
  std::vector<StepReport> steps;
  std::vector<Violation> violations;    // all that were found
  std::string final_dump;               // tables after the last op run
  double seconds = 0;
};

ReplayResult replay(const Case& c, const ReplayOptions& opt = {});
// The trace of a replay: each op, each entry changed old -> new, each TLBI.
void print_trace(std::ostream& os, const Case& c, const ReplayResult& r);

}  // namespace ptspec::props
