// Resolving what the user named on the command line -- formats, variants,
// the corpus directory, configurations -- with errors that say which option
// was wrong and what the valid choices are.
#pragma once

#include <string>
#include <vector>

#include "properties/case.hpp"
#include "properties/driver.hpp"

namespace ptspec::cli {

// Every known format id: those with a driver (registry order), then those that
// only have lemmas so far.
std::vector<std::string> all_formats();

// `requested` empty = all formats; otherwise each must be known (InputError
// naming `option` and listing the known ids). Order and duplicates cleaned up.
std::vector<std::string> select_formats(const std::vector<std::string>& requested, const std::string& option);

// The driver for `id`, or InputError("<where>: unknown format ...").
const props::Driver& require_driver(const std::string& id, const std::string& where);

// True if `d` has a variant called `name`.
bool has_variant(const props::Driver& d, const std::string& name);
// InputError unless some driver among `formats` has the variant (lists them).
void require_variant(const std::vector<std::string>& formats, const std::string& name, const std::string& option);

// `dir` if non-empty, else $PTSPEC_CORPUS or the compiled-in corpus.
std::string corpus_dir_or_default(const std::string& dir);

// `text` is inline JSON if it starts with '{' or '[', else a file name. A case file
// is accepted too (its "config" is used). Checked with the driver.
props::Json parse_config_arg(const props::Driver& d, const std::string& text, const std::string& option);
// The driver's default configuration; `default_config` may hold several (an
// array), in which case the first is the default for single-config commands.
props::Json default_config(const props::Driver& d);

// "a, b, c" for error messages.
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");

}  // namespace ptspec::cli
