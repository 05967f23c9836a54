// `ptspec`: parses the command line, runs the chosen subcommand and maps
// errors to the documented exit codes (0 held, 1 failed, 2 bad input,
// 3 internal error). Bad input never crashes: every path that reads user
// input throws InputError with a message naming the file / op / field.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>
#include <vector>

#include "model/core/errors.hpp"
#include "tools/commands.hpp"

namespace cli = ptspec::cli;

int main(int argc, char** argv) {
  CLI::App app{
      "ptspec -- formal model and conformance harness for hypervisor page-table formats.\n"
      "Exit codes: 0 all hold, 1 a check failed, 2 bad input or usage, 3 internal error."};
  app.require_subcommand(1);
  std::vector<cli::Command> commands = {cli::add_list(app),   cli::add_check(app), cli::add_prove(app),
                                        cli::add_replay(app), cli::add_decode(app), cli::add_walk(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 uses its own codes (106, 109 ...); ours say "usage" with 2.
    std::cerr << "ptspec: usage error: " << e.what() << "\n";
    std::cerr << "Run with --help for more information.\n";
    return cli::kExitInput;
  }
  try {
    for (const cli::Command& c : commands)
      if (c.app->parsed()) return c.run();
    std::cerr << "ptspec: usage error: no subcommand given\n";
    return cli::kExitInput;
  } catch (const ptspec::InputError& e) {
    std::cerr << "ptspec: error: " << e.what() << "\n";
    return cli::kExitInput;
  } catch (const std::exception& e) {
    std::cerr << "ptspec: internal error: " << e.what() << "\n";
    return cli::kExitInternal;
  }
}
