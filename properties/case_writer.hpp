// Writing a case file into a corpus directory without overwriting one that
// is there (the campaign's counterexamples; anyone saving a case).
#pragma once

#include <string>

#include "properties/case.hpp"

namespace ptspec::props {

// Writes `c` as JSON into `dir` under a fresh name starting with `stem`;
// never overwrites an existing file (write to a temp file, then link(2) to a
// name that does not exist yet). Returns the path written.
std::string write_case_unique(const Case& c, const std::string& dir, const std::string& stem);

}  // namespace ptspec::props
