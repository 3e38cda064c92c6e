#include "storage/index_format.h"

#include <gtest/gtest.h>

#include "storage/big_endian.h"

namespace kafscale {
namespace {

std::string SampleIndex() {
  IndexBuilder builder(2);
  builder.AddBatch(50, 32, 1);
  builder.AddBatch(51, 132, 1);
  builder.AddBatch(52, 232, 3);
  builder.AddBatch(55, 332, 1);
  return builder.Encode();
}

TEST(IndexFormatTest, RoundTrip) {
  IndexView view;
  ASSERT_TRUE(ParseIndex(SampleIndex(), &view).ok());
  EXPECT_EQ(view.interval, 2);
  std::vector<IndexEntry> expected{{50, 32}, {52, 232}, {55, 332}};
  EXPECT_EQ(view.entries, expected);
}

TEST(IndexFormatTest, IntervalBelowOneMeansEveryBatch) {
  IndexBuilder builder(0);
  builder.AddBatch(0, 32, 5);
  builder.AddBatch(5, 100, 5);
  EXPECT_EQ(builder.interval(), 1);
  EXPECT_EQ(builder.entries().size(), 2u);
}

TEST(IndexFormatTest, FindPosition) {
  IndexView view;
  ASSERT_TRUE(ParseIndex(SampleIndex(), &view).ok());
  EXPECT_EQ(view.FindPosition(0), 32);
  EXPECT_EQ(view.FindPosition(50), 32);
  EXPECT_EQ(view.FindPosition(51), 32);
  EXPECT_EQ(view.FindPosition(52), 232);
  EXPECT_EQ(view.FindPosition(54), 232);
  EXPECT_EQ(view.FindPosition(55), 332);
  EXPECT_EQ(view.FindPosition(1 << 30), 332);
}

TEST(IndexFormatTest, FlippedHeaderBytesAreCorruption) {
  const std::string index = SampleIndex();
  // Magic, version and entry count: any change is caught.
  for (size_t i = 0; i < 10; ++i) {
    std::string damaged = index;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x01);
    IndexView view;
    EXPECT_TRUE(ParseIndex(damaged, &view).IsCorruption()) << "byte " << i;
  }
  std::string negative_interval = index;
  negative_interval[10] = static_cast<char>(negative_interval[10] ^ 0x80);
  IndexView view;
  EXPECT_TRUE(ParseIndex(negative_interval, &view).IsCorruption());
}

TEST(IndexFormatTest, RejectsMalformedIndexes) {
  IndexView view;
  const std::string good = SampleIndex();
  for (size_t length = 0; length < good.size(); ++length) {
    EXPECT_TRUE(ParseIndex(good.substr(0, length), &view).IsCorruption()) << "length " << length;
  }
  EXPECT_TRUE(ParseIndex(good + "x", &view).IsCorruption());

  std::string no_entries = IndexBuilder(5).Encode();
  EXPECT_TRUE(ParseIndex(no_entries, &view).IsCorruption());

  std::string descending = good;
  StoreBigEndian(descending.data() + kIndexHeaderSize + kIndexEntrySize, int64_t{10});
  EXPECT_TRUE(ParseIndex(descending, &view).IsCorruption());

  std::string inside_header = good;
  StoreBigEndian(inside_header.data() + kIndexHeaderSize + 8, int32_t{31});
  EXPECT_TRUE(ParseIndex(inside_header, &view).IsCorruption());

  std::string zero_interval = good;
  StoreBigEndian(zero_interval.data() + 10, int32_t{0});
  EXPECT_TRUE(ParseIndex(zero_interval, &view).IsCorruption());
}

}  // namespace
}  // namespace kafscale
