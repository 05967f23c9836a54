// RapidCheck generators for x86.sppt: a random EPT configuration and op
// sequences over a small GFN window -- several GFNs in one 2 MiB region (so
// one lazy L2E invalidation covers several), a neighbouring region and one in
// another 1 GiB region -- with overlapping set/remove, lazy updates followed
// by writes that miss, maps after sets (deferred), unmaps and accesses to
// random sub-pages.
#pragma once

#include <rapidcheck/Gen.h>

#include "properties/rc_case_gen.hpp"

namespace ptspec::props::spptgen {

rc::Gen<GeneratedCase> gen_case(unsigned max_ops);

}  // namespace ptspec::props::spptgen
