// The kafscale CLI as a function, so tests can run it in-process.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

namespace kafscale::cli {

struct CliEnvironment {
  std::optional<std::string> bootstrap_env;  // KAFSCALE_BOOTSTRAP
  int input_fd = 0;                          // where produce reads lines
  std::ostream* out = nullptr;               // results
  std::ostream* err = nullptr;               // errors, usage, progress
  bool show_progress = false;                // err is a terminal
};

// Parses the command line, runs the command and prints its result. Returns
// the process exit code: 0 success, 1 failure (message on err), 2 bad
// arguments (message and usage on err). Not thread-safe with itself only
// through the streams it is given.
int RunCli(int argc, const char* const* argv, const CliEnvironment& env);

}  // namespace kafscale::cli
