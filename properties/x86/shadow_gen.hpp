// RapidCheck generators for x86.shadow: a random MMU configuration (shadow
// paging Intel/AMD, shadow NPT on a 4-level or PAE host), a guest paging
// mode, then random emulated writes of guest entries into a window of eight
// guest pages (tables pointing at each other, at themselves, at data pages
// inside and outside the memslot), CR3 switches and faults of every access
// kind at addresses whose table indices are 0..3 at every level -- so the
// writes land on the entries the walks use.
#pragma once

#include <rapidcheck/Gen.h>

#include "properties/rc_case_gen.hpp"

namespace ptspec::props::shadowgen {

rc::Gen<GeneratedCase> gen_case(unsigned max_ops);

}  // namespace ptspec::props::shadowgen
