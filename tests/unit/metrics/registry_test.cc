#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

namespace kafscale::metrics {
namespace {

const FamilySnapshot& FindFamily(const std::vector<FamilySnapshot>& families, const std::string& name) {
  for (const FamilySnapshot& family : families) {
    if (family.name == name) return family;
  }
  throw std::runtime_error("no family " + name);
}

TEST(HistogramTest, BucketBoundsAreInclusiveAndCountsCumulative) {
  Histogram histogram({1, 2, 5});
  for (double value : {0.5, 1.0, 1.5, 2.0, 4.0, 7.0}) histogram.Observe(value);
  const HistogramSnapshot snapshot = histogram.Snapshot();
  EXPECT_EQ(snapshot.cumulative_counts, (std::vector<uint64_t>{2, 4, 5, 6}));
  EXPECT_EQ(snapshot.count(), 6u);
  EXPECT_DOUBLE_EQ(snapshot.sum, 16.0);
}

TEST(HistogramTest, RejectsBoundsOutOfOrder) { EXPECT_THROW(Histogram({2, 1}), std::invalid_argument); }

TEST(HistogramTest, ExponentialBuckets) { EXPECT_EQ(ExponentialBuckets(1, 10, 3), (std::vector<double>{1, 10, 100})); }

TEST(HistogramTest, RoundStepBucketsAreAtMostFiveThirdsApart) {
  const std::vector<double> bounds = RoundStepBuckets(-1, 0);
  EXPECT_EQ(bounds, (std::vector<double>{0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7}));
  for (size_t i = 1; i < bounds.size(); ++i) EXPECT_LE(bounds[i] / bounds[i - 1], 5.0 / 3 + 1e-9) << bounds[i];
}

TEST(HistogramTest, DecadeBucketsAreRoundNumbers) {
  EXPECT_EQ(DecadeBuckets(-4, -3, {1, 1.5, 5}), (std::vector<double>{0.0001, 0.00015, 0.0005, 0.001, 0.0015, 0.005}));
  EXPECT_EQ(DecadeBuckets(0, 1, {1, 3}), (std::vector<double>{1, 3, 10, 30}));
}

TEST(RegistryTest, CollectsFamiliesInRegistrationOrderWithLabelledChildren) {
  Registry registry;
  Counter& plain = registry.AddCounter("a_total", "A.");
  Family<Gauge>& gauges = registry.AddGaugeFamily("b", "B.", {"kind"});
  plain.Increment(3);
  gauges.WithLabels({"y"}).Set(2.5);
  gauges.WithLabels({"x"}).Add(-1);
  EXPECT_EQ(&gauges.WithLabels({"x"}), &gauges.WithLabels({"x"}));

  const std::vector<FamilySnapshot> families = registry.Collect();
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].name, "a_total");
  EXPECT_EQ(families[0].type, MetricType::kCounter);
  ASSERT_EQ(families[0].samples.size(), 1u);
  EXPECT_EQ(families[0].samples[0].value, 3);
  const FamilySnapshot& b = families[1];
  ASSERT_EQ(b.samples.size(), 2u);
  EXPECT_EQ(b.samples[0].labels, (Labels{{"kind", "x"}}));  // children in label order
  EXPECT_EQ(b.samples[0].value, -1);
  EXPECT_EQ(b.samples[1].labels, (Labels{{"kind", "y"}}));
  EXPECT_EQ(b.samples[1].value, 2.5);
}

TEST(RegistryTest, HistogramSamplesCarryLeLabelsSumAndCount) {
  Registry registry;
  registry.AddHistogramFamily("h_seconds", "H.", {"op"}, {0.5, 1}).WithLabels({"get"}).Observe(0.7);
  const std::vector<FamilySnapshot> families = registry.Collect();
  const FamilySnapshot& h = FindFamily(families, "h_seconds");
  ASSERT_EQ(h.samples.size(), 5u);
  EXPECT_EQ(h.samples[0].name, "h_seconds_bucket");
  EXPECT_EQ(h.samples[0].labels, (Labels{{"op", "get"}, {"le", "0.5"}}));
  EXPECT_EQ(h.samples[0].value, 0);
  EXPECT_EQ(h.samples[1].labels, (Labels{{"op", "get"}, {"le", "1"}}));
  EXPECT_EQ(h.samples[1].value, 1);
  EXPECT_EQ(h.samples[2].labels, (Labels{{"op", "get"}, {"le", "+Inf"}}));
  EXPECT_EQ(h.samples[2].value, 1);
  EXPECT_EQ(h.samples[3].name, "h_seconds_sum");
  EXPECT_DOUBLE_EQ(h.samples[3].value, 0.7);
  EXPECT_EQ(h.samples[4].name, "h_seconds_count");
  EXPECT_EQ(h.samples[4].value, 1);
}

TEST(RegistryTest, CollectorsAddFamiliesAfterRegisteredOnes) {
  Registry registry;
  registry.AddCollector([](std::vector<FamilySnapshot>& out) {
    out.push_back(SingleSampleFamily("from_collector", "C.", MetricType::kGauge, 7));
  });
  registry.AddGauge("registered", "R.");
  const std::vector<FamilySnapshot> families = registry.Collect();
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].name, "registered");
  EXPECT_EQ(families[1].name, "from_collector");
  EXPECT_EQ(families[1].samples[0].value, 7);
}

TEST(RegistryTest, RejectsDuplicateAndMalformedNames) {
  Registry registry;
  registry.AddCounter("x_total", "X.");
  EXPECT_THROW(registry.AddGauge("x_total", "again"), std::invalid_argument);
  EXPECT_THROW(registry.AddGauge("1starts_with_digit", "bad"), std::invalid_argument);
  EXPECT_THROW(registry.AddGauge("has-dash", "bad"), std::invalid_argument);
  EXPECT_THROW(registry.AddCounterFamily("y_total", "bad label", {"le"}), std::invalid_argument);
  EXPECT_THROW(registry.AddCounterFamily("z_total", "bad label", {"a:b"}), std::invalid_argument);
  EXPECT_THROW(registry.AddCounterFamily("w_total", "reserved label", {"__name"}), std::invalid_argument);
  Family<Counter>& family = registry.AddCounterFamily("v_total", "Two labels.", {"a", "b"});
  EXPECT_THROW(family.WithLabels({"only-one"}), std::invalid_argument);
  EXPECT_TRUE(IsValidMetricName("ns:sub_name9"));
  EXPECT_TRUE(IsValidLabelName("_partition"));
}

TEST(RegistryTest, ConcurrentRecordingLosesNothing) {
  Registry registry;
  Family<Counter>& counters = registry.AddCounterFamily("c_total", "C.", {"thread_group"});
  Histogram& histogram = registry.AddHistogram("h", "H.", {1});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        counters.WithLabels({t % 2 ? "odd" : "even"}).Increment();
        histogram.Observe(i % 2);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counters.WithLabels({"odd"}).value() + counters.WithLabels({"even"}).value(),
            uint64_t{kThreads * kPerThread});
  EXPECT_EQ(histogram.Snapshot().count(), uint64_t{kThreads * kPerThread});
  EXPECT_DOUBLE_EQ(histogram.Snapshot().sum, kThreads * kPerThread / 2.0);
}

TEST(RegistryTest, HistogramSnapshotFromValues) {
  const HistogramSnapshot snapshot = MakeHistogramSnapshot({0, 10}, {0, 3, 30});
  EXPECT_EQ(snapshot.cumulative_counts, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(snapshot.sum, 33);
}

}  // namespace
}  // namespace kafscale::metrics
