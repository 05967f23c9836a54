// The parts of a Session::step that are the same for every format: running
// the op with the model's exceptions turned into violations, the trace line
// of each event, the op's "expect", and the "ops[i] name: " prefix on every
// violation. Each format's session does the rest (its snapshot, its checkers).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/core/events.hpp"
#include "properties/driver.hpp"

namespace ptspec::props {

// Runs `run`. An InputError passes through (bad input, exit 2). Any other
// exception from the model is a "model-error" violation -- or, when `raw`
// (the case wrote tables by hand), an InputError naming the op, since the
// model is not expected to cope with arbitrary tables. Returns false when
// the model threw.
bool run_guarded(const Op& op, bool raw, StepReport& rep, const std::function<void()>& run);

// One describe() line per event, with `prefix` in front; a Write also shows
// the old and new entry through `brief(value, level)` when given.
using EntryBrief = std::function<std::string(std::uint64_t value, unsigned level)>;
void trace_events(StepReport& rep, const std::vector<Event>& events, const EntryBrief& brief,
                  const std::string& prefix = "");

// The step's closing: an "expectation" violation when the op's "expect"
// differs from `ret`, then "ops[i] name: " in front of every violation.
void check_expect(const Op& op, int ret, StepReport& rep);
void prefix_violations(const Op& op, StepReport& rep);

}  // namespace ptspec::props
