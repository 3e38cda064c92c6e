// The kafscale command line: global options, the command chosen and its
// arguments. Parsing checks everything that can be checked without a broker,
// so bad arguments always end in exit code 2 with usage text.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kafscale::cli {

// Exit codes: success, a failed operation, unusable arguments.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

enum class OutputFormat { kTable, kJson };

enum class Command {
  kTopicsList,
  kTopicsCreate,
  kTopicsDescribe,
  kTopicsDelete,
  kTopicsAlterConfig,
  kGroupsList,
  kGroupsDescribe,
  kGroupsResetOffsets,
  kGroupsDelete,
  kClusterStatus,
  kProduce,
  kConsume,
  kRestore,
};

struct GlobalOptions {
  std::string bootstrap = "localhost:9092";
  OutputFormat output = OutputFormat::kTable;
  int32_t timeout_ms = 30000;
  std::string client_id = "kafscale-cli";
};

struct TopicsCreateArgs {
  std::string topic;
  int32_t partitions = 1;
  int16_t replication_factor = 1;
  std::map<std::string, std::string> configs;
};

struct TopicsAlterConfigArgs {
  std::string topic;
  std::map<std::string, std::string> set;
  std::vector<std::string> remove;
};

enum class ResetStrategy { kEarliest, kLatest, kTimestamp, kOffset };

struct ResetOffsetsArgs {
  std::string group;
  std::vector<std::string> topics;
  std::vector<int32_t> partitions;  // empty: every partition of each topic
  ResetStrategy strategy = ResetStrategy::kEarliest;
  int64_t value = 0;  // the timestamp (ms) or offset for those strategies
  bool dry_run = false;
};

struct ProduceArgs {
  std::string topic;
  std::optional<int32_t> partition;
  std::optional<std::string> key_separator;  // set: lines are KEY<sep>VALUE
  int16_t acks = -1;
};

enum class StartPosition { kBeginning, kEnd, kOffset };

struct ConsumeArgs {
  std::string topic;
  std::vector<int32_t> partitions;  // empty: all
  StartPosition start = StartPosition::kBeginning;
  int64_t start_offset = 0;
  std::optional<int64_t> max_messages;
  bool follow = false;  // keep waiting for new records instead of stopping at the end
  std::optional<std::string> key_separator;  // set: print KEY<sep>VALUE
};

struct RestoreArgs {
  std::string source;
  std::string destination;
  int64_t until_ms = 0;
};

// The parsed command line. Only the arguments of `command` are meaningful.
struct CommandLine {
  GlobalOptions global;
  Command command = Command::kTopicsList;
  std::vector<std::string> names;  // topics or groups for describe/delete
  TopicsCreateArgs topics_create;
  TopicsAlterConfigArgs topics_alter_config;
  ResetOffsetsArgs reset_offsets;
  std::string metrics_url;  // cluster status
  ProduceArgs produce;
  ConsumeArgs consume;
  RestoreArgs restore;
};

struct ParseOutcome {
  std::optional<CommandLine> command_line;  // set when a command should run
  int exit_code = kExitOk;                  // meaningful when command_line is unset
};

// Parses argv (argv[0] is the program name). On --help prints help to `out`
// and returns exit 0 without a command; on bad arguments prints the error
// and the usage of the (sub)command to `err` and returns exit 2.
// `bootstrap_env` is KAFSCALE_BOOTSTRAP's value, if set. Thread-safe.
ParseOutcome ParseCommandLine(int argc, const char* const* argv, const std::optional<std::string>& bootstrap_env,
                              std::ostream& out, std::ostream& err);

}  // namespace kafscale::cli
