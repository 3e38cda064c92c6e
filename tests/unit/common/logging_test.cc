#include "common/logging.h"

#include <atomic>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

namespace kafscale {
namespace {

// Captures log lines in memory; restores stderr logging afterwards so no
// later test writes into a dead stream.
class LoggingTest : public testing::Test {
 protected:
  void Init(LogLevel level, LogFormat format) {
    InitLogging(level, format, std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
  }
  void TearDown() override { InitLogging(LogLevel::kInfo, LogFormat::kText); }

  std::vector<std::string> Lines() const {
    std::vector<std::string> lines;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  std::ostringstream out_;
};

const std::string kTimestamp = R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)";

TEST_F(LoggingTest, TextLineHasTimestampLevelQuotedMessageAndFields) {
  Init(LogLevel::kInfo, LogFormat::kText);
  const std::string peer = "10.0.0.7:53312";
  LogInfo("connection closed", {{"peer", peer}, {"reason", "connection reset"}, {"bytes", 42},
                                {"clean", false}, {"ratio", 0.25}});
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(std::regex_match(
      lines[0], std::regex(kTimestamp + R"( level=info msg="connection closed" peer=10\.0\.0\.7:53312 )"
                                        R"(reason="connection reset" bytes=42 clean=false ratio=0\.25)")))
      << lines[0];
}

TEST_F(LoggingTest, TextLineEscapesQuotesAndNewlines) {
  Init(LogLevel::kInfo, LogFormat::kText);
  LogWarn("bad \"frame\"\nnext", {{"empty", ""}, {"eq", "a=b"}});
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(R"(level=warn msg="bad \"frame\"\nnext" empty="" eq="a=b")"),
            std::string::npos)
      << lines[0];
}

TEST_F(LoggingTest, JsonLineIsOneValidObjectWithTypedFields) {
  Init(LogLevel::kInfo, LogFormat::kJson);
  LogError("write failed: \"disk\"\n", {{"partition", 3},
                                        {"offset", uint64_t{18446744073709551615u}},
                                        {"delta", -7},
                                        {"retriable", true},
                                        {"ratio", 0.5},
                                        {"peer_bytes", std::string("ok\xff\xfe")}});
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  const nlohmann::json line = nlohmann::json::parse(lines[0]);
  EXPECT_TRUE(std::regex_match(line["ts"].get<std::string>(), std::regex(kTimestamp)));
  EXPECT_EQ(line["level"], "error");
  EXPECT_EQ(line["msg"], "write failed: \"disk\"\n");
  EXPECT_EQ(line["partition"], 3);
  EXPECT_EQ(line["offset"].get<uint64_t>(), 18446744073709551615u);
  EXPECT_EQ(line["delta"], -7);
  EXPECT_EQ(line["retriable"], true);
  EXPECT_EQ(line["ratio"], 0.5);
  EXPECT_TRUE(line["peer_bytes"].is_string());
  EXPECT_EQ(lines[0].rfind("{\"ts\":", 0), 0u) << "ts, level, msg come first: " << lines[0];
}

TEST_F(LoggingTest, DirectSpdlogCallsUseTheSameFormat) {
  Init(LogLevel::kInfo, LogFormat::kJson);
  spdlog::warn("from {}", "spdlog");
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  const nlohmann::json line = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(line["level"], "warn");
  EXPECT_EQ(line["msg"], "from spdlog");
}

TEST_F(LoggingTest, LinesBelowThresholdAreDropped) {
  Init(LogLevel::kWarn, LogFormat::kText);
  EXPECT_FALSE(LogEnabled(LogLevel::kInfo));
  EXPECT_TRUE(LogEnabled(LogLevel::kWarn));
  LogDebug("hidden");
  LogInfo("hidden");
  spdlog::info("hidden");
  LogWarn("shown");
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("msg=\"shown\""), std::string::npos);
}

TEST_F(LoggingTest, ConcurrentLinesNeverInterleave) {
  Init(LogLevel::kInfo, LogFormat::kJson);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) LogInfo("tick", {{"thread", t}, {"i", i}});
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::vector<std::string> lines = Lines();
  ASSERT_EQ(lines.size(), 800u);
  for (const std::string& line : lines) EXPECT_TRUE(nlohmann::json::accept(line)) << line;
}

