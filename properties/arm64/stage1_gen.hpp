// RapidCheck generator of the arm64.stage1 property
// (stage1-cpu-views-match-map): a granule / VA size, two CPUs and two
// tables, then random library calls (install_page / install_block /
// map_range / map_sect / clear_user / mmu_enable / mmu_disable / TLB
// flushes), some stopped after a few micro-steps so the other CPU's
// accesses and `step`s interleave with their maintenance sequences, and
// EL0/EL1 reads, writes and fetches -- all in a window of four level-2
// blocks so calls and accesses meet.
#pragma once

#include <rapidcheck/Gen.h>

#include "properties/rc_case_gen.hpp"

namespace ptspec::props::stage1gen {

rc::Gen<GeneratedCase> gen_case(unsigned max_ops);

}  // namespace ptspec::props::stage1gen
