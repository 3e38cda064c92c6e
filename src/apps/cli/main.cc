// kafscale: the admin CLI. All logic lives in cli.cc; this binds it to the
// process's environment and standard streams.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "apps/cli/cli.h"

int main(int argc, char** argv) {
  kafscale::cli::CliEnvironment env;
  if (const char* bootstrap = std::getenv("KAFSCALE_BOOTSTRAP")) env.bootstrap_env = bootstrap;
  env.input_fd = STDIN_FILENO;
  env.out = &std::cout;
  env.err = &std::cerr;
  env.show_progress = isatty(STDERR_FILENO) == 1;
  return kafscale::cli::RunCli(argc, argv, env);
}
