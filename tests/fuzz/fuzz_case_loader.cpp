// libFuzzer target: arbitrary bytes into the case loader (JSON parse, then
// parse_case with every format's op table and config check).
//
// Expected outcomes: a JSON parse error, or InputError naming what is wrong.
// A bug is anything else: a crash, a sanitizer report, another exception, or
// a case that loads but whose own serialisation (to_json, used when the
// campaign writes counterexamples) does not load again identically.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>

#include "model/core/errors.hpp"
#include "properties/case.hpp"

namespace {

[[noreturn]] void bug(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_case_loader: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using ptspec::props::Json;
  Json doc;
  try {
    doc = Json::parse(data, data + size);
  } catch (const Json::exception&) {
    // Not JSON (parse_error), or a number literal beyond double range such as
    // 1e400 (out_of_range 406): nlohmann rejects the text itself. Whether
    // load_case_file turns both into InputError is a CLI test (tests/cli).
    return 0;
  }
  ptspec::props::Case c;
  try {
    c = ptspec::props::parse_case(doc, "fuzz.json");
  } catch (const ptspec::InputError&) {
    return 0;  // rejected with a message: the expected outcome for bad input
  } catch (const std::exception& e) {
    bug("parse_case threw something other than InputError", e.what());
  }
  try {
    const Json once = c.to_json();
    const ptspec::props::Case again = ptspec::props::parse_case(once, "fuzz.json (round trip)");
    if (again.to_json() != once) bug("to_json/parse_case is not a round trip", once.dump());
  } catch (const ptspec::InputError& e) {
    bug("a loaded case does not load again after to_json", e.what());
  } catch (const std::exception& e) {
    bug("round trip threw", e.what());
  }
  return 0;
}
