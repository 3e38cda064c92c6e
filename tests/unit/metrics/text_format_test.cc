#include "metrics/text_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace kafscale::metrics {
namespace {

TEST(TextFormatTest, WritesHelpTypeAndSamples) {
  Registry registry;
  registry.AddCounterFamily("requests_total", "Requests.", {"api", "error"})
      .WithLabels({"Produce", "NONE"})
      .Increment(2);
  registry.AddHistogram("latency_ms", "Latency.", {1, 2.5}).Observe(2);
  registry.AddGauge("empty_gauge", "Never set.");
  EXPECT_EQ(WriteText(registry.Collect()),
            "# HELP requests_total Requests.\n"
            "# TYPE requests_total counter\n"
            "requests_total{api=\"Produce\",error=\"NONE\"} 2\n"
            "# HELP latency_ms Latency.\n"
            "# TYPE latency_ms histogram\n"
            "latency_ms_bucket{le=\"1\"} 0\n"
            "latency_ms_bucket{le=\"2.5\"} 1\n"
            "latency_ms_bucket{le=\"+Inf\"} 1\n"
            "latency_ms_sum 2\n"
            "latency_ms_count 1\n"
            "# HELP empty_gauge Never set.\n"
            "# TYPE empty_gauge gauge\n"
            "empty_gauge 0\n");
}

TEST(TextFormatTest, EscapesLabelValuesAndHelp) {
  std::vector<FamilySnapshot> families{FamilySnapshot{"lag",
                                                      "Lag with a \\ backslash\nand a newline \"quoted\".",
                                                      MetricType::kGauge,
                                                      {Sample{"lag", {{"group", "a\"b\\c\nd"}}, 1}}}};
  EXPECT_EQ(WriteText(families),
            "# HELP lag Lag with a \\\\ backslash\\nand a newline \"quoted\".\n"
            "# TYPE lag gauge\n"
            "lag{group=\"a\\\"b\\\\c\\nd\"} 1\n");
  EXPECT_EQ(EscapeLabelValue("plain-topic.name_1"), "plain-topic.name_1");
  EXPECT_EQ(EscapeLabelValue("\u00fc\u20ac"), "\u00fc\u20ac");  // UTF-8 passes through
}

TEST(TextFormatTest, FormatsValues) {
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(-3), "-3");
  EXPECT_EQ(FormatSampleValue(123456789012.0), "123456789012");
  EXPECT_EQ(FormatSampleValue(0.25), "0.25");
  EXPECT_EQ(FormatSampleValue(1e300), "1e+300");
  EXPECT_EQ(FormatSampleValue(0.1 + 0.2), "0.30000000000000004");  // reads back exactly
  EXPECT_EQ(FormatSampleValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatSampleValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatSampleValue(std::nan("")), "NaN");
}

}  // namespace
}  // namespace kafscale::metrics
