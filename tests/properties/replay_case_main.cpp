// ptspec_replay_case [--trace] CASE.json: replays one corpus case and exits 0
// iff it replays as its "expect" says; otherwise (or with --trace) prints the
// full trace. CTest runs it once per corpus file (tests/properties/
// CMakeLists.txt), so a failing case shows up under its own name with the
// trace in its log. Exit codes follow the CLI's: 0 as expected, 1 not as
// expected, 2 bad input.
#include <cstring>
#include <exception>
#include <iostream>

#include "model/core/errors.hpp"
#include "properties/case.hpp"
#include "properties/driver.hpp"

int main(int argc, char** argv) {
  const bool trace = argc == 3 && std::strcmp(argv[1], "--trace") == 0;
  if (argc != 2 && !trace) {
    std::cerr << "usage: ptspec_replay_case [--trace] CASE.json\n";
    return 2;
  }
  const char* path = argv[argc - 1];
  try {
    const ptspec::props::Case c = ptspec::props::load_case_file(path);
    const ptspec::props::ReplayResult r = ptspec::props::replay(c);
    if (trace || !r.as_expected) ptspec::props::print_trace(std::cout, c, r);
    if (r.as_expected)
      std::cout << path << ": as expected (" << (r.holds ? "holds" : "violation found") << ", " << r.steps.size()
                << " ops run)\n";
    return r.as_expected ? 0 : 1;
  } catch (const ptspec::InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "internal error replaying " << path << ": " << e.what() << "\n";
    return 3;
  }
}
