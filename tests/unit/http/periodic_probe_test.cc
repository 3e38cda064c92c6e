#include "http/periodic_probe.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <thread>

namespace kafscale::http {
namespace {

using std::chrono::milliseconds;

// Declared in destruction order: the pool finishes its work before the
// probe goes, and the io_context (holding the probe's coroutine) goes last.
class PeriodicProbeTest : public ::testing::Test {
 protected:
  ~PeriodicProbeTest() override { pool_.join(); }

  ProbeOptions FastOptions() const {
    ProbeOptions options;
    options.interval = milliseconds(10);
    options.timeout = milliseconds(50);
    return options;
  }

  boost::asio::io_context io_;
  boost::asio::thread_pool pool_{1};
};

TEST_F(PeriodicProbeTest, NotReadyBeforeTheFirstAnswer) {
  PeriodicProbe probe(
      "metadata_store", io_.get_executor(), pool_, [] { return Status::OK(); }, FastOptions());
  EXPECT_EQ(probe.name(), "metadata_store");
  const CheckResult result = probe.Check();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, "not probed yet");
}

TEST_F(PeriodicProbeTest, ReadyWhileTheStoreAnswersAndProbesRepeatedly) {
  std::atomic<int> calls{0};
  PeriodicProbe probe(
      "store", io_.get_executor(), pool_,
      [&calls] {
        ++calls;
        return Status::OK();
      },
      FastOptions());
  probe.Start();
  io_.run_for(milliseconds(200));
  EXPECT_TRUE(probe.Check().ok);
  EXPECT_EQ(probe.Check().reason, "answering");
  EXPECT_GE(calls.load(), 3);
  probe.Stop();
  pool_.join();  // a probe still running on the pool must not outlive this test's locals
}

TEST_F(PeriodicProbeTest, ReportsTheLastFailure) {
  std::atomic<bool> failing{false};
  PeriodicProbe probe(
      "store", io_.get_executor(), pool_,
      [&failing] { return failing ? Status::Unavailable("connection refused") : Status::OK(); }, FastOptions());
  probe.Start();
  io_.run_for(milliseconds(50));
  EXPECT_TRUE(probe.Check().ok);
  failing = true;
  io_.run_for(milliseconds(100));
  const CheckResult result = probe.Check();
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.reason.find("connection refused"), std::string::npos) << result.reason;
  failing = false;
  io_.run_for(milliseconds(100));
  EXPECT_TRUE(probe.Check().ok);
  probe.Stop();
  pool_.join();  // a probe still running on the pool must not outlive this test's locals
}

TEST_F(PeriodicProbeTest, WithoutJudgingAnswersOnlyHangingFails) {
  ProbeOptions options = FastOptions();
  options.judge_answers = false;
  PeriodicProbe probe(
      "store", io_.get_executor(), pool_, [] { return Status::Unavailable("refused"); }, options);
  EXPECT_TRUE(probe.Check().ok);
  probe.Start();
  io_.run_for(milliseconds(50));
  const CheckResult result = probe.Check();
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.reason, "probes answer within 50 ms");
  probe.Stop();
  pool_.join();  // a probe still running on the pool must not outlive this test's locals
}

class HangingProbeTest : public PeriodicProbeTest, public ::testing::WithParamInterface<bool> {};

TEST_P(HangingProbeTest, FailsAfterTheTimeout) {
  std::atomic<bool> release{false};
  ProbeOptions options = FastOptions();
  options.judge_answers = GetParam();
  PeriodicProbe probe(
      "store", io_.get_executor(), pool_,
      [&release] {
        while (!release) std::this_thread::sleep_for(milliseconds(5));
        return Status::OK();
      },
      options);
  probe.Start();
  io_.run_for(milliseconds(150));
  const CheckResult result = probe.Check();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason.rfind("no answer for ", 0), 0u) << result.reason;
  probe.Stop();
  release = true;
  pool_.join();
}

INSTANTIATE_TEST_SUITE_P(JudgingAnswersOrNot, HangingProbeTest, ::testing::Bool());

}  // namespace
}  // namespace kafscale::http