TEST(LogfmtValueTest, QuotesOnlyWhenNeeded) {
  const auto format = [](std::string_view value) {
    std::string out;
    AppendLogfmtValue(out, value);
    return out;
  };
  EXPECT_EQ(format("plain-value_1.2:3/x"), "plain-value_1.2:3/x");
  EXPECT_EQ(format(""), "\"\"");
  EXPECT_EQ(format("two words"), "\"two words\"");
  EXPECT_EQ(format("k=v"), "\"k=v\"");
  EXPECT_EQ(format("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(format("back\\slash"), R"("back\\slash")");
  EXPECT_EQ(format(std::string_view("nul\0tab\t", 8)), R"("nul\u0000tab\t")");
}

// A manual clock for the rate limiter.
class FakeClock {
 public:
  RateLimitedLog::Clock AsClock() {
    return [this] { return std::chrono::steady_clock::time_point(now_.load()); };
  }
  void Advance(std::chrono::steady_clock::duration by) { now_ = now_.load() + by; }

 private:
  std::atomic<std::chrono::steady_clock::duration> now_{std::chrono::hours(1)};
};

class RateLimitedLogTest : public LoggingTest {
 protected:
  void SetUp() override { Init(LogLevel::kInfo, LogFormat::kJson); }

  std::vector<nlohmann::json> JsonLines() const {
    std::vector<nlohmann::json> parsed;
    for (const std::string& line : Lines()) parsed.push_back(nlohmann::json::parse(line));
    return parsed;
  }

  FakeClock clock_;
};

TEST_F(RateLimitedLogTest, WritesBudgetThenSummarisesSuppressedLines) {
  RateLimitedLog limiter(2, std::chrono::seconds(1), clock_.AsClock());
  std::vector<bool> written;
  for (int i = 0; i < 5; ++i) written.push_back(limiter.Log("decode", LogLevel::kWarn, "bad frame"));
  EXPECT_EQ(written, (std::vector<bool>{true, true, false, false, false}));

  clock_.Advance(std::chrono::milliseconds(999));
  EXPECT_FALSE(limiter.Log("decode", LogLevel::kWarn, "bad frame"));
  clock_.Advance(std::chrono::milliseconds(1));
  EXPECT_TRUE(limiter.Log("decode", LogLevel::kWarn, "bad frame", {{"peer", "a"}}));

  const std::vector<nlohmann::json> lines = JsonLines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["msg"], "bad frame");
  EXPECT_EQ(lines[1]["msg"], "bad frame");
  EXPECT_EQ(lines[2]["msg"], "suppressed 4 similar messages");
  EXPECT_EQ(lines[2]["key"], "decode");
  EXPECT_EQ(lines[2]["level"], "warn");
  EXPECT_EQ(lines[3]["msg"], "bad frame");
  EXPECT_EQ(lines[3]["peer"], "a");
}

TEST_F(RateLimitedLogTest, KeysHaveSeparateBudgets) {
  RateLimitedLog limiter(1, std::chrono::seconds(1), clock_.AsClock());
  EXPECT_TRUE(limiter.Log("a", LogLevel::kInfo, "first a"));
  EXPECT_TRUE(limiter.Log("b", LogLevel::kInfo, "first b"));
  EXPECT_FALSE(limiter.Log("a", LogLevel::kInfo, "second a"));
  EXPECT_FALSE(limiter.Log("b", LogLevel::kInfo, "second b"));
  EXPECT_EQ(Lines().size(), 2u);
}

TEST_F(RateLimitedLogTest, QuietKeySummaryIsWrittenByAnotherKeyLater) {
  RateLimitedLog limiter(1, std::chrono::seconds(1), clock_.AsClock());
  limiter.Log("noisy", LogLevel::kError, "boom");
  limiter.Log("noisy", LogLevel::kError, "boom");
  limiter.Log("noisy", LogLevel::kError, "boom");
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_TRUE(limiter.Log("other", LogLevel::kInfo, "hello"));

  const std::vector<nlohmann::json> lines = JsonLines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1]["msg"], "suppressed 2 similar messages");
  EXPECT_EQ(lines[1]["key"], "noisy");
  EXPECT_EQ(lines[1]["level"], "error");
  EXPECT_EQ(lines[2]["msg"], "hello");
}

TEST_F(RateLimitedLogTest, NoSummaryWhenNothingWasSuppressed) {
  RateLimitedLog limiter(3, std::chrono::seconds(1), clock_.AsClock());
  limiter.Log("k", LogLevel::kInfo, "one");
  clock_.Advance(std::chrono::seconds(5));
  limiter.Log("k", LogLevel::kInfo, "two");
  EXPECT_EQ(Lines().size(), 2u);
}

TEST_F(RateLimitedLogTest, DisabledLevelIsNeitherWrittenNorCounted) {
  RateLimitedLog limiter(1, std::chrono::seconds(1), clock_.AsClock());
  EXPECT_FALSE(limiter.Log("k", LogLevel::kDebug, "hidden"));
  EXPECT_TRUE(limiter.Log("k", LogLevel::kInfo, "shown"));
  EXPECT_EQ(Lines().size(), 1u);
}

TEST_F(RateLimitedLogTest, ConcurrentCallersShareOneBudget) {
  RateLimitedLog limiter(10, std::chrono::seconds(1), clock_.AsClock());
  std::atomic<int> written{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) written += limiter.Log("shared", LogLevel::kInfo, "x") ? 1 : 0;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(written.load(), 10);
  clock_.Advance(std::chrono::seconds(1));
  limiter.Log("shared", LogLevel::kInfo, "x");
  const std::vector<nlohmann::json> lines = JsonLines();
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_EQ(lines[10]["msg"], "suppressed 390 similar messages");
}

}  // namespace
}  // namespace kafscale
