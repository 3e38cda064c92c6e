#include "metrics/process_stats.h"

#include <gtest/gtest.h>

namespace kafscale::metrics {
namespace {

// A /proc/<pid>/stat line whose command name holds a space and a ')'.
constexpr char kStat[] =
    "4242 (kafscale b) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 7 0 12345 268550144 2764 "
    "18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 3 0 0 0 0 0\n";
constexpr char kStatm[] = "65564 2764 1500 200 0 9000 0\n";

TEST(ProcessStatsTest, ParsesStatAndStatm) {
  ProcessStats stats;
  ASSERT_TRUE(ParseProcessStats(kStat, kStatm, 100, 4096, 1'700'000'000, &stats).ok());
  EXPECT_DOUBLE_EQ(stats.cpu_seconds, 3.0);  // (250 + 50) ticks at 100 per second
  EXPECT_EQ(stats.threads, 7u);
  EXPECT_DOUBLE_EQ(stats.start_time_seconds, 1'700'000'000 + 123.45);
  EXPECT_EQ(stats.virtual_bytes, 65564u * 4096);
  EXPECT_EQ(stats.resident_bytes, 2764u * 4096);
}

TEST(ProcessStatsTest, UnknownBootTimeLeavesStartTimeZero) {
  ProcessStats stats;
  ASSERT_TRUE(ParseProcessStats(kStat, kStatm, 100, 4096, 0, &stats).ok());
  EXPECT_EQ(stats.start_time_seconds, 0);
}

TEST(ProcessStatsTest, RejectsTruncatedText) {
  ProcessStats stats;
  EXPECT_TRUE(ParseProcessStats("4242 (x) S 1 2 3", kStatm, 100, 4096, 0, &stats).IsCorruption());
  EXPECT_TRUE(ParseProcessStats("no parenthesis", kStatm, 100, 4096, 0, &stats).IsCorruption());
  EXPECT_TRUE(ParseProcessStats(kStat, "12", 100, 4096, 0, &stats).IsCorruption());
  EXPECT_TRUE(ParseProcessStats(kStat, "a b", 100, 4096, 0, &stats).IsCorruption());
}

TEST(ProcessStatsTest, ReadsThisProcess) {
  ProcessStats stats;
  ASSERT_TRUE(ReadProcessStats(&stats).ok());
  EXPECT_GT(stats.resident_bytes, 0u);
  EXPECT_GE(stats.virtual_bytes, stats.resident_bytes);
  EXPECT_GE(stats.threads, 1u);
  EXPECT_GT(stats.start_time_seconds, 1'600'000'000);
}

TEST(ProcessStatsTest, CollectsTheStandardProcessFamilies) {
  std::vector<FamilySnapshot> families;
  CollectProcessMetrics(families);
  std::vector<std::string> names;
  for (const FamilySnapshot& family : families) names.push_back(family.name);
  EXPECT_EQ(names, (std::vector<std::string>{"process_cpu_seconds_total", "process_resident_memory_bytes",
                                             "process_virtual_memory_bytes", "process_threads",
                                             "process_start_time_seconds"}));
  EXPECT_EQ(families[0].type, MetricType::kCounter);
}

}  // namespace
}  // namespace kafscale::metrics
