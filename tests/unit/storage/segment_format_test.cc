#include "storage/segment_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/big_endian.h"
#include "common/crc32c.h"
#include "storage/test_batches.h"

namespace kafscale {
namespace {

using ::testing::HasSubstr;
using testing::LargeBatch;
using testing::SampleBatch;

constexpr int64_t kCreatedMs = 1700000000000;

struct BuiltSegment {
  std::vector<std::string> batches;  // kept alive: the segment references them
  EncodedSegment encoded;
  std::string bytes;
};

// Batches of the given sizes at consecutive offsets from base_offset.
BuiltSegment Build(int64_t base_offset, const std::vector<int>& record_counts, int32_t interval = 100) {
  BuiltSegment built;
  int64_t offset = base_offset;
  for (int count : record_counts) {
    built.batches.push_back(SampleBatch(offset, count, count % 2 ? CompressionCodec::kLz4 : CompressionCodec::kNone));
    offset += count;
  }
  SegmentBuilder builder(interval);
  for (const std::string& batch : built.batches) EXPECT_TRUE(builder.Add(batch).ok());
  Result<EncodedSegment> encoded = builder.Finish(kCreatedMs);
  EXPECT_TRUE(encoded.ok()) << encoded.status().ToString();
  built.encoded = std::move(encoded).value();
  built.bytes = built.encoded.Flatten();
  return built;
}

TEST(SegmentFormatTest, RoundTrip) {
  BuiltSegment built = Build(1000, {3, 50, 1, 80, 20});
  const EncodedSegment& encoded = built.encoded;
  EXPECT_EQ(encoded.base_offset, 1000);
  EXPECT_EQ(encoded.last_offset, 1153);
  EXPECT_EQ(encoded.message_count, 154);
  EXPECT_EQ(encoded.header.size(), kSegmentHeaderSize);
  EXPECT_EQ(encoded.trailer.size(), kSegmentFooterSize);
  EXPECT_EQ(encoded.size(), built.bytes.size());
  // The body references the caller's batches instead of copying them.
  ASSERT_EQ(encoded.body.size(), built.batches.size());
  EXPECT_EQ(encoded.body[2].data(), built.batches[2].data());

  SegmentView view;
  Status s = ParseSegment(built.bytes, &view);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(view.base_offset, 1000);
  EXPECT_EQ(view.last_offset, 1153);
  EXPECT_EQ(view.message_count, 154);
  EXPECT_EQ(view.created_unix_ms, kCreatedMs);
  EXPECT_EQ(view.body.size(), built.bytes.size() - kSegmentHeaderSize - kSegmentFooterSize);
  ASSERT_EQ(view.batches.size(), built.batches.size());
  for (size_t i = 0; i < built.batches.size(); ++i) EXPECT_EQ(view.Batch(i), built.batches[i]) << i;
  EXPECT_EQ(view.batches[0].position, kSegmentHeaderSize);
  EXPECT_EQ(view.batches[1].base_offset, 1003);
  EXPECT_EQ(view.batches[1].last_offset, 1052);
}

// The body CRC is derived from the batches' own CRCs: a batch whose bytes
// changed after they were checked makes the segment fail to parse.
TEST(SegmentFormatTest, BatchDamagedAfterItsCheckFailsTheBodyCrc) {
  std::string batch = LargeBatch(0, 8);
  SegmentBuilder builder(100);
  ASSERT_TRUE(builder.Add(batch).ok());
  batch[batch.size() / 2] ^= 0x10;
  Result<EncodedSegment> encoded = builder.Finish(kCreatedMs);
  ASSERT_TRUE(encoded.ok());
  SegmentView view;
  Status s = ParseSegment(encoded->Flatten(), &view);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_THAT(s.message(), HasSubstr("body CRC32C mismatch"));
}

TEST(SegmentFormatTest, AddAcceptsSeveralBatchesAtOnce) {
  std::string first = SampleBatch(0, 2), second = SampleBatch(2, 3);
  std::string both = first + second;
  SegmentBuilder builder;
  ASSERT_TRUE(builder.Add(both).ok());
  Result<EncodedSegment> encoded = builder.Finish(kCreatedMs);
  ASSERT_TRUE(encoded.ok());
  SegmentView view;
  std::string bytes = encoded->Flatten();
  ASSERT_TRUE(ParseSegment(bytes, &view).ok());
  ASSERT_EQ(view.batches.size(), 2u);
  EXPECT_EQ(view.Batch(1), second);
  EXPECT_EQ(encoded->index_entries.size(), 1u);
}

TEST(SegmentFormatTest, GoldenBytesOfTinySegment) {
  std::string batch = SampleBatch(7, 1);
  SegmentBuilder builder;
  ASSERT_TRUE(builder.Add(batch).ok());
  Result<EncodedSegment> encoded = builder.Finish(0x0000018BCFE56800);  // 2023-11-14T22:13:20Z
  ASSERT_TRUE(encoded.ok());

  uint32_t body_crc = Crc32c(batch);
  std::string expected_header(
      "KAFS"
      "\x00\x01"                          // version
      "\x00\x00"                          // flags
      "\x00\x00\x00\x00\x00\x00\x00\x07"  // base offset
      "\x00\x00\x00\x01"                  // message count
      "\x00\x00\x01\x8B\xCF\xE5\x68\x00"  // created
      "\x00\x00\x00\x00",                 // reserved
      32);
  std::string expected_footer = std::string(4, '\0') +
                                std::string("\x00\x00\x00\x00\x00\x00\x00\x07"  // last offset
                                            "END!",
                                            12);
  StoreBigEndian(expected_footer.data(), body_crc);
  EXPECT_EQ(encoded->Flatten(), expected_header + batch + expected_footer);

  std::string expected_index(
      "IDX\0"
      "\x00\x01"                          // version
      "\x00\x00\x00\x01"                  // entry count
      "\x00\x00\x00\x64"                  // interval 100
      "\x00\x00"                          // reserved
      "\x00\x00\x00\x00\x00\x00\x00\x07"  // offset
      "\x00\x00\x00\x20",                 // position 32
      28);
  EXPECT_EQ(encoded->index, expected_index);
}

TEST(SegmentFormatTest, EveryFlippedByteIsCorruption) {
  BuiltSegment built = Build(0, {2, 3});
  for (size_t i = 0; i < built.bytes.size(); ++i) {
    // Flags, creation time and reserved bytes carry no checked meaning.
    bool unchecked = (i >= 6 && i < 8) || (i >= 20 && i < 32);
    if (unchecked) continue;
    std::string damaged = built.bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x01);
    SegmentView view;
    EXPECT_TRUE(ParseSegment(damaged, &view).IsCorruption()) << "byte " << i;
  }
}

TEST(SegmentFormatTest, EveryTruncationIsCorruption) {
  BuiltSegment built = Build(0, {2, 3});
  for (size_t length = 0; length < built.bytes.size(); ++length) {
    SegmentView view;
    EXPECT_TRUE(ParseSegment(std::string_view(built.bytes).substr(0, length), &view).IsCorruption())
        << "length " << length;
  }
}

TEST(SegmentFormatTest, ConsistencyChecksNameTheProblem) {
  BuiltSegment built = Build(10, {2, 3});
  SegmentView view;

  std::string wrong_base = built.bytes;
  StoreBigEndian(wrong_base.data() + 8, int64_t{11});
  EXPECT_THAT(ParseSegment(wrong_base, &view).message(), HasSubstr("header base offset 11"));

  std::string wrong_count = built.bytes;
  StoreBigEndian(wrong_count.data() + 16, int32_t{6});
  EXPECT_THAT(ParseSegment(wrong_count, &view).message(), HasSubstr("message count 6"));

  std::string wrong_last = built.bytes;
  StoreBigEndian(wrong_last.data() + wrong_last.size() - 12, int64_t{15});
  EXPECT_THAT(ParseSegment(wrong_last, &view).message(), HasSubstr("footer last offset 15"));

  std::string wrong_version = built.bytes;
  StoreBigEndian(wrong_version.data() + 4, uint16_t{2});
  EXPECT_THAT(ParseSegment(wrong_version, &view).message(), HasSubstr("unsupported version 2"));

  std::string torn = built.bytes.substr(0, built.bytes.size() - 5);
  EXPECT_THAT(ParseSegment(torn, &view).message(), HasSubstr("footer magic"));

  std::string bad_crc = built.bytes;
  bad_crc[kSegmentHeaderSize + 30] ^= 1;
  EXPECT_THAT(ParseSegment(bad_crc, &view).message(), HasSubstr("CRC32C mismatch"));
}

TEST(SegmentFormatTest, BuilderRejectsBadInput) {
  SegmentBuilder builder;
  EXPECT_EQ(builder.Finish(kCreatedMs).status().code(), Status::Code::kInvalidArgument);
  std::string first = SampleBatch(10, 5);
  ASSERT_TRUE(builder.Add(first).ok());
  std::string overlapping = SampleBatch(14, 2);
  EXPECT_EQ(builder.Add(overlapping).code(), Status::Code::kInvalidArgument);
  std::string truncated = SampleBatch(15, 2).substr(0, 40);
  EXPECT_EQ(builder.Add(truncated).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(builder.Add("").code(), Status::Code::kInvalidArgument);
  // Gaps are allowed: offsets only have to ascend.
  std::string later = SampleBatch(20, 2);
  EXPECT_TRUE(builder.Add(later).ok());
  EXPECT_EQ(builder.segment_size(), kSegmentHeaderSize + first.size() + later.size() + kSegmentFooterSize);
}

TEST(SegmentFormatTest, IndexEntriesFollowTheMessageInterval) {
  // Entry on the first batch, then on the first batch after >= 10 messages.
  BuiltSegment built = Build(0, {4, 4, 4, 12, 1, 9, 3}, /*interval=*/10);
  SegmentView view;
  ASSERT_TRUE(ParseSegment(built.bytes, &view).ok());
  std::vector<IndexEntry> expected{
      {0, static_cast<int32_t>(view.batches[0].position)},
      {12, static_cast<int32_t>(view.batches[3].position)},
      {24, static_cast<int32_t>(view.batches[4].position)},
      {34, static_cast<int32_t>(view.batches[6].position)},
  };
  EXPECT_EQ(built.encoded.index_entries, expected);
  IndexView index;
  ASSERT_TRUE(ParseIndex(built.encoded.index, &index).ok());
  EXPECT_EQ(index.interval, 10);
  EXPECT_EQ(index.entries, expected);
}

TEST(SegmentFormatTest, FindBatchAndIndexLookupAgree) {
  BuiltSegment built = Build(100, {5, 5, 5, 5, 5, 5}, /*interval=*/10);
  SegmentView view;
  ASSERT_TRUE(ParseSegment(built.bytes, &view).ok());
  IndexView index;
  ASSERT_TRUE(ParseIndex(built.encoded.index, &index).ok());
  for (int64_t offset = 90; offset < 135; ++offset) {
    size_t batch = view.FindBatch(offset);
    if (offset >= 130) {
      EXPECT_EQ(batch, view.batches.size()) << offset;
      continue;
    }
    size_t expected_batch = offset < 100 ? 0 : static_cast<size_t>((offset - 100) / 5);
    EXPECT_EQ(batch, expected_batch) << offset;
    // The index points at or before the batch holding the offset.
    EXPECT_LE(static_cast<size_t>(index.FindPosition(offset)), view.batches[batch].position) << offset;
  }
  EXPECT_EQ(index.FindPosition(99), static_cast<int32_t>(kSegmentHeaderSize));
  EXPECT_EQ(index.FindPosition(112), static_cast<int32_t>(view.batches[2].position));
  EXPECT_EQ(index.FindPosition(1000), static_cast<int32_t>(view.batches[4].position));
}

}  // namespace
}  // namespace kafscale
