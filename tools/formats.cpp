#include "tools/formats.hpp"

#include <algorithm>
#include <cstdlib>

#include "model/core/errors.hpp"
#include "properties/corpus.hpp"
#include "solver/lemma.hpp"

namespace ptspec::cli {

using props::Json;

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string s;
  for (const std::string& i : items) {
    if (!s.empty()) s += sep;
    s += i;
  }
  return s;
}

std::vector<std::string> all_formats() {
  std::vector<std::string> out;
  auto add = [&](const std::string& id) {
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  };
  for (const props::Driver* d : props::drivers()) add(d->id);
  for (const std::string& f : solver::lemma_formats()) add(f);
  return out;
}

std::vector<std::string> select_formats(const std::vector<std::string>& requested, const std::string& option) {
  const std::vector<std::string> known = all_formats();
  if (requested.empty()) return known;
  std::vector<std::string> out;
  for (const std::string& r : requested) {
    if (std::find(known.begin(), known.end(), r) == known.end())
      throw InputError(option + ": unknown format '" + r + "' (known: " + join(known) + ")");
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  }
  return out;
}

const props::Driver& require_driver(const std::string& id, const std::string& where) {
  if (const props::Driver* d = props::find_driver(id)) return *d;
  std::vector<std::string> ids;
  for (const props::Driver* d : props::drivers()) ids.push_back(d->id);
  throw InputError(where + ": unknown format '" + id + "' (formats with a model: " + join(ids) + ")");
}

bool has_variant(const props::Driver& d, const std::string& name) {
  return std::any_of(d.variants.begin(), d.variants.end(),
                     [&](const props::VariantDesc& v) { return v.name == name; });
}

void require_variant(const std::vector<std::string>& formats, const std::string& name, const std::string& option) {
  std::vector<std::string> known;
  for (const std::string& f : formats) {
    const props::Driver* d = props::find_driver(f);
    if (!d) continue;
    if (has_variant(*d, name)) return;
    for (const props::VariantDesc& v : d->variants) known.push_back(f + ":" + v.name);
  }
  throw InputError(option + ": unknown variant '" + name + "' for the selected formats (known: " +
                   (known.empty() ? std::string("none") : join(known)) + ")");
}

std::string corpus_dir_or_default(const std::string& dir) {
  return dir.empty() ? props::default_corpus_dir() : dir;
}

Json default_config(const props::Driver& d) {
  if (d.default_config.is_array() && !d.default_config.empty()) return d.default_config.front();
  if (d.default_config.is_object()) return d.default_config;
  return Json::object();
}

Json parse_config_arg(const props::Driver& d, const std::string& text, const std::string& option) {
  Json cfg;
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) {
    try {
      cfg = Json::parse(text);
    } catch (const Json::exception& e) {
      throw InputError(option + ": malformed JSON: " + e.what());
    }
  } else {
    cfg = props::load_json_file(text);
  }
  std::string where = option;
  // A whole case file names its config under "config"; take that.
  if (cfg.is_object() && cfg.contains("config") && cfg.contains("ops")) {
    cfg = cfg["config"];
    where += ".config";
  }
  if (!cfg.is_object()) throw InputError(where + ": expected a JSON object");
  if (d.check_config) d.check_config(cfg, where);
  return cfg;
}

}  // namespace ptspec::cli
