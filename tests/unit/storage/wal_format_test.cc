#include "storage/wal_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

#include "storage/big_endian.h"
#include "common/crc32c.h"
#include "storage/segment_key.h"
#include "storage/test_batches.h"

namespace kafscale {
namespace {

using ::testing::HasSubstr;
using testing::LargeBatch;
using testing::SampleBatch;
using testing::SampleRecords;

constexpr int64_t kCreatedMs = 1700000000000;

// Three partitions of two topics, as one flush would hand them over: several
// batches (some compressed) per partition, some added in more than one call.
struct Flush {
  std::string orders0 = SampleBatch(100, 3) + SampleBatch(103, 20, CompressionCodec::kZstd);
  std::string orders0_more = SampleBatch(123, 5, CompressionCodec::kLz4);
  std::string payments2 = SampleBatch(0, 7, CompressionCodec::kGzip);
  std::string orders1 = SampleBatch(5000, 1) + SampleBatch(5001, 40, CompressionCodec::kSnappy);

  WalBuilder builder;
  EncodedWal wal;
  std::string bytes;  // the whole object

  Flush() {
    EXPECT_TRUE(builder.Add("orders", 0, orders0).ok());
    EXPECT_TRUE(builder.Add("orders", 0, orders0_more).ok());
    EXPECT_TRUE(builder.Add("payments", 2, payments2).ok());
    EXPECT_TRUE(builder.Add("orders", 1, orders1).ok());
    Result<EncodedWal> encoded = builder.Finish(kCreatedMs);
    EXPECT_TRUE(encoded.ok()) << encoded.status().ToString();
    wal = std::move(encoded).value();
    bytes = wal.Flatten();
  }

  std::string_view Slice(const WalRange& range) const {
    return std::string_view(bytes).substr(range.position, range.length);
  }
};

// Where index entry `i` starts in a well-formed object.
size_t IndexEntryAt(const std::string& object, size_t i) {
  size_t at = LoadBigEndian<uint64_t>(object.data() + object.size() - 12) + 4;
  for (; i > 0; --i) at += kWalIndexEntryFixedSize + LoadBigEndian<uint16_t>(object.data() + at);
  return at;
}

// Recomputes the footer CRC after a test edits the object on purpose, so the
// check under test is reached instead of the checksum.
void Reseal(std::string* object) {
  size_t footer = object->size() - kWalFooterSize;
  StoreBigEndian(object->data() + footer, Crc32c(std::string_view(*object).substr(0, footer)));
}

TEST(WalFormatTest, RoundTripOfThreePartitionsFromTwoTopics) {
  Flush flush;
  const EncodedWal& wal = flush.wal;
  size_t orders0_size = flush.orders0.size() + flush.orders0_more.size();
  std::vector<WalRange> expected{
      {"orders", 0, 100, 127, kWalHeaderSize, orders0_size},
      {"payments", 2, 0, 6, kWalHeaderSize + orders0_size, flush.payments2.size()},
      {"orders", 1, 5000, 5040, kWalHeaderSize + orders0_size + flush.payments2.size(), flush.orders1.size()},
  };
  EXPECT_EQ(wal.ranges, expected);
  EXPECT_EQ(wal.size(), flush.builder.size());
  EXPECT_EQ(flush.bytes.size(), wal.size());
  EXPECT_EQ(LoadBigEndian<uint32_t>(flush.bytes.data()), kWalMagic);
  EXPECT_EQ(LoadBigEndian<uint16_t>(flush.bytes.data() + 4), kWalVersion);
  EXPECT_EQ(LoadBigEndian<int64_t>(flush.bytes.data() + 8), kCreatedMs);

  // The positions slice out exactly the bytes that were added.
  EXPECT_EQ(flush.Slice(wal.ranges[0]), flush.orders0 + flush.orders0_more);
  EXPECT_EQ(flush.Slice(wal.ranges[1]), flush.payments2);
  EXPECT_EQ(flush.Slice(wal.ranges[2]), flush.orders1);

  std::vector<WalRange> parsed;
  Status s = ParseWalIndex(flush.bytes, &parsed);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(parsed, expected);

  // Each range read on its own, as a ranged GET would return it.
  std::vector<BatchLocation> batches;
  s = ParseWalRange(flush.Slice(parsed[0]), parsed[0], &batches);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].position, 0u);
  EXPECT_EQ(batches[1].base_offset, 103);
  EXPECT_EQ(batches[1].last_offset, 122);
  EXPECT_EQ(batches[1].record_count, 20);
  EXPECT_EQ(batches[2].position, flush.orders0.size());
  EXPECT_EQ(flush.Slice(parsed[0]).substr(batches[2].position, batches[2].size), flush.orders0_more);

