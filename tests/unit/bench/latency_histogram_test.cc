#include "apps/bench/latency_histogram.h"

#include <gtest/gtest.h>

namespace kafscale::bench {
namespace {

TEST(LatencyHistogramTest, EmptyHistogramReportsZero) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.Percentile(50), 0);
  EXPECT_EQ(histogram.Percentile(99.9), 0);
  EXPECT_EQ(histogram.max(), 0);
  EXPECT_EQ(histogram.mean(), 0.0);
}

TEST(LatencyHistogramTest, SmallValuesAreExactNearestRank) {
  LatencyHistogram histogram;
  for (int64_t value = 1; value <= 100; ++value) histogram.Record(value);
  EXPECT_EQ(histogram.Percentile(50), 50);
  EXPECT_EQ(histogram.Percentile(99), 99);
  EXPECT_EQ(histogram.Percentile(99.9), 100);  // rank ceil(99.9) = 100
  EXPECT_EQ(histogram.Percentile(100), 100);
  EXPECT_EQ(histogram.Percentile(0), 1);  // rank is at least 1
  EXPECT_EQ(histogram.max(), 100);
  EXPECT_DOUBLE_EQ(histogram.mean(), 50.5);
}

TEST(LatencyHistogramTest, LargeValuesWithinRelativeErrorAndNeverAboveMax) {
  LatencyHistogram histogram;
  for (int64_t value = 1; value <= 1'000'000; ++value) histogram.Record(value);
  for (double percent : {50.0, 90.0, 99.0, 99.9}) {
    const double truth = percent / 100.0 * 1'000'000;
    const auto reported = static_cast<double>(histogram.Percentile(percent));
    EXPECT_GE(reported, truth) << percent;
    EXPECT_LE(reported, truth * (1.0 + 1.0 / 64)) << percent;
  }
  EXPECT_EQ(histogram.Percentile(100), 1'000'000);
  EXPECT_EQ(histogram.max(), 1'000'000);
}

TEST(LatencyHistogramTest, SkewedDistributionFindsTheTail) {
  LatencyHistogram histogram;
  for (int i = 0; i < 990; ++i) histogram.Record(1'000);
  for (int i = 0; i < 10; ++i) histogram.Record(500'000);
  EXPECT_NEAR(histogram.Percentile(50), 1'000, 1'000 / 64);
  EXPECT_NEAR(histogram.Percentile(99), 1'000, 1'000 / 64);  // rank 990 is still the fast group
  EXPECT_EQ(histogram.Percentile(99.9), 500'000);            // capped at the largest sample
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram first, second, combined;
  for (int64_t value = 1; value <= 5'000; ++value) {
    (value % 2 ? first : second).Record(value * 7);
    combined.Record(value * 7);
  }
  first.Merge(second);
  EXPECT_EQ(first.count(), combined.count());
  EXPECT_EQ(first.max(), combined.max());
  for (double percent : {1.0, 50.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(first.Percentile(percent), combined.Percentile(percent)) << percent;
  }
}

TEST(LatencyHistogramTest, NegativeAndHugeValuesAreClamped) {
  LatencyHistogram histogram;
  histogram.Record(-5);
  histogram.Record(int64_t{1} << 50);
  EXPECT_EQ(histogram.Percentile(50), 0);
  EXPECT_EQ(histogram.max(), int64_t{1} << LatencyHistogram::kMaxValueBits);
  EXPECT_EQ(histogram.Percentile(100), int64_t{1} << LatencyHistogram::kMaxValueBits);
}

}  // namespace
}  // namespace kafscale::bench
