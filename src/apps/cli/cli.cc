#include "apps/cli/cli.h"

#include <ostream>

#include "apps/cli/command_line.h"
#include "apps/cli/commands.h"

namespace kafscale::cli {

namespace {

// Runs the chosen command; consume prints as it goes and returns no result.
Result<CommandResult> Dispatch(ClusterClient& client, const CommandLine& line, const CliEnvironment& env,
                               Progress& progress) {
  const std::chrono::milliseconds timeout(line.global.timeout_ms);
  switch (line.command) {
    case Command::kTopicsList: return RunTopicsList(client);
    case Command::kTopicsCreate: return RunTopicsCreate(client, line.topics_create, timeout);
    case Command::kTopicsDescribe: return RunTopicsDescribe(client, line.names.front());
    case Command::kTopicsDelete: return RunTopicsDelete(client, line.names, timeout);
    case Command::kTopicsAlterConfig: return RunTopicsAlterConfig(client, line.topics_alter_config);
    case Command::kGroupsList: return RunGroupsList(client);
    case Command::kGroupsDescribe: return RunGroupsDescribe(client, line.names.front());
    case Command::kGroupsResetOffsets: return RunGroupsResetOffsets(client, line.reset_offsets);
    case Command::kGroupsDelete: return RunGroupsDelete(client, line.names);
    case Command::kClusterStatus: return RunClusterStatus(client, line.metrics_url, timeout);
    case Command::kProduce: return RunProduce(client, line.produce, env.input_fd, progress);
    case Command::kConsume: {
      Status status = RunConsume(client, line.consume, line.global.output, *env.out);
      if (!status.ok()) return status;
      return CommandResult{};
    }
    case Command::kRestore: return RunRestore(client, line.restore, timeout, progress);
  }
  return Status::InvalidArgument("unknown command");
}

}  // namespace

int RunCli(int argc, const char* const* argv, const CliEnvironment& env) {
  ParseOutcome parsed = ParseCommandLine(argc, argv, env.bootstrap_env, *env.out, *env.err);
  if (!parsed.command_line) return parsed.exit_code;
  const CommandLine& line = *parsed.command_line;

  client::ClientOptions options;
  // The parser already checked the list, so this cannot fail.
  options.bootstrap = client::ParseBootstrapServers(line.global.bootstrap).value();
  options.connection.client_id = line.global.client_id;
  options.connection.request_timeout = std::chrono::milliseconds(line.global.timeout_ms);
  ClusterClient client(std::move(options));
  Progress progress(*env.err, env.show_progress);

  Result<CommandResult> result = Dispatch(client, line, env, progress);
  progress.Finish();
  if (!result.ok()) {
    *env.err << "kafscale: error: " << result.status().message() << "\n";
    return kExitFailure;
  }
  if (line.command != Command::kConsume) PrintResult(*result, line.global.output, *env.out);
  env.out->flush();
  return kExitOk;
}

}  // namespace kafscale::cli
