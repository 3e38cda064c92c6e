#include "metrics/s3_health.h"

#include <gtest/gtest.h>

#include "metrics/fake_clock.h"

namespace kafscale::metrics {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class S3HealthTrackerTest : public ::testing::Test {
 protected:
  void RecordMany(int count, milliseconds latency, bool failed) {
    for (int i = 0; i < count; ++i) tracker_.Record(latency, failed);
  }

  testing::FakeClock clock_;
  S3HealthTracker tracker_{S3HealthOptions{}, clock_.now()};
};

TEST_F(S3HealthTrackerTest, HealthyWithoutTraffic) {
  const S3HealthSnapshot snapshot = tracker_.Snapshot();
  EXPECT_EQ(snapshot.state, HealthState::kHealthy);
  EXPECT_EQ(snapshot.requests, 0u);
  EXPECT_EQ(snapshot.error_rate, 0);
}

TEST_F(S3HealthTrackerTest, SlowRequestsDegradeThenMakeUnavailable) {
  RecordMany(10, milliseconds(100), false);
  EXPECT_EQ(tracker_.state(), HealthState::kHealthy);
  RecordMany(10, milliseconds(1000), false);  // average 550 ms
  EXPECT_EQ(tracker_.state(), HealthState::kDegraded);
  RecordMany(20, milliseconds(6000), false);  // average above 3000 ms
  const S3HealthSnapshot snapshot = tracker_.Snapshot();
  EXPECT_EQ(snapshot.state, HealthState::kUnavailable);
  EXPECT_EQ(snapshot.requests, 40u);
  EXPECT_NE(snapshot.reason.find("average latency"), std::string::npos) << snapshot.reason;
}

// Failures below are interleaved with successes so that no run of them
// trips the consecutive-failure rule: only the window's error rate decides.
TEST_F(S3HealthTrackerTest, TwentyPercentErrorsDegrade) {
  for (int i = 0; i < 10; ++i) tracker_.Record(milliseconds(10), i % 4 == 0);  // 3 of 10
  EXPECT_EQ(tracker_.state(), HealthState::kDegraded);
  EXPECT_NEAR(tracker_.Snapshot().error_rate, 0.3, 1e-9);
}

TEST_F(S3HealthTrackerTest, HalfFailingIsStillOnlyDegraded) {
  for (int i = 0; i < 10; ++i) tracker_.Record(milliseconds(10), i % 2 == 0);
  EXPECT_EQ(tracker_.state(), HealthState::kDegraded);
}

TEST_F(S3HealthTrackerTest, SixtyPercentErrorsMakeUnavailable) {
  for (int i = 0; i < 15; ++i) tracker_.Record(milliseconds(10), i % 3 != 2);  // 10 of 15, never 3 in a row
  const S3HealthSnapshot snapshot = tracker_.Snapshot();
  EXPECT_EQ(snapshot.state, HealthState::kUnavailable);
  EXPECT_NE(snapshot.reason.find("67% errors over 15 requests"), std::string::npos) << snapshot.reason;
}

TEST_F(S3HealthTrackerTest, ConsecutiveFailuresMakeUnavailableAtOnce) {
  RecordMany(100, milliseconds(5), false);
  RecordMany(2, milliseconds(5), true);
  EXPECT_EQ(tracker_.state(), HealthState::kHealthy);
  tracker_.Record(milliseconds(5), true);
  const S3HealthSnapshot snapshot = tracker_.Snapshot();
  EXPECT_EQ(snapshot.state, HealthState::kUnavailable);
  EXPECT_EQ(snapshot.reason, "the last 3 object-store requests failed");
}

TEST_F(S3HealthTrackerTest, RecoversAfterASuccessfulRunInsteadOfAWholeWindow) {
  RecordMany(30, milliseconds(5), true);
  EXPECT_EQ(tracker_.state(), HealthState::kUnavailable);
  clock_.Advance(seconds(5));
  RecordMany(2, milliseconds(5), false);
  EXPECT_EQ(tracker_.state(), HealthState::kUnavailable);  // 30 of 32 failed in the window
  tracker_.Record(milliseconds(5), false);
  const S3HealthSnapshot snapshot = tracker_.Snapshot();
  EXPECT_EQ(snapshot.state, HealthState::kHealthy);
  EXPECT_EQ(snapshot.error_rate, 0);
  EXPECT_EQ(snapshot.requests, 1u);  // a fresh window
}

TEST_F(S3HealthTrackerTest, ABriefOutageDoesNotLeaveTheStoreDegraded) {
  RecordMany(5, milliseconds(5), false);
  RecordMany(3, milliseconds(5), true);
  EXPECT_EQ(tracker_.state(), HealthState::kUnavailable);
  tracker_.Record(milliseconds(5), false);
  EXPECT_EQ(tracker_.state(), HealthState::kDegraded);  // 3 of 9 failed
  RecordMany(2, milliseconds(5), false);
  EXPECT_EQ(tracker_.state(), HealthState::kHealthy);
  EXPECT_EQ(tracker_.Snapshot().requests, 1u);
}

TEST_F(S3HealthTrackerTest, SlowSuccessesDoNotResetTheWindow) {
  RecordMany(20, milliseconds(4000), false);
  EXPECT_EQ(tracker_.state(), HealthState::kUnavailable);
  RecordMany(5, milliseconds(5), false);
  EXPECT_EQ(tracker_.state(), HealthState::kUnavailable);  // average still above 3 s
  EXPECT_EQ(tracker_.Snapshot().requests, 25u);
}

TEST_F(S3HealthTrackerTest, FastRequestsDoNotResetADegradedWindow) {
  RecordMany(10, milliseconds(1000), false);
  EXPECT_EQ(tracker_.state(), HealthState::kDegraded);
  RecordMany(3, milliseconds(5), false);
  // Still degraded: only an outage starts a fresh window; produce goes on meanwhile.
  EXPECT_EQ(tracker_.state(), HealthState::kDegraded);
  EXPECT_EQ(tracker_.Snapshot().requests, 13u);
}

TEST_F(S3HealthTrackerTest, OldRequestsLeaveTheWindow) {
  for (int i = 0; i < 10; ++i) tracker_.Record(milliseconds(4000), false);
  EXPECT_EQ(tracker_.state(), HealthState::kUnavailable);
  clock_.Advance(seconds(61));
  EXPECT_EQ(tracker_.state(), HealthState::kHealthy);
  EXPECT_EQ(tracker_.Snapshot().requests, 0u);
}

TEST_F(S3HealthTrackerTest, FewRequestsDoNotDecide) {
  RecordMany(4, milliseconds(5000), false);  // below min_requests
  EXPECT_EQ(tracker_.state(), HealthState::kHealthy);
}

TEST_F(S3HealthTrackerTest, ReportsTimeInState) {
  clock_.Advance(seconds(7));
  EXPECT_EQ(tracker_.Snapshot().in_state_for, seconds(7));
  RecordMany(3, milliseconds(1), true);
  clock_.Advance(seconds(2));
  EXPECT_EQ(tracker_.Snapshot().in_state_for, seconds(2));
}

TEST(S3HealthFamiliesTest, OneStateIsSet) {
  S3HealthSnapshot snapshot;
  snapshot.state = HealthState::kDegraded;
  snapshot.average_latency_ms = 612.5;
  snapshot.error_rate = 0.25;
  std::vector<FamilySnapshot> families;
  AppendS3HealthFamilies(snapshot, families);
  ASSERT_EQ(families.size(), 4u);
  EXPECT_EQ(families[0].name, "kafscale_s3_health_state");
  ASSERT_EQ(families[0].samples.size(), 3u);
  EXPECT_EQ(families[0].samples[0].labels, (Labels{{"state", "healthy"}}));
  EXPECT_EQ(families[0].samples[0].value, 0);
  EXPECT_EQ(families[0].samples[1].labels, (Labels{{"state", "degraded"}}));
  EXPECT_EQ(families[0].samples[1].value, 1);
  EXPECT_EQ(families[1].name, "kafscale_s3_latency_ms_avg");
  EXPECT_EQ(families[1].samples[0].value, 612.5);
  EXPECT_EQ(families[2].name, "kafscale_s3_error_rate");
  EXPECT_EQ(families[2].samples[0].value, 0.25);
  EXPECT_EQ(families[3].name, "kafscale_s3_state_duration_seconds");
}

}  // namespace
}  // namespace kafscale::metrics
