// RapidCheck generators for x86.paging: a random paging context (32-bit with
// and without PSE, PAE on Intel and AMD, 4- and 5-level; random WP, SMEP,
// SMAP, NXE, AC, CPL, MAXPHYADDR), small guest tables written entry by entry
// with random P/RW/US/PWT/A/D/PS/XD bits and sometimes a reserved bit or a
// link to unbacked memory, CR3 and context changes, and random accesses.
#pragma once

#include <rapidcheck/Gen.h>

#include "properties/rc_case_gen.hpp"

namespace ptspec::props::paginggen {

rc::Gen<GeneratedCase> gen_case(unsigned max_ops);

}  // namespace ptspec::props::paginggen
