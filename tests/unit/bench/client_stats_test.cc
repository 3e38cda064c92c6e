#include "apps/bench/client_stats.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

namespace kafscale::bench {
namespace {

// A statistics document as librdkafka writes it, cut to the fields read:
// a bootstrap entry (nodeid -1), one real broker, and a "topics" part.
std::string Document(int64_t ts_us, uint64_t produce_requests, int rtt_count, int rtt_p99_us, int queued_p99_us) {
  return fmt::format(R"({{"name": "kafscale-bench-0#producer-1", "ts": {},
    "brokers": {{
      "127.0.0.1:9092/bootstrap": {{"nodeid": -1, "req": {{"Produce": 999}},
        "rtt": {{"cnt": 5, "p50": 90000000, "p99": 90000000}}}},
      "127.0.0.1:9092/0": {{"nodeid": 0, "req": {{"Produce": {}, "Metadata": 2}},
        "int_latency": {{"cnt": 40, "p50": 5000, "p99": {}}},
        "outbuf_latency": {{"cnt": {}, "p50": 20, "p99": 300}},
        "rtt": {{"cnt": {}, "p50": 12000, "p99": {}}}}}}},
    "topics": {{"t": {{"partitions": {{"0": {{"txmsgs": 7}}}}}}}}}})",
                     ts_us, produce_requests, queued_p99_us, rtt_count, rtt_count, rtt_p99_us);
}

TEST(ClientStagesSummaryTest, MediansOfWindowsFromRealBrokersOnly) {
  ClientStagesSummary summary;
  ASSERT_TRUE(summary.Add(Document(1'000'000, 100, 10, 40'000, 9'000)).ok());
  ASSERT_TRUE(summary.Add(Document(2'000'000, 600, 10, 90'000, 7'000)).ok());
  ASSERT_TRUE(summary.Add(Document(3'000'000, 1'100, 10, 50'000, 8'000)).ok());
  const ClientStagesReport report = summary.Report();
  EXPECT_EQ(report.windows, 3);
  EXPECT_DOUBLE_EQ(report.round_trip.p50_ms, 12.0);
  EXPECT_DOUBLE_EQ(report.round_trip.p99_ms, 50.0);
  EXPECT_DOUBLE_EQ(report.round_trip.worst_p99_ms, 90.0);
  EXPECT_DOUBLE_EQ(report.queued.p50_ms, 5.0);
  EXPECT_DOUBLE_EQ(report.queued.p99_ms, 8.0);
  EXPECT_DOUBLE_EQ(report.send_wait.p99_ms, 0.3);
  // 1,000 requests in the 2 s between the first and the last document.
  EXPECT_DOUBLE_EQ(report.produce_requests_per_s, 500.0);
}

TEST(ClientStagesSummaryTest, WindowsWithoutProduceRequestsAreSkipped) {
  ClientStagesSummary summary;
  // Before the load: metadata requests only (their round trips count in rtt).
  ASSERT_TRUE(summary.Add(Document(1'000'000, 0, 3, 90'000, 0)).ok());
  ASSERT_TRUE(summary.Add(Document(2'000'000, 10, 4, 30'000, 6'000)).ok());
  ASSERT_TRUE(summary.Add(Document(3'000'000, 10, 2, 80'000, 9'000)).ok());  // no Produce in this window
  ASSERT_TRUE(summary.Add(Document(4'000'000, 30, 4, 40'000, 6'000)).ok());
  const ClientStagesReport report = summary.Report();
  EXPECT_EQ(report.windows, 2);
  EXPECT_DOUBLE_EQ(report.round_trip.worst_p99_ms, 40.0);
  // From the first window with Produce requests: 20 more in the 2 s after it.
  EXPECT_DOUBLE_EQ(report.produce_requests_per_s, 10.0);
}

TEST(ClientStagesSummaryTest, AStageThatTimedNothingAddsNoWindow) {
  ClientStagesSummary summary;
  ASSERT_TRUE(summary.Add(R"({"name": "c", "ts": 1000000, "brokers": {"b/0": {"nodeid": 0,
      "req": {"Produce": 5}, "int_latency": {"cnt": 0, "p50": 0, "p99": 0},
      "rtt": {"cnt": 5, "p50": 10000, "p99": 20000}}}})")
                  .ok());
  const ClientStagesReport report = summary.Report();
  EXPECT_EQ(report.windows, 1);
  EXPECT_DOUBLE_EQ(report.round_trip.p99_ms, 20.0);
  EXPECT_DOUBLE_EQ(report.queued.p99_ms, 0.0);
  EXPECT_DOUBLE_EQ(report.queued.worst_p99_ms, 0.0);
}

TEST(ClientStagesSummaryTest, RejectsWhatIsNotAStatisticsDocument) {
  ClientStagesSummary summary;
  EXPECT_EQ(summary.Add("{\"brokers\": ").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(summary.Add("[1, 2]").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(summary.Add("{\"name\": \"x\"}").code(), Status::Code::kInvalidArgument);
  // A field of the wrong type rejects the whole document.
  EXPECT_EQ(summary.Add(R"({"brokers": {"b/0": {"nodeid": "zero", "req": {"Produce": 5}}}})").code(),
            Status::Code::kInvalidArgument);
  const ClientStagesReport report = summary.Report();
  EXPECT_EQ(report.unreadable_documents, 4);
  EXPECT_EQ(report.windows, 0);
  EXPECT_DOUBLE_EQ(report.produce_requests_per_s, 0.0);
}

TEST(ClientStagesCollectorTest, FinishWaitsForEveryQueuedDocument) {
  ClientStagesCollector collector;
  for (int i = 1; i <= 50; ++i) collector.Add(Document(i * 1'000'000, static_cast<uint64_t>(i) * 10, 3, 20'000, 6'000));
  const ClientStagesReport report = collector.Finish();
  EXPECT_EQ(report.windows, 50);
  EXPECT_DOUBLE_EQ(report.produce_requests_per_s, 10.0);
}

}  // namespace
}  // namespace kafscale::bench