  s = ParseWalRange(flush.Slice(parsed[1]), parsed[1], &batches);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(batches.size(), 1u);
  std::vector<Record> records;
  ASSERT_TRUE(DecodeRecords(flush.Slice(parsed[1]), &records).ok());
  EXPECT_EQ(records, SampleRecords(7));

  s = ParseWalRange(flush.Slice(parsed[2]), parsed[2], &batches);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].last_offset, 5040);
  std::string_view snappy_batch = flush.Slice(parsed[2]).substr(batches[1].position, batches[1].size);
  ASSERT_TRUE(DecodeRecords(snappy_batch, &records).ok());
  EXPECT_EQ(records, SampleRecords(40));
}

TEST(WalFormatTest, AlignedBuilderStartsLargeRangesAtTheirMemoryAddressModuloTheAlignment) {
  constexpr size_t kAlignment = 4096;
  const std::string small = SampleBatch(0, 3);  // far below 16 alignments
  const std::string large_batch = LargeBatch(100, 80);  // above them
  const std::string large_too_batch = LargeBatch(500, 70);
  ASSERT_GE(large_batch.size(), 16 * kAlignment);
  // The large ones in memory 100 bytes past a block boundary, and on one.
  std::unique_ptr<char, decltype(&std::free)> memory(static_cast<char*>(std::aligned_alloc(kAlignment, 4 << 20)),
                                                     &std::free);
  char* const base = memory.get();
  std::memcpy(base + kAlignment + 100, large_batch.data(), large_batch.size());
  std::memcpy(base + (2 << 20), large_too_batch.data(), large_too_batch.size());
  const std::string_view large(base + kAlignment + 100, large_batch.size());
  const std::string_view large_too(base + (2 << 20), large_too_batch.size());
  WalBuilder builder(kAlignment);
  ASSERT_TRUE(builder.Add("t", 0, small).ok());
  ASSERT_TRUE(builder.Add("t", 1, large).ok());
  ASSERT_TRUE(builder.Add("t", 2, large_too).ok());
  Result<EncodedWal> encoded = builder.Finish(kCreatedMs);
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  const std::string bytes = encoded->Flatten();
  EXPECT_EQ(bytes.size(), builder.size());

  const std::vector<WalRange>& ranges = encoded->ranges;
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0].position, kWalHeaderSize);  // small: back to back with the header
  EXPECT_EQ(ranges[1].position % kAlignment, 100u);
  EXPECT_EQ(ranges[2].position % kAlignment, 0u);
  // Zero bytes fill the gaps.
  const size_t gap_start = ranges[0].position + ranges[0].length;
  EXPECT_EQ(bytes.substr(gap_start, ranges[1].position - gap_start),
            std::string(ranges[1].position - gap_start, '\0'));

  // Readers go by the index: the object and each range check out.
  std::vector<WalRange> parsed;
  Status s = ParseWalIndex(bytes, &parsed);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(parsed, ranges);
  const std::string_view added[] = {small, large, large_too};
  for (size_t i = 0; i < parsed.size(); ++i) {
    std::string_view range_bytes = std::string_view(bytes).substr(parsed[i].position, parsed[i].length);
    EXPECT_EQ(range_bytes, added[i]);
    std::vector<BatchLocation> batches;
    EXPECT_TRUE(ParseWalRange(range_bytes, parsed[i], &batches).ok());
  }
  // The CRC covers the padding too.
  std::string flipped = bytes;
  flipped[gap_start] = 1;
  EXPECT_TRUE(ParseWalIndex(flipped, &parsed).IsCorruption());
}

TEST(WalFormatTest, GoldenBytesOfTinyObject) {
  std::string batch = SampleBatch(7, 1);
  WalBuilder builder;
  ASSERT_TRUE(builder.Add("t", 2, batch).ok());
  Result<EncodedWal> wal = builder.Finish(0x0000018BCFE56800);  // 2023-11-14T22:13:20Z
  ASSERT_TRUE(wal.ok());

  std::string header(
      "KWAL"
      "\x00\x01"                           // version
      "\x00\x00"                           // flags
      "\x00\x00\x01\x8B\xCF\xE5\x68\x00",  // created
      16);
  std::string index(
      "\x00\x00\x00\x01"                  // range count
      "\x00\x01"                          // topic length
      "t"                                 //
      "\x00\x00\x00\x02"                  // partition
      "\x00\x00\x00\x00\x00\x00\x00\x07"  // base offset
      "\x00\x00\x00\x00\x00\x00\x00\x07"  // last offset
      "\x00\x00\x00\x00\x00\x00\x00\x10"  // position 16
      "\x00\x00\x00\x00\x00\x00\x00\x00", // length, filled in below
      43);
  StoreBigEndian(index.data() + 35, static_cast<uint64_t>(batch.size()));
  std::string footer(4, '\0');
  footer += std::string(8, '\0') + "END!";
  StoreBigEndian(footer.data() + 4, static_cast<uint64_t>(16 + batch.size()));
  StoreBigEndian(footer.data(), Crc32c(header + batch + index));
  EXPECT_EQ(wal->Flatten(), header + batch + index + footer);
  EXPECT_EQ(builder.size(), wal->size());
}

