// `ptspec decode FORMAT VALUE [--level N] [--config C]`: one entry explained
// field by field (bit range, value, meaning) with every problem the hardware
// would see, such as reserved bits set.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "model/core/decoded.hpp"
#include "model/core/errors.hpp"
#include "properties/case.hpp"
#include "tools/commands.hpp"
#include "tools/formats.hpp"

namespace ptspec::cli {

namespace {

using props::Json;

struct DecodeArgs {
  std::string format;
  std::string value;
  int level = -1;
  std::string config;
  bool json = false;
};

std::string bits(const DecodedField& f) {
  return f.hi == f.lo ? fmt::format("{}", f.lo) : fmt::format("{}:{}", f.hi, f.lo);
}

int run(const DecodeArgs& a) {
  const props::Driver& d = require_driver(a.format, "decode: FORMAT");
  const std::uint64_t value = props::parse_u64(a.value, "decode: VALUE");
  // No format has more than six levels (arm64 0..3 or -1 with LPA2, x86 1..5);
  // anything else is a typo. The driver rejects levels its own format does
  // not have (x86.ept: 1..5, arm64.stage2: 0..3).
  if (a.level < -1 || a.level > 5)
    throw InputError(fmt::format("--level: {} is not a table level (0..5, or -1 = unknown)", a.level));
  const Json config = a.config.empty() ? default_config(d) : parse_config_arg(d, a.config, "--config");
  if (!d.decode) throw InputError("decode: format " + d.id + " has no decoder yet");
  const DecodedEntry e = d.decode(config, value, a.level);

  if (a.json) {
    Json fields = Json::array();
    for (const DecodedField& f : e.fields)
      fields.push_back({{"name", f.name}, {"hi", f.hi}, {"lo", f.lo}, {"value", props::hex(f.value)}, {"meaning", f.meaning}});
    Json j = {{"schema", 1},
              {"format", d.id},
              {"value", props::hex(value)},
              {"level", a.level < 0 ? Json(nullptr) : Json(a.level)},
              {"config", config},
              {"kind", e.kind},
              {"summary", e.summary},
              {"fields", fields},
              {"problems", e.problems}};
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("{} entry {:#018x}{} (config {})\n", d.id, value,
                           a.level < 0 ? std::string(", level unknown") : fmt::format(" at level {}", a.level),
                           config.dump());
  std::cout << fmt::format("{}: {}\n\n", e.kind, e.summary);
  std::cout << fmt::format("  {:<7} {:<24} {:<20} {}\n", "bits", "field", "value", "meaning");
  for (const DecodedField& f : e.fields)
    std::cout << fmt::format("  {:<7} {:<24} {:<20} {}\n", bits(f), f.name, fmt::format("{:#x}", f.value), f.meaning);
  if (e.problems.empty()) {
    std::cout << "\nproblems: none\n";
  } else {
    std::cout << "\nproblems:\n";
    for (const std::string& p : e.problems) std::cout << "  - " << p << "\n";
  }
  return kExitOk;
}

}  // namespace

Command add_decode(CLI::App& root) {
  auto a = std::make_shared<DecodeArgs>();
  CLI::App* app = root.add_subcommand("decode", "Explain one page-table entry field by field");
  app->add_option("format", a->format, "Format id, e.g. arm64.stage2")->required();
  app->add_option("value", a->value, "The entry (decimal or 0x-hex)")->required();
  app->add_option("--level", a->level, "Table level of the entry (default: unknown)");
  app->add_option("--config", a->config, "Configuration: inline JSON object, a JSON file, or a case file");
  app->add_flag("--json", a->json, "One JSON document (schema 1)");
  return {app, [a] { return run(*a); }};
}

}  // namespace ptspec::cli
