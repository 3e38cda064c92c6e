#include "log/segment_cache.h"

#include <gtest/gtest.h>

namespace kafscale::log {
namespace {

constexpr size_t kEntryBytes = 1000;

// An entry charged about kEntryBytes (one buffer of that capacity).
std::shared_ptr<const LoadedSegment> Entry(int64_t base_offset) {
  auto segment = std::make_shared<LoadedSegment>();
  auto buffer = std::make_shared<std::string>();
  buffer->reserve(kEntryBytes);
  segment->batches.push_back(StoredBatch{base_offset, base_offset, 0, *buffer});
  segment->buffers.push_back(std::move(buffer));
  return segment;
}

// Room for `entries` entries and not one more.
SegmentCache CacheFor(size_t entries) { return SegmentCache(entries * Entry(0)->buffers[0]->capacity()); }

TEST(SegmentCacheTest, EvictsTheLeastRecentlyUsedBeyondCapacity) {
  SegmentCache cache = CacheFor(2);
  cache.Insert("a", Entry(0));
  cache.Insert("b", Entry(1));
  ASSERT_NE(cache.Get("a"), nullptr);  // b is now the least recently used
  cache.Insert("c", Entry(2));
  EXPECT_TRUE(cache.Contains("a"));
  EXPECT_FALSE(cache.Contains("b"));
  EXPECT_TRUE(cache.Contains("c"));
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.Get("b"), nullptr);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(SegmentCacheTest, ReplacedRangesPassTheirRecencyToTheSegment) {
  SegmentCache cache = CacheFor(3);
  cache.Insert("range-1", Entry(0));
  cache.Insert("range-2", Entry(1));
  cache.Insert("newer", Entry(2));
  // The segment made of both ranges is as recent as range-2, older than
  // "newer": the next insert evicts the segment, not the data inserted
  // after the ranges.
  cache.Replace({"range-1", "range-2"}, "segment", Entry(0));
  EXPECT_FALSE(cache.Contains("range-1"));
  EXPECT_FALSE(cache.Contains("range-2"));
  EXPECT_TRUE(cache.Contains("segment"));
  cache.Insert("after-1", Entry(3));
  cache.Insert("after-2", Entry(4));  // over capacity: the least recent goes
  EXPECT_TRUE(cache.Contains("newer"));
  EXPECT_TRUE(cache.Contains("after-1"));
  EXPECT_TRUE(cache.Contains("after-2"));
  EXPECT_FALSE(cache.Contains("segment"));
}

TEST(SegmentCacheTest, ReplacedRangeReadLastDecidesTheSegmentsRecency) {
  SegmentCache cache = CacheFor(3);
  cache.Insert("range-1", Entry(0));
  cache.Insert("newer", Entry(1));
  cache.Insert("range-2", Entry(2));
  ASSERT_NE(cache.Get("range-1"), nullptr);  // now the most recently used
  cache.Replace({"range-1", "range-2"}, "segment", Entry(0));
  cache.Insert("after-1", Entry(3));
  cache.Insert("after-2", Entry(4));
  EXPECT_TRUE(cache.Contains("segment"));
  EXPECT_FALSE(cache.Contains("newer"));
}

TEST(SegmentCacheTest, ReplacingUncachedRangesInsertsAsMostRecentlyUsed) {
  SegmentCache cache = CacheFor(2);
  cache.Insert("older", Entry(0));
  cache.Replace({"gone-1", "gone-2"}, "segment", Entry(1));
  cache.Insert("after", Entry(2));
  EXPECT_FALSE(cache.Contains("older"));
  EXPECT_TRUE(cache.Contains("segment"));
  EXPECT_TRUE(cache.Contains("after"));
}

TEST(SegmentCacheTest, ChargesTheBuffersCapacity) {
  SegmentCache cache = CacheFor(4);
  cache.Insert("a", Entry(0));
  cache.Insert("b", Entry(1));
  const uint64_t two = cache.size_bytes();
  EXPECT_GE(two, 2 * kEntryBytes);
  cache.Replace({"a", "b"}, "segment", Entry(0));
  EXPECT_EQ(cache.size_bytes(), two / 2);
  cache.Erase("segment");
  EXPECT_EQ(cache.size_bytes(), 0u);
}

}  // namespace
}  // namespace kafscale::log