TEST(WalFormatTest, EveryFlippedByteIsCorruption) {
  Flush flush;
  const std::string& bytes = flush.bytes;
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x01);
    std::vector<WalRange> ranges;
    EXPECT_TRUE(ParseWalIndex(damaged, &ranges).IsCorruption()) << "byte " << i;
  }
}

TEST(WalFormatTest, FlippedBodyByteFailsTheObjectAndTheRangeChecks) {
  Flush flush;
  const WalRange& range = flush.wal.ranges[2];  // orders-1
  // Inside the records of the range's second batch: framing stays intact.
  size_t at = range.position + SampleBatch(5000, 1).size() + kBatchHeaderSize + 10;
  std::string damaged = flush.bytes;
  damaged[at] = static_cast<char>(damaged[at] ^ 0x40);

  std::vector<WalRange> ranges;
  Status s = ParseWalIndex(damaged, &ranges);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_THAT(s.message(), HasSubstr("CRC32C mismatch"));

  std::vector<BatchLocation> batches;
  s = ParseWalRange(std::string_view(damaged).substr(range.position, range.length), range, &batches);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_THAT(s.message(), HasSubstr("wal range orders-1 from offset 5000"));
  EXPECT_THAT(s.message(), HasSubstr("CRC32C mismatch"));
  EXPECT_TRUE(batches.empty());  // nothing to serve from a bad range

  // The other ranges of the same object are still readable on their own.
  const WalRange& intact = flush.wal.ranges[1];
  EXPECT_TRUE(ParseWalRange(std::string_view(damaged).substr(intact.position, intact.length), intact, &batches).ok());
}

TEST(WalFormatTest, EveryTruncationIsCorruption) {
  Flush flush;
  for (size_t length = 0; length < flush.bytes.size(); ++length) {
    std::vector<WalRange> ranges;
    EXPECT_TRUE(ParseWalIndex(std::string_view(flush.bytes).substr(0, length), &ranges).IsCorruption())
        << "length " << length;
  }
  // A short ranged read is caught by its length before anything else.
  const WalRange& range = flush.wal.ranges[0];
  std::vector<BatchLocation> batches;
  Status s = ParseWalRange(flush.Slice(range).substr(0, range.length - 1), range, &batches);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_THAT(s.message(), HasSubstr(std::to_string(range.length - 1) + " bytes, the index says"));
}

TEST(WalFormatTest, HeaderAndFooterChecksNameTheProblem) {
  Flush flush;
  std::vector<WalRange> ranges;

  std::string wrong_magic = flush.bytes;
  wrong_magic[0] = 'X';
  EXPECT_THAT(ParseWalIndex(wrong_magic, &ranges).message(), HasSubstr("bad header magic"));

  std::string wrong_version = flush.bytes;
  StoreBigEndian(wrong_version.data() + 4, uint16_t{2});
  Reseal(&wrong_version);
  EXPECT_THAT(ParseWalIndex(wrong_version, &ranges).message(), HasSubstr("unsupported version 2"));

  std::string torn = flush.bytes.substr(0, flush.bytes.size() - 5);
  EXPECT_THAT(ParseWalIndex(torn, &ranges).message(), HasSubstr("footer magic"));

  std::string bad_crc = flush.bytes;
  bad_crc[kWalHeaderSize + 30] ^= 1;
  EXPECT_THAT(ParseWalIndex(bad_crc, &ranges).message(), HasSubstr("CRC32C mismatch"));

  std::string index_in_footer = flush.bytes;
  StoreBigEndian(index_in_footer.data() + index_in_footer.size() - 12,
                 static_cast<uint64_t>(index_in_footer.size() - 10));
  EXPECT_THAT(ParseWalIndex(index_in_footer, &ranges).message(), HasSubstr("index position"));

  std::string index_in_header = flush.bytes;
  StoreBigEndian(index_in_header.data() + index_in_header.size() - 12, uint64_t{8});
  EXPECT_THAT(ParseWalIndex(index_in_header, &ranges).message(), HasSubstr("index position 8"));

  EXPECT_TRUE(ranges.empty());  // never filled by a failed parse
}

