// RapidCheck generators for x86.ept: a random legal configuration and op
// sequences confined to a small GPA window so that ops overlap (4K/2M/1G maps
// over each other, unmaps across leaf boundaries, protects that reduce and
// relax, splits, collapses of tables built full, accesses with A/D).
#pragma once

#include <rapidcheck/Gen.h>

#include "properties/rc_case_gen.hpp"

namespace ptspec::props::eptgen {

struct Config {
  unsigned levels = 4;
  unsigned maxphyaddr = 46;
  bool ad = false, mbec = false, gb_pages = true, exec_only = true;
  Json to_json() const;
};

// levels 4/5, maxphyaddr 36..52, each capability on or off.
rc::Gen<Config> gen_config();
// One op for `cfg`; never carries "expect".
rc::Gen<Op> gen_op(const Config& cfg);
// A configuration, then up to `max_ops` ops.
rc::Gen<GeneratedCase> gen_case(unsigned max_ops);

}  // namespace ptspec::props::eptgen
