// `ptspec walk CASE.json ADDRESS`: replays a case's ops, then shows the
// hardware walk of ADDRESS over the resulting tables, level by level.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "model/core/errors.hpp"
#include "properties/case.hpp"
#include "properties/driver.hpp"
#include "tools/commands.hpp"
#include "tools/formats.hpp"

namespace ptspec::cli {

namespace {

using props::Json;

struct WalkArgs {
  std::string path;
  std::string address;
  std::string variant;
  bool json = false;
};

int run(const WalkArgs& a) {
  const props::Case c = props::load_case_file(a.path);
  const std::uint64_t addr = props::parse_u64(a.address, "walk: ADDRESS");
  const props::Driver& d = require_driver(c.format, a.path + ": format");
  const std::string variant = a.variant.empty() ? c.variant : a.variant;
  if (!a.variant.empty() && !has_variant(d, a.variant)) require_variant({d.id}, a.variant, "--variant");
  std::unique_ptr<props::Session> s = d.make_session(c.config, variant);
  // Every op runs, even after a violation: the walk shows the tables the
  // case leaves behind. Violations are noted on stderr, not fatal here.
  Json notes = Json::array();
  for (const props::Op& op : c.ops) {
    props::StepReport r = s->step(op);
    for (const props::Violation& v : r.violations) {
      std::string note = fmt::format("ops[{}]: {} violated: {}", op.index, v.invariant, v.detail);
      if (!a.json) std::cerr << "note: " << note << "\n";
      notes.push_back(note);
    }
  }
  if (a.json) {
    Json j = {{"schema", 1},
              {"case", a.path},
              {"format", c.format},
              {"variant", variant},
              {"address", props::hex(addr)},
              {"ops", c.ops.size()},
              {"notes", notes},
              {"walk", s->walk_json(addr)}};
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << fmt::format("{} after {} ops{}: walk of {:#x}\n", a.path, c.ops.size(),
                             variant.empty() ? "" : " (variant " + variant + ")", addr);
    const std::string text = s->walk_text(addr);
    std::cout << text << (text.ends_with('\n') ? "" : "\n");
  }
  return kExitOk;
}

}  // namespace

Command add_walk(CLI::App& root) {
  auto a = std::make_shared<WalkArgs>();
  CLI::App* app = root.add_subcommand("walk", "Replay a case, then show the hardware walk of ADDRESS level by level");
  app->add_option("case", a->path, "Case file (JSON)")->required();
  app->add_option("address", a->address, "Input address (decimal or 0x-hex)")->required();
  app->add_option("--variant", a->variant, "Run the ops under this historical-bug variant");
  app->add_flag("--json", a->json, "One JSON document (schema 1)");
  return {app, [a] { return run(*a); }};
}

}  // namespace ptspec::cli
