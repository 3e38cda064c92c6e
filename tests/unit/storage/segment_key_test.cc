#include "storage/segment_key.h"

#include <gtest/gtest.h>

namespace kafscale {
namespace {

TEST(SegmentKeyTest, FormatsKeys) {
  EXPECT_EQ(SegmentKey("default", "orders", 3, 42), "default/orders/3/segment-00000000000000000042.kfs");
  EXPECT_EQ(IndexKey("default", "orders", 3, 42), "default/orders/3/segment-00000000000000000042.index");
  EXPECT_EQ(SegmentKey("ns", "t", 0, 9223372036854775807), "ns/t/0/segment-09223372036854775807.kfs");
  EXPECT_EQ(PartitionKeyPrefix("default", "orders", 12), "default/orders/12/");
}

TEST(SegmentKeyTest, ByteOrderIsOffsetOrder) {
  EXPECT_LT(SegmentKey("n", "t", 0, 999), SegmentKey("n", "t", 0, 1000));
  EXPECT_LT(IndexKey("n", "t", 0, 9), IndexKey("n", "t", 0, 10));
}

TEST(SegmentKeyTest, ParsesBack) {
  ParsedSegmentKey parsed;
  ASSERT_TRUE(ParseSegmentKey(SegmentKey("default", "orders.v2", 17, 123456), &parsed).ok());
  EXPECT_EQ(parsed.ns, "default");
  EXPECT_EQ(parsed.topic, "orders.v2");
  EXPECT_EQ(parsed.partition, 17);
  EXPECT_EQ(parsed.base_offset, 123456);
  EXPECT_EQ(parsed.kind, SegmentObjectKind::kSegment);

  ASSERT_TRUE(ParseSegmentKey(IndexKey("team/prod", "t", 0, 0), &parsed).ok());
  EXPECT_EQ(parsed.ns, "team/prod");
  EXPECT_EQ(parsed.topic, "t");
  EXPECT_EQ(parsed.partition, 0);
  EXPECT_EQ(parsed.base_offset, 0);
  EXPECT_EQ(parsed.kind, SegmentObjectKind::kIndex);
}

TEST(SegmentKeyTest, RejectsOtherKeys) {
  const char* const kBad[] = {
      "",
      "segment-00000000000000000042.kfs",
      "t/0/segment-00000000000000000042.kfs",             // no namespace
      "/t/0/segment-00000000000000000042.kfs",            // empty namespace
      "ns//0/segment-00000000000000000042.kfs",           // empty topic
      "ns/t//segment-00000000000000000042.kfs",           // empty partition
      "ns/t/01/segment-00000000000000000042.kfs",         // non-canonical partition
      "ns/t/-1/segment-00000000000000000042.kfs",         // negative partition
      "ns/t/2147483648/segment-00000000000000000042.kfs", // partition overflows i32
      "ns/t/0/segment-42.kfs",                            // not padded
      "ns/t/0/segment-0000000000000000004x.kfs",
      "ns/t/0/segment-99999999999999999999.kfs",          // overflows i64
      "ns/t/0/segment-00000000000000000042.log",
      "ns/t/0/segment-00000000000000000042.kfs.tmp",
      "ns/t/0/chunk-00000000000000000042.kfs",
  };
  for (const char* key : kBad) {
    ParsedSegmentKey parsed;
    EXPECT_EQ(ParseSegmentKey(key, &parsed).code(), Status::Code::kInvalidArgument) << key;
  }
}

}  // namespace
}  // namespace kafscale
