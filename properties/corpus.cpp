// Finding corpus cases on disk: corpus/<format>/{seeds,found,bugs}/*.json
// (DESIGN.md "Layout"). The origin comes from the folder, not the file, so a
// case moved from found/ to bugs/ changes its standing without an edit.
#include "properties/corpus.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#ifndef PTSPEC_CORPUS_DIR
#define PTSPEC_CORPUS_DIR "corpus"
#endif

namespace ptspec::props {

namespace fs = std::filesystem;

std::vector<CorpusEntry> list_corpus(const std::string& corpus_dir, const std::string& format) {
  std::vector<CorpusEntry> out;
  std::error_code ec;
  if (!fs::is_directory(corpus_dir, ec)) return out;
  static const std::pair<const char*, Origin> kFolders[] = {
      {"seeds", Origin::Seed}, {"found", Origin::Found}, {"bugs", Origin::Bug}};
  for (const auto& fdir : fs::directory_iterator(corpus_dir, ec)) {
    if (!fdir.is_directory(ec)) continue;
    const std::string name = fdir.path().filename().string();
    if (!format.empty() && name != format) continue;
    for (const auto& [sub, origin] : kFolders) {
      const fs::path dir = fdir.path() / sub;
      if (!fs::is_directory(dir, ec)) continue;
      for (const auto& f : fs::directory_iterator(dir, ec))
        if (f.is_regular_file(ec) && f.path().extension() == ".json")
          out.push_back({f.path().string(), name, origin});
    }
  }
  std::sort(out.begin(), out.end(), [](const CorpusEntry& a, const CorpusEntry& b) { return a.path < b.path; });
  return out;
}

std::string default_corpus_dir() {
  if (const char* env = std::getenv("PTSPEC_CORPUS"); env && *env) return env;
  return PTSPEC_CORPUS_DIR;
}

}  // namespace ptspec::props
