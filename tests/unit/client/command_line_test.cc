#include "apps/cli/command_line.h"

#include <gtest/gtest.h>

#include <sstream>

namespace kafscale::cli {
namespace {

struct Parsed {
  ParseOutcome outcome;
  std::string out;
  std::string err;
};

Parsed Parse(std::vector<const char*> args, std::optional<std::string> env = std::nullopt) {
  args.insert(args.begin(), "kafscale");
  std::ostringstream out, err;
  Parsed parsed{ParseCommandLine(static_cast<int>(args.size()), args.data(), env, out, err), "", ""};
  parsed.out = out.str();
  parsed.err = err.str();
  return parsed;
}

void ExpectUsageError(std::vector<const char*> args, const std::string& message_part) {
  Parsed parsed = Parse(args);
  EXPECT_FALSE(parsed.outcome.command_line.has_value());
  EXPECT_EQ(parsed.outcome.exit_code, kExitUsage);
  EXPECT_NE(parsed.err.find("Usage:"), std::string::npos) << parsed.err;
  EXPECT_NE(parsed.err.find(message_part), std::string::npos) << parsed.err;
}

TEST(CommandLineTest, GlobalOptionsAndDefaults) {
  Parsed parsed = Parse({"topics", "list"});
  ASSERT_TRUE(parsed.outcome.command_line);
  const CommandLine& line = *parsed.outcome.command_line;
  EXPECT_EQ(line.command, Command::kTopicsList);
  EXPECT_EQ(line.global.bootstrap, "localhost:9092");
  EXPECT_EQ(line.global.output, OutputFormat::kTable);

  parsed = Parse({"topics", "list", "--output", "json", "-b", "h:1"}, "env:2");
  ASSERT_TRUE(parsed.outcome.command_line);
  EXPECT_EQ(parsed.outcome.command_line->global.output, OutputFormat::kJson);
  EXPECT_EQ(parsed.outcome.command_line->global.bootstrap, "h:1");

  parsed = Parse({"--output", "json", "topics", "list"}, "env:2");
  ASSERT_TRUE(parsed.outcome.command_line);
  EXPECT_EQ(parsed.outcome.command_line->global.bootstrap, "env:2");
}

TEST(CommandLineTest, TopicsCreateWithConfigs) {
  Parsed parsed = Parse({"topics", "create", "orders", "-p", "6", "--config", "retention.ms=1000", "-c", "a=b=c"});
  ASSERT_TRUE(parsed.outcome.command_line) << parsed.err;
  const TopicsCreateArgs& args = parsed.outcome.command_line->topics_create;
  EXPECT_EQ(parsed.outcome.command_line->command, Command::kTopicsCreate);
  EXPECT_EQ(args.topic, "orders");
  EXPECT_EQ(args.partitions, 6);
  EXPECT_EQ(args.configs, (std::map<std::string, std::string>{{"retention.ms", "1000"}, {"a", "b=c"}}));
}

TEST(CommandLineTest, ResetOffsetsStrategies) {
  Parsed parsed = Parse({"groups", "reset-offsets", "g", "--topic", "t", "--partitions", "0,2", "--to-timestamp",
                         "2024-01-01T00:00:00Z", "--dry-run"});
  ASSERT_TRUE(parsed.outcome.command_line) << parsed.err;
  const ResetOffsetsArgs& args = parsed.outcome.command_line->reset_offsets;
  EXPECT_EQ(args.strategy, ResetStrategy::kTimestamp);
  EXPECT_EQ(args.value, 1704067200000);
  EXPECT_EQ(args.partitions, (std::vector<int32_t>{0, 2}));
  EXPECT_TRUE(args.dry_run);

  parsed = Parse({"groups", "reset-offsets", "g", "-t", "t", "--to-offset", "17"});
  ASSERT_TRUE(parsed.outcome.command_line) << parsed.err;
  EXPECT_EQ(parsed.outcome.command_line->reset_offsets.strategy, ResetStrategy::kOffset);
  EXPECT_EQ(parsed.outcome.command_line->reset_offsets.value, 17);
}

TEST(CommandLineTest, ProduceConsumeAndRestore) {
  Parsed parsed = Parse({"produce", "t", "--key-separator", ":", "--partition", "3", "--acks", "1"});
  ASSERT_TRUE(parsed.outcome.command_line) << parsed.err;
  EXPECT_EQ(parsed.outcome.command_line->produce.key_separator, ":");
  EXPECT_EQ(parsed.outcome.command_line->produce.partition, 3);
  EXPECT_EQ(parsed.outcome.command_line->produce.acks, 1);

  parsed = Parse({"consume", "t", "--from", "12", "-n", "5", "-p", "1,2"});
  ASSERT_TRUE(parsed.outcome.command_line) << parsed.err;
  const ConsumeArgs& consume = parsed.outcome.command_line->consume;
  EXPECT_EQ(consume.start, StartPosition::kOffset);
  EXPECT_EQ(consume.start_offset, 12);
  EXPECT_EQ(consume.max_messages, 5);
  EXPECT_EQ(consume.partitions, (std::vector<int32_t>{1, 2}));

  parsed = Parse({"restore", "--topic", "a", "--to", "b", "--until", "1700000000000"});
  ASSERT_TRUE(parsed.outcome.command_line) << parsed.err;
  EXPECT_EQ(parsed.outcome.command_line->restore.until_ms, 1700000000000);
}

TEST(CommandLineTest, HelpExitsZero) {
  Parsed parsed = Parse({"--help"});
  EXPECT_FALSE(parsed.outcome.command_line);
  EXPECT_EQ(parsed.outcome.exit_code, kExitOk);
  EXPECT_NE(parsed.out.find("Usage:"), std::string::npos);
  parsed = Parse({"topics", "create", "--help"});
  EXPECT_EQ(parsed.outcome.exit_code, kExitOk);
  EXPECT_NE(parsed.out.find("--partitions"), std::string::npos);
}

TEST(CommandLineTest, BadArgumentsExitTwoWithUsage) {
  ExpectUsageError({}, "subcommand");
  ExpectUsageError({"topics"}, "subcommand");
  ExpectUsageError({"topics", "explode"}, "subcommand");
  ExpectUsageError({"topics", "create"}, "topic");
  ExpectUsageError({"topics", "create", "t", "-p", "0"}, "partitions");
  ExpectUsageError({"topics", "create", "t", "--config", "novalue"}, "KEY=VALUE");
  ExpectUsageError({"topics", "alter-config", "t"}, "--set");
  ExpectUsageError({"topics", "list", "--output", "yaml"}, "output");
  ExpectUsageError({"topics", "list", "--bootstrap", "nohost"}, "host:port");
  ExpectUsageError({"groups", "reset-offsets", "g", "-t", "t"}, "--to-earliest");
  ExpectUsageError({"groups", "reset-offsets", "g", "-t", "t", "--to-earliest", "--to-latest"}, "--to-latest");
  ExpectUsageError({"groups", "reset-offsets", "g", "-t", "t", "--to-timestamp", "yesterday"}, "timestamp");
  ExpectUsageError({"consume", "t", "--from", "middle"}, "--from");
  ExpectUsageError({"restore", "--topic", "a", "--to", "b"}, "--until");
  ExpectUsageError({"restore", "--topic", "a", "--to", "a", "--until", "5"}, "--to");
  ExpectUsageError({"restore", "--topic", "a", "--to", "b", "--until", "2024-13-01T00:00:00Z"}, "timestamp");
}

}  // namespace
}  // namespace kafscale::cli