TEST(WalFormatTest, IndexChecksNameTheProblem) {
  Flush flush;
  const std::string& good = flush.bytes;
  size_t index_position = LoadBigEndian<uint64_t>(good.data() + good.size() - 12);
  size_t payments = IndexEntryAt(good, 1);  // u16 length, "payments", then the fields
  size_t payments_partition = payments + 2 + 8;
  size_t payments_last = payments_partition + 12;
  size_t payments_position = payments_partition + 20;
  size_t payments_length = payments_partition + 28;
  auto parse = [](std::string object) {
    Reseal(&object);
    std::vector<WalRange> ranges;
    Status s = ParseWalIndex(object, &ranges);
    EXPECT_TRUE(s.IsCorruption());
    return s.message();
  };

  std::string past_body = good;
  StoreBigEndian(past_body.data() + payments_length, static_cast<uint64_t>(index_position));
  EXPECT_THAT(parse(past_body), HasSubstr("range 1 (payments-2 from offset 0): "));
  EXPECT_THAT(parse(past_body), HasSubstr("outside the body"));

  std::string huge_length = good;
  StoreBigEndian(huge_length.data() + payments_length, std::numeric_limits<uint64_t>::max());
  EXPECT_THAT(parse(huge_length), HasSubstr("outside the body"));

  std::string in_header = good;
  StoreBigEndian(in_header.data() + payments_position, uint64_t{4});
  EXPECT_THAT(parse(in_header), HasSubstr("outside the body"));

  std::string overlapping = good;
  StoreBigEndian(overlapping.data() + payments_position, flush.wal.ranges[1].position - 1);
  EXPECT_THAT(parse(overlapping), HasSubstr("ranges orders-0 from offset 100 and payments-2 from offset 0 overlap"));

  std::string duplicate = good;
  size_t orders1 = IndexEntryAt(good, 2);  // u16 length, "orders", then the partition
  StoreBigEndian(duplicate.data() + orders1 + 2 + 6, int32_t{0});
  EXPECT_THAT(parse(duplicate), HasSubstr("orders-0 has two ranges"));

  std::string backwards = good;
  StoreBigEndian(backwards.data() + payments_last, int64_t{-1});
  EXPECT_THAT(parse(backwards), HasSubstr("offsets 0..-1"));

  std::string no_ranges = good;
  StoreBigEndian(no_ranges.data() + index_position, int32_t{0});
  EXPECT_THAT(parse(no_ranges), HasSubstr("range count 0"));

  std::string more_ranges = good;
  StoreBigEndian(more_ranges.data() + index_position, int32_t{4});
  EXPECT_THAT(parse(more_ranges), HasSubstr("ends inside range 3 of 4"));

  std::string fewer_ranges = good;
  StoreBigEndian(fewer_ranges.data() + index_position, int32_t{2});
  EXPECT_THAT(parse(fewer_ranges), HasSubstr("bytes after the last range"));
}

TEST(WalFormatTest, RangeChecksCompareWithTheIndex) {
  Flush flush;
  const WalRange& range = flush.wal.ranges[0];  // orders-0, offsets 100..127
  std::vector<BatchLocation> batches;

  WalRange wrong_base = range;
  wrong_base.base_offset = 99;
  Status s = ParseWalRange(flush.Slice(range), wrong_base, &batches);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_THAT(s.message(), HasSubstr("wal range orders-0 from offset 99: the first batch starts at offset 100"));

  WalRange wrong_last = range;
  wrong_last.last_offset = 128;
  s = ParseWalRange(flush.Slice(range), wrong_last, &batches);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_THAT(s.message(), HasSubstr("the last batch ends at offset 127, the index says 128"));

  // Batches whose offsets do not ascend, each with a valid CRC.
  std::string out_of_order = SampleBatch(10, 2) + SampleBatch(5, 2);
  WalRange expected{"orders", 0, 10, 6, 0, out_of_order.size()};
  s = ParseWalRange(out_of_order, expected, &batches);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_THAT(s.message(), HasSubstr("holds offsets 5..6, not after offset 11"));

  // A range that starts in the middle of a batch (a wrong position).
  WalRange shifted = range;
  shifted.position += 1;
  s = ParseWalRange(std::string_view(flush.bytes).substr(shifted.position, shifted.length), shifted, &batches);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_THAT(s.message(), HasSubstr("wal range orders-0 from offset 100: "));
}

