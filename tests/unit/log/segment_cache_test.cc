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
SegmentCache CacheFor(size_t entries) { return SegmentCache(entries * CacheCharge(*Entry(0))); }

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

TEST(SegmentCacheTest, EntriesKeptForCompactionAreEvictedAfterAllOthers) {
  SegmentCache cache = CacheFor(3);
  cache.Insert("range-1", Entry(0), /*keep_for_compaction=*/true);
  cache.Insert("segment-1", Entry(1));
  cache.Insert("range-2", Entry(2), /*keep_for_compaction=*/true);
  ASSERT_NE(cache.Get("segment-1"), nullptr);
  // Over capacity: the other entry goes although it was read last.
  cache.Insert("range-3", Entry(3), /*keep_for_compaction=*/true);
  EXPECT_FALSE(cache.Contains("segment-1"));
  EXPECT_TRUE(cache.Contains("range-1"));
  // Only kept entries left: the least recently used of them goes.
  cache.Insert("range-4", Entry(4), /*keep_for_compaction=*/true);
  EXPECT_FALSE(cache.Contains("range-1"));
  EXPECT_TRUE(cache.Contains("range-2"));
  EXPECT_TRUE(cache.Contains("range-3"));
  EXPECT_TRUE(cache.Contains("range-4"));
}

TEST(SegmentCacheTest, AnEntryNoLongerKeptIsEvictedLikeTheOthers) {
  SegmentCache cache = CacheFor(3);
  cache.Insert("segment-1", Entry(0));
  cache.Insert("range-1", Entry(1), /*keep_for_compaction=*/true);
  cache.Insert("range-2", Entry(2), /*keep_for_compaction=*/true);
  cache.StopKeeping("range-1");  // now the most recently used of the others
  cache.StopKeeping("missing");
  cache.Insert("range-3", Entry(3), /*keep_for_compaction=*/true);
  EXPECT_FALSE(cache.Contains("segment-1"));
  EXPECT_TRUE(cache.Contains("range-1"));
  cache.Insert("range-4", Entry(4), /*keep_for_compaction=*/true);
  EXPECT_FALSE(cache.Contains("range-1")) << "evicted before any entry still kept";
  EXPECT_TRUE(cache.Contains("range-2"));
  EXPECT_TRUE(cache.Contains("range-3"));
  EXPECT_TRUE(cache.Contains("range-4"));
}

TEST(SegmentCacheTest, TheEntryJustInsertedStaysEvenAlone) {
  SegmentCache cache = CacheFor(1);
  cache.Insert("range", Entry(0), /*keep_for_compaction=*/true);
  cache.Insert("segment", Entry(1));  // the kept entry goes: nothing else is left
  EXPECT_TRUE(cache.Contains("segment"));
  EXPECT_FALSE(cache.Contains("range"));
  SegmentCache none(0);
  none.Insert("only", Entry(0), /*keep_for_compaction=*/true);
  EXPECT_TRUE(none.Contains("only"));
}

TEST(SegmentCacheTest, ErasePrefixDropsEntriesOfBothKinds) {
  SegmentCache cache = CacheFor(4);
  cache.Insert("t/0/range", Entry(0), /*keep_for_compaction=*/true);
  cache.Insert("t/0/segment", Entry(1));
  cache.Insert("u/0/segment", Entry(2));
  cache.ErasePrefix("t/");
  EXPECT_FALSE(cache.Contains("t/0/range"));
  EXPECT_FALSE(cache.Contains("t/0/segment"));
  EXPECT_TRUE(cache.Contains("u/0/segment"));
  EXPECT_EQ(cache.size_bytes(), CacheCharge(*Entry(0)));
}

TEST(SegmentCacheTest, ChargesTheBuffersCapacity) {
  SegmentCache cache = CacheFor(4);
  cache.Insert("a", Entry(0));
  cache.Insert("b", Entry(1), /*keep_for_compaction=*/true);
  EXPECT_GE(cache.size_bytes(), 2 * kEntryBytes);
  EXPECT_EQ(cache.size_bytes(), 2 * CacheCharge(*Entry(0)));
  cache.Erase("a");
  cache.Erase("b");
  EXPECT_EQ(cache.size_bytes(), 0u);
}

}  // namespace
}  // namespace kafscale::log
