#include "apps/cli/command_line.h"

#include <ostream>

#include <CLI/CLI.hpp>

#include "apps/cli/timestamps.h"
#include "client/cluster_client.h"

namespace kafscale::cli {

namespace {

// Splits KEY=VALUE arguments of `option`; a missing '=' or empty key is a
// usage error.
std::map<std::string, std::string> ParseKeyValues(const std::vector<std::string>& entries,
                                                  const std::string& option) {
  std::map<std::string, std::string> pairs;
  for (const std::string& entry : entries) {
    const size_t equals = entry.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw CLI::ValidationError(option, "expects KEY=VALUE, got \"" + entry + "\"");
    }
    pairs[entry.substr(0, equals)] = entry.substr(equals + 1);
  }
  return pairs;
}

int64_t ParseTimestampOption(const std::string& text, const std::string& option) {
  Result<int64_t> parsed = ParseTimestamp(text);
  if (!parsed.ok()) throw CLI::ValidationError(option, parsed.status().message());
  return *parsed;
}

const CLI::Validator kTimestampText(
    [](std::string& text) {
      Result<int64_t> parsed = ParseTimestamp(text);
      return parsed.ok() ? std::string() : parsed.status().message();
    },
    "", "timestamp");

// The arguments bound to options while parsing, converted afterwards.
struct RawArguments {
  std::string output = "table";
  std::vector<std::string> create_configs;
  std::vector<std::string> alter_set;
  std::string acks = "all";
  std::string reset_timestamp;
  std::string consume_from = "beginning";
  std::string restore_until;
};

}  // namespace

