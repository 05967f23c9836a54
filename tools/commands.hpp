// The subcommands of `ptspec`. Each file cmd_<name>.cpp registers one
// subcommand on the root app and returns what to run if the user picked it;
// main.cpp only parses and maps exceptions to exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace ptspec::cli {

// Exit codes (DESIGN.md "Contracts"): tests and scripts rely on them.
inline constexpr int kExitOk = 0;        // everything held
inline constexpr int kExitFailed = 1;    // a check failed (counterexample saved / printed)
inline constexpr int kExitInput = 2;     // bad input or usage
inline constexpr int kExitInternal = 3;  // a bug in ptspec itself

struct Command {
  CLI::App* app;             // the subcommand, to test whether it was chosen
  std::function<int()> run;  // returns the exit code; may throw InputError
};

Command add_list(CLI::App& root);
Command add_check(CLI::App& root);
Command add_prove(CLI::App& root);
Command add_replay(CLI::App& root);
Command add_decode(CLI::App& root);
Command add_walk(CLI::App& root);

}  // namespace ptspec::cli
