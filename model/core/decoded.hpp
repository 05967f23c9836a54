// An entry explained field by field: what `ptspec decode` prints, and what
// Python's decode() returns as a dict. Shared by every format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptspec {

struct DecodedField {
  std::string name;     // e.g. "S2AP"
  unsigned hi, lo;      // bit range
  std::uint64_t value;  // the field's value (shifted down)
  std::string meaning;  // e.g. "read/write"
};

struct DecodedEntry {
  std::string kind;     // "invalid", "table", "block", "page", "owner annotation", ...
  std::string summary;  // one line
  std::vector<DecodedField> fields;
  std::vector<std::string> problems;  // reserved bits set, encodings invalid at this level
};

}  // namespace ptspec