ParseOutcome ParseCommandLine(int argc, const char* const* argv, const std::optional<std::string>& bootstrap_env,
                              std::ostream& out, std::ostream& err) {
  CommandLine line;
  RawArguments raw;
  if (bootstrap_env && !bootstrap_env->empty()) line.global.bootstrap = *bootstrap_env;

  CLI::App app{"kafscale: administer a KafScale (or any Kafka) cluster over the Kafka protocol", "kafscale"};
  app.require_subcommand(1);
  app.add_option("-b,--bootstrap", line.global.bootstrap,
                 "Broker(s) to contact, host:port[,host:port] (env KAFSCALE_BOOTSTRAP)")
      ->check(CLI::Validator(
          [](std::string& text) {
            Result<std::vector<client::HostPort>> servers = client::ParseBootstrapServers(text);
            return servers.ok() ? std::string() : servers.status().message();
          },
          "", "servers"))
      ->type_name("HOST:PORT[,...]")
      ->capture_default_str();
  app.add_option("-o,--output", raw.output, "Output format")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout-ms", line.global.timeout_ms, "Timeout of each request to a broker")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  app.add_option("--client-id", line.global.client_id, "Client id sent to the brokers")->capture_default_str();

  // Subcommands see the global options too, so they may come after the noun.
  auto noun = [&app](const char* name, const char* description) {
    CLI::App* sub = app.add_subcommand(name, description);
    sub->fallthrough();
    return sub;
  };
  auto verb = [&line](CLI::App* parent, const char* name, const char* description, Command command) {
    CLI::App* sub = parent->add_subcommand(name, description);
    sub->fallthrough();
    sub->callback([&line, command] { line.command = command; });
    return sub;
  };

  CLI::App* topics = noun("topics", "List, create, describe, delete and configure topics");
  topics->require_subcommand(1);
  verb(topics, "list", "List topics", Command::kTopicsList);
  CLI::App* create = verb(topics, "create", "Create a topic", Command::kTopicsCreate);
  create->add_option("topic", line.topics_create.topic, "Topic name")->required();
  create->add_option("-p,--partitions", line.topics_create.partitions, "Partition count")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  create->add_option("-r,--replication-factor", line.topics_create.replication_factor, "Replication factor")
      ->check(CLI::Range(1, 32767))
      ->capture_default_str();
  create->add_option("-c,--config", raw.create_configs, "Topic config KEY=VALUE (repeatable)");
  CLI::App* describe = verb(topics, "describe", "Partitions, leaders, offsets and configs of a topic",
                            Command::kTopicsDescribe);
  describe->add_option("topic", line.names, "Topic name")->required()->expected(1);
  CLI::App* remove = verb(topics, "delete", "Delete topics", Command::kTopicsDelete);
  remove->add_option("topics", line.names, "Topic names")->required();
  CLI::App* alter = verb(topics, "alter-config", "Set or remove topic configs", Command::kTopicsAlterConfig);
  alter->add_option("topic", line.topics_alter_config.topic, "Topic name")->required();
  CLI::Option* set_option = alter->add_option("--set", raw.alter_set, "Config to set, KEY=VALUE (repeatable)");
  CLI::Option* delete_option = alter->add_option("--delete", line.topics_alter_config.remove,
                                                 "Config to reset to its default (repeatable)");

  CLI::App* groups = noun("groups", "List, describe, reset and delete consumer groups");
  groups->require_subcommand(1);
  verb(groups, "list", "List consumer groups", Command::kGroupsList);
  CLI::App* group_describe =
      verb(groups, "describe", "Members, assignments, committed offsets and lag", Command::kGroupsDescribe);
  group_describe->add_option("group", line.names, "Group id")->required()->expected(1);
  CLI::App* reset = verb(groups, "reset-offsets", "Commit new offsets for an empty group",
                         Command::kGroupsResetOffsets);
  ResetOffsetsArgs& reset_args = line.reset_offsets;
  reset->add_option("group", reset_args.group, "Group id")->required();
  reset->add_option("-t,--topic", reset_args.topics, "Topic to reset (repeatable)")->required();
  reset->add_option("--partitions", reset_args.partitions, "Partitions to reset (default: all)")
      ->delimiter(',')
      ->check(CLI::NonNegativeNumber);
  CLI::Option_group* strategy = reset->add_option_group("strategy", "Where to move the offsets");
  bool earliest_flag = false;
  bool latest_flag = false;
  CLI::Option* to_earliest = strategy->add_flag("--to-earliest", earliest_flag, "The log start offset");
  CLI::Option* to_latest = strategy->add_flag("--to-latest", latest_flag, "The high watermark");
  CLI::Option* to_timestamp =
      strategy->add_option("--to-timestamp", raw.reset_timestamp, "First offset at or after TIMESTAMP")
          ->check(kTimestampText)
          ->type_name("TIMESTAMP");
  CLI::Option* to_offset =
      strategy->add_option("--to-offset", reset_args.value, "This offset")->check(CLI::NonNegativeNumber);
  strategy->require_option(1);
  reset->add_flag("--dry-run", reset_args.dry_run, "Show the new offsets without committing them");
  CLI::App* group_delete = verb(groups, "delete", "Delete empty groups and their offsets", Command::kGroupsDelete);
  group_delete->add_option("groups", line.names, "Group ids")->required();

  CLI::App* cluster = noun("cluster", "Cluster-wide information");
  cluster->require_subcommand(1);
  CLI::App* status = verb(cluster, "status", "Brokers, partition owners and storage health", Command::kClusterStatus);
  status->add_option("--metrics-url", line.metrics_url,
                     "A broker's HTTP endpoint (http://host:9093) for S3 and etcd health via /readyz");

  CLI::App* produce = app.add_subcommand("produce", "Produce lines of stdin as records");
  produce->fallthrough();
  produce->callback([&line] { line.command = Command::kProduce; });
  produce->add_option("topic", line.produce.topic, "Topic name")->required();
  int32_t produce_partition = 0;
  CLI::Option* partition_option =
      produce->add_option("-p,--partition", produce_partition, "Partition (default: by key hash, or round robin)")
          ->check(CLI::NonNegativeNumber);
  std::string produce_separator;
  CLI::Option* produce_separator_option = produce->add_option(
      "-K,--key-separator", produce_separator, "Read each line as KEY<SEP>VALUE (no separator: the line is the value)");
  produce->add_option("--acks", raw.acks, "Acknowledgement required")
      ->check(CLI::IsMember({"all", "-1", "1"}))
      ->capture_default_str();

  CLI::App* consume = app.add_subcommand("consume", "Print records as lines on stdout");
  consume->fallthrough();
  consume->callback([&line] { line.command = Command::kConsume; });
  consume->add_option("topic", line.consume.topic, "Topic name")->required();
  consume->add_option("-p,--partition", line.consume.partitions, "Partitions to read (default: all)")
      ->delimiter(',')
      ->check(CLI::NonNegativeNumber);
  consume->add_option("--from", raw.consume_from, "Start at: beginning, end, or an offset")
      ->capture_default_str();
  int64_t max_messages = 0;
  CLI::Option* max_option =
      consume->add_option("-n,--max-messages", max_messages, "Stop after this many records")
          ->check(CLI::PositiveNumber);
  consume->add_flag("-f,--follow", line.consume.follow, "Wait for new records instead of stopping at the end");
  std::string consume_separator;
  CLI::Option* consume_separator_option =
      consume->add_option("-K,--key-separator", consume_separator, "Print KEY<SEP>VALUE");

  CLI::App* restore = app.add_subcommand(
      "restore", "Copy a topic's records up to a timestamp into a new topic");
  restore->fallthrough();
  restore->callback([&line] { line.command = Command::kRestore; });
  restore->add_option("--topic", line.restore.source, "Source topic")->required();
  restore->add_option("--to", line.restore.destination, "New topic to create (must not exist)")->required();
  restore->add_option("--until", raw.restore_until, "Last timestamp to copy (ms or RFC 3339)")
      ->required()
      ->check(kTimestampText)
      ->type_name("TIMESTAMP");

  try {
    app.parse(argc, argv);
    line.global.output = raw.output == "json" ? OutputFormat::kJson : OutputFormat::kTable;
    switch (line.command) {
      case Command::kTopicsCreate:
        line.topics_create.configs = ParseKeyValues(raw.create_configs, "--config");
        break;
      case Command::kTopicsAlterConfig:
        if (set_option->count() == 0 && delete_option->count() == 0) {
          throw CLI::ValidationError("alter-config", "give at least one --set or --delete");
        }
        line.topics_alter_config.set = ParseKeyValues(raw.alter_set, "--set");
        break;
      case Command::kGroupsResetOffsets:
        if (to_earliest->count() > 0) reset_args.strategy = ResetStrategy::kEarliest;
        if (to_latest->count() > 0) reset_args.strategy = ResetStrategy::kLatest;
        if (to_offset->count() > 0) reset_args.strategy = ResetStrategy::kOffset;
        if (to_timestamp->count() > 0) {
          reset_args.strategy = ResetStrategy::kTimestamp;
          reset_args.value = ParseTimestampOption(raw.reset_timestamp, "--to-timestamp");
        }
        break;
      case Command::kProduce:
        if (partition_option->count() > 0) line.produce.partition = produce_partition;
        if (produce_separator_option->count() > 0) {
          if (produce_separator.empty()) throw CLI::ValidationError("--key-separator", "must not be empty");
          line.produce.key_separator = produce_separator;
        }
        line.produce.acks = raw.acks == "1" ? 1 : -1;
        break;
      case Command::kConsume:
        if (raw.consume_from == "beginning") {
          line.consume.start = StartPosition::kBeginning;
        } else if (raw.consume_from == "end") {
          line.consume.start = StartPosition::kEnd;
        } else {
          line.consume.start = StartPosition::kOffset;
          try {
            size_t used = 0;
            line.consume.start_offset = std::stoll(raw.consume_from, &used);
            if (used != raw.consume_from.size() || line.consume.start_offset < 0) throw std::invalid_argument("");
          } catch (const std::logic_error&) {
            throw CLI::ValidationError("--from", "expects beginning, end or an offset, got \"" +
                                                     raw.consume_from + "\"");
          }
        }
        if (max_option->count() > 0) line.consume.max_messages = max_messages;
        if (consume_separator_option->count() > 0) line.consume.key_separator = consume_separator;
        break;
      case Command::kRestore:
        line.restore.until_ms = ParseTimestampOption(raw.restore_until, "--until");
        if (line.restore.source == line.restore.destination) {
          throw CLI::ValidationError("--to", "must name a topic other than --topic");
        }
        break;
      default:
        break;
    }
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return {std::nullopt, kExitOk};
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return {std::nullopt, kExitOk};
  } catch (const CLI::ParseError& e) {
    err << "kafscale: error: " << e.what() << "\n\n" << app.help();
    return {std::nullopt, kExitUsage};
  }
  return {std::move(line), kExitOk};
}

}  // namespace kafscale::cli
