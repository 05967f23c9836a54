// Finding corpus cases on disk: corpus/<format>/{seeds,found,bugs}/*.json.
#pragma once

#include <string>
#include <vector>

#include "properties/case.hpp"

namespace ptspec::props {

struct CorpusEntry {
  std::string path;
  std::string format;
  Origin origin;  // from the folder name
};

// Sorted by path. A missing directory yields nothing.
std::vector<CorpusEntry> list_corpus(const std::string& corpus_dir, const std::string& format = "");

// The corpus directory: $PTSPEC_CORPUS if set, else the compiled-in default.
std::string default_corpus_dir();

}  // namespace ptspec::props