TEST(WalFormatTest, BuilderRejectsBadInput) {
  WalBuilder builder;
  EXPECT_EQ(builder.Finish(kCreatedMs).status().code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(builder.empty());
  size_t empty_size = builder.size();
  EXPECT_EQ(empty_size, kWalHeaderSize + 4 + kWalFooterSize);

  std::string truncated = SampleBatch(0, 2).substr(0, 40);
  EXPECT_EQ(builder.Add("t", 0, truncated).code(), Status::Code::kInvalidArgument);
  std::string cut_short = SampleBatch(0, 2);
  cut_short.pop_back();
  EXPECT_EQ(builder.Add("t", 0, cut_short).code(), Status::Code::kInvalidArgument);
  std::string wrong_magic = SampleBatch(0, 2);
  wrong_magic[16] = 1;
  EXPECT_EQ(builder.Add("t", 0, wrong_magic).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(builder.Add("t", 0, "").code(), Status::Code::kInvalidArgument);

  std::string batch = SampleBatch(10, 5);
  EXPECT_EQ(builder.Add("", 0, batch).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(builder.Add(std::string(65536, 't'), 0, batch).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(builder.Add("t", -1, batch).code(), Status::Code::kInvalidArgument);
  std::string negative = SampleBatch(-5, 2);
  EXPECT_EQ(builder.Add("t", 0, negative).code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(builder.empty());
  EXPECT_EQ(builder.size(), empty_size);

  ASSERT_TRUE(builder.Add("t", 0, batch).ok());
  std::string overlapping = SampleBatch(14, 2);
  Status s = builder.Add("t", 0, overlapping);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("do not follow offset 14"));
  std::string other = SampleBatch(0, 1);
  ASSERT_TRUE(builder.Add("u", 0, other).ok());
  std::string later = SampleBatch(20, 2);
  s = builder.Add("t", 0, later);  // t-0 is no longer the last range
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("t-0 already has a range"));

  // The longest topic the index can hold.
  std::string long_topic(65535, 'x');
  ASSERT_TRUE(builder.Add(long_topic, 7, later).ok());
  Result<EncodedWal> wal = builder.Finish(kCreatedMs);
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ(wal->size(), builder.size());
  std::vector<WalRange> ranges;
  ASSERT_TRUE(ParseWalIndex(wal->Flatten(), &ranges).ok());
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[2].topic, long_topic);
  EXPECT_EQ(ranges, wal->ranges);
}

TEST(WalFormatTest, ObjectKeys) {
  EXPECT_EQ(WalObjectKey("default", 3, "00000000000000000042"), "default/~wal/3/00000000000000000042.wal");
  EXPECT_EQ(WalKeyPrefix("default", 3), "default/~wal/3/");
  EXPECT_EQ(AllWalKeysPrefix("default"), "default/~wal/");
  EXPECT_TRUE(WalKeyPrefix("default", 3).starts_with(AllWalKeysPrefix("default")));
  EXPECT_TRUE(WalObjectKey("default", 3, "x").starts_with(WalKeyPrefix("default", 3)));

  ParsedWalKey parsed;
  ASSERT_TRUE(ParseWalKey(WalObjectKey("team/prod", 12, "flush-7"), &parsed));
  EXPECT_EQ(parsed.ns, "team/prod");
  EXPECT_EQ(parsed.broker_id, 12);
  EXPECT_EQ(parsed.name, "flush-7");
  ASSERT_TRUE(ParseWalKey("n/~wal/0/a.wal", &parsed));
  EXPECT_EQ(parsed.broker_id, 0);

  const char* const kNotWal[] = {
      "",
      "~wal/3/a.wal",               // no namespace
      "n/~wal/3/.wal",              // empty name
      "n/~wal/3/a.kfs",             // suffix
      "n/~wal/03/a.wal",            // leading zero
      "n/~wal/-3/a.wal",            // negative
      "n/~wal/a.wal",               // no broker
      "n/~wal/3/x/a.wal",           // name with '/'
      "n/wal/3/a.wal",              // directory
      "n/~wal/99999999999/a.wal",   // out of int32 range
      "default/orders/3/segment-00000000000000000042.kfs",
  };
  for (const char* key : kNotWal) EXPECT_FALSE(ParseWalKey(key, &parsed)) << key;

  // WAL keys never parse as segment keys, even with a segment-like name.
  ParsedSegmentKey segment;
  EXPECT_FALSE(ParseSegmentKey(WalObjectKey("default", 3, "segment-00000000000000000042"), &segment).ok());
  EXPECT_FALSE(ParseSegmentKey(WalObjectKey("default", 3, "x"), &segment).ok());
}

}  // namespace
}  // namespace kafscale
