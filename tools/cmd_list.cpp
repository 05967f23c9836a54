// `ptspec list [--json]`: what there is to check -- per format its lemmas,
// properties, historical-bug variants, ops and corpus cases.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "properties/corpus.hpp"
#include "solver/lemma.hpp"
#include "tools/commands.hpp"
#include "tools/formats.hpp"

namespace ptspec::cli {

namespace {

using props::Json;

struct ListArgs {
  bool json = false;
  std::string corpus_dir;
  std::vector<std::string> formats;
};

Json format_json(const std::string& id, const std::string& corpus_dir) {
  const props::Driver* d = props::find_driver(id);
  Json lemmas = Json::array();
  for (const solver::Lemma* l : solver::lemmas_of_format(id))
    lemmas.push_back({{"name", l->name},
                      {"statement", l->statement},
                      {"expect", std::string(solver::expect_name(l->expected))},
                      {"time_limit_ms", l->time_limit_ms}});
  Json properties = Json::array(), variants = Json::array(), ops = Json::array();
  if (d) {
    for (const props::PropertyInfo& p : d->properties)
      properties.push_back({{"name", p.name}, {"description", p.description}});
    for (const props::VariantDesc& v : d->variants) variants.push_back({{"name", v.name}, {"source", v.source}});
    for (const props::OpSpec& o : d->ops) {
      Json args = Json::array();
      for (const props::ArgSpec& s : o.args) args.push_back({{"name", s.name}, {"required", s.required}, {"help", s.help}});
      ops.push_back({{"name", o.name}, {"help", o.help}, {"args", args}});
    }
  }
  Json cases = Json::array();
  for (const props::CorpusEntry& e : props::list_corpus(corpus_dir, id))
    cases.push_back({{"path", e.path}, {"origin", props::origin_name(e.origin)}});
  return {{"id", id},
          {"summary", d ? d->summary : std::string("(lemmas only; no model driver yet)")},
          {"model", d != nullptr},
          {"lemmas", lemmas},
          {"properties", properties},
          {"variants", variants},
          {"ops", ops},
          {"cases", cases},
          {"default_config", d ? d->default_config : Json(nullptr)}};
}

void print_format(std::ostream& os, const Json& f) {
  os << fmt::format("{} -- {}\n", f["id"].get<std::string>(), f["summary"].get<std::string>());
  os << fmt::format("  lemmas ({}):\n", f["lemmas"].size());
  for (const Json& l : f["lemmas"])
    os << fmt::format("    {:<40} expect {:<14} {}\n", l["name"].get<std::string>(), l["expect"].get<std::string>(),
                      l["statement"].get<std::string>());
  os << fmt::format("  properties ({}):\n", f["properties"].size());
  for (const Json& p : f["properties"])
    os << fmt::format("    {:<40} {}\n", p["name"].get<std::string>(), p["description"].get<std::string>());
  os << fmt::format("  variants ({}):\n", f["variants"].size());
  for (const Json& v : f["variants"])
    os << fmt::format("    {:<40} {}\n", v["name"].get<std::string>(), v["source"].get<std::string>());
  os << fmt::format("  ops: ");
  std::vector<std::string> names;
  for (const Json& o : f["ops"]) names.push_back(o["name"].get<std::string>());
  os << (names.empty() ? std::string("-") : join(names)) << "\n";
  os << fmt::format("  cases ({}):\n", f["cases"].size());
  for (const Json& c : f["cases"])
    os << fmt::format("    {:<6} {}\n", c["origin"].get<std::string>(), c["path"].get<std::string>());
}

int run(const ListArgs& a) {
  const std::string corpus_dir = corpus_dir_or_default(a.corpus_dir);
  Json formats = Json::array();
  for (const std::string& id : select_formats(a.formats, "--format")) formats.push_back(format_json(id, corpus_dir));
  if (a.json) {
    std::cout << Json{{"schema", 1}, {"corpus", corpus_dir}, {"formats", formats}}.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "corpus: " << corpus_dir << "\n";
  for (const Json& f : formats) {
    std::cout << "\n";
    print_format(std::cout, f);
  }
  return kExitOk;
}

}  // namespace

Command add_list(CLI::App& root) {
  auto a = std::make_shared<ListArgs>();
  CLI::App* app = root.add_subcommand("list", "List formats with their lemmas, properties, variants and corpus cases");
  app->add_flag("--json", a->json, "One JSON document (schema 1)");
  app->add_option("--format", a->formats, "Only this format (repeatable)");
  app->add_option("--corpus", a->corpus_dir, "Corpus directory (default: $PTSPEC_CORPUS or the built-in corpus)");
  return {app, [a] { return run(*a); }};
}

}  // namespace ptspec::cli
