#include "metrics/rate_window.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "metrics/fake_clock.h"

namespace kafscale::metrics {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RateWindowTest, AveragesEventsOverTheWindow) {
  testing::FakeClock clock;
  RateWindow rate(seconds(10), clock.now());
  EXPECT_EQ(rate.PerSecond(), 0);
  rate.Record(20);
  clock.Advance(seconds(3));
  rate.Record(10);
  EXPECT_DOUBLE_EQ(rate.PerSecond(), 3.0);
  clock.Advance(seconds(7));  // the first 20 fall out of the window
  EXPECT_DOUBLE_EQ(rate.PerSecond(), 1.0);
  clock.Advance(seconds(3));
  EXPECT_EQ(rate.PerSecond(), 0);
}

TEST(RateWindowTest, ReusesBucketsAfterWrapping) {
  testing::FakeClock clock;
  RateWindow rate(seconds(2), clock.now());
  rate.Record(100);
  clock.Advance(seconds(2));  // same bucket, a new second
  rate.Record(4);
  EXPECT_DOUBLE_EQ(rate.PerSecond(), 2.0);
  clock.Advance(milliseconds(999));
  EXPECT_DOUBLE_EQ(rate.PerSecond(), 2.0);
}

TEST(RateWindowTest, RejectsAnEmptyWindow) { EXPECT_THROW(RateWindow(seconds(0)), std::invalid_argument); }

}  // namespace
}  // namespace kafscale::metrics
