#include "storage/record_batch.h"

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
using testing::SampleRecords;

// Recomputes the CRC after a test edits covered bytes, so the edit is seen
// as the producer's intent rather than as damage.
void RewriteCrc(std::string* batch) {
  StoreBigEndian(batch->data() + kBatchCrcOffset, Crc32c(std::string_view(*batch).substr(kBatchAttributesOffset)));
}

template <typename T>
void Patch(std::string* batch, size_t at, T value) {
  StoreBigEndian(batch->data() + at, value);
  RewriteCrc(batch);
}

RecordsValidation Validate(std::string_view data, bool decode_records = false) {
  RecordsValidationOptions options;
  options.decode_records = decode_records;
  return ValidateProduceRecords(data, options);
}

void ExpectError(const RecordsValidation& result, RecordsError error, const std::string& text) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(*result.error, error) << result.message;
  EXPECT_THAT(result.message, HasSubstr(text));
}

struct CodecCase {
  CompressionCodec codec;
  SnappyFraming framing;
};

class RecordBatchCodecTest : public ::testing::TestWithParam<CodecCase> {};

TEST_P(RecordBatchCodecTest, EncodeDecodeRoundTrip) {
  BatchBuilderOptions options;
  options.base_offset = 0;
  options.partition_leader_epoch = 7;
  options.compression = GetParam().codec;
  options.snappy_framing = GetParam().framing;
  options.base_timestamp = 1700000000123;
  options.producer_id = 4242;
  options.producer_epoch = 3;
  options.base_sequence = 17;
  std::vector<Record> records = SampleRecords(50);
  std::string batch = EncodeBatch(options, records);

  RecordBatchHeader header;
  ASSERT_TRUE(ParseBatchHeader(batch, &header).ok());
  EXPECT_EQ(header.total_size(), batch.size());
  EXPECT_EQ(header.partition_leader_epoch, 7);
  EXPECT_EQ(header.magic, 2);
  EXPECT_EQ(header.compression(), GetParam().codec);
  EXPECT_EQ(header.timestamp_type(), TimestampType::kCreateTime);
  EXPECT_FALSE(header.is_transactional());
  EXPECT_FALSE(header.is_control());
  EXPECT_EQ(header.last_offset_delta, 49);
  EXPECT_EQ(header.base_timestamp, 1700000000123);
  EXPECT_EQ(header.max_timestamp, 1700000000123 + 49 * 3);
  EXPECT_EQ(header.producer_id, 4242);
  EXPECT_EQ(header.producer_epoch, 3);
  EXPECT_EQ(header.base_sequence, 17);
  EXPECT_EQ(header.record_count, 50);

  std::vector<Record> decoded;
  Status s = DecodeRecords(batch, &decoded);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(decoded, records);

  RecordsValidation validation = Validate(batch, /*decode_records=*/true);
  ASSERT_TRUE(validation.ok()) << validation.message;
  ASSERT_EQ(validation.batches.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(AllCodecs, RecordBatchCodecTest,
                         ::testing::Values(CodecCase{CompressionCodec::kNone, SnappyFraming::kRaw},
                                           CodecCase{CompressionCodec::kGzip, SnappyFraming::kRaw},
                                           CodecCase{CompressionCodec::kSnappy, SnappyFraming::kRaw},
                                           CodecCase{CompressionCodec::kSnappy, SnappyFraming::kXerial},
                                           CodecCase{CompressionCodec::kLz4, SnappyFraming::kRaw},
                                           CodecCase{CompressionCodec::kZstd, SnappyFraming::kRaw}));

TEST(RecordBatchTest, GoldenBytesOfOneRecord) {
  // One record, key null, value "a", no headers, every field written out by
  // hand from the Kafka protocol documentation.
  BatchBuilderOptions options;
  options.base_offset = 5;
  options.base_timestamp = 0x0102030405;
  Record record;
  record.value = "a";
  std::string batch = EncodeBatch(options, {record});
  const std::string record_bytes = std::string(
      "\x0e"       // record length 7 (zigzag)
      "\x00"       // attributes
      "\x00"       // timestamp delta 0
      "\x00"       // offset delta 0
      "\x01"       // key length -1 (null)
      "\x02"       // value length 1
      "a"          // value
      "\x00",      // header count 0
      8);
  std::string expected = std::string(
      "\x00\x00\x00\x00\x00\x00\x00\x05"  // base offset
      "\x00\x00\x00\x39"                  // batch length 49 + 8
      "\xff\xff\xff\xff"                  // partition leader epoch -1
      "\x02"                              // magic
      "CRC!"                              // CRC, checked below
      "\x00\x00"                          // attributes
      "\x00\x00\x00\x00"                  // last offset delta
      "\x00\x00\x00\x01\x02\x03\x04\x05"  // base timestamp
      "\x00\x00\x00\x01\x02\x03\x04\x05"  // max timestamp
      "\xff\xff\xff\xff\xff\xff\xff\xff"  // producer id -1
      "\xff\xff"                          // producer epoch -1
      "\xff\xff\xff\xff"                  // base sequence -1
      "\x00\x00\x00\x01",                 // record count
      61) + record_bytes;
  StoreBigEndian(expected.data() + 17, Crc32c(std::string_view(expected).substr(21)));
  EXPECT_EQ(batch, expected);
}

TEST(RecordBatchTest, HeaderFlagsFromAttributes) {
  BatchBuilderOptions options;
  options.timestamp_type = TimestampType::kLogAppendTime;
  options.transactional = true;
  options.control = true;
  options.compression = CompressionCodec::kLz4;
  RecordBatchHeader header;
  ASSERT_TRUE(ParseBatchHeader(EncodeBatch(options, SampleRecords(1)), &header).ok());
  EXPECT_EQ(header.attributes, 0x3B);
  EXPECT_EQ(header.compression(), CompressionCodec::kLz4);
  EXPECT_EQ(header.timestamp_type(), TimestampType::kLogAppendTime);
  EXPECT_TRUE(header.is_transactional());
  EXPECT_TRUE(header.is_control());
}

TEST(RecordBatchTest, ParseBatchHeaderNeedsWholeHeader) {
  RecordBatchHeader header;
  EXPECT_TRUE(ParseBatchHeader(std::string(60, '\0'), &header).IsCorruption());
}

TEST(RecordBatchTest, ValidatesConcatenatedBatches) {
  std::string first = SampleBatch(0, 3);
  std::string second = SampleBatch(0, 10, CompressionCodec::kZstd);
  std::string third = SampleBatch(0, 1, CompressionCodec::kGzip);
  RecordsValidation result = Validate(first + second + third);
  ASSERT_TRUE(result.ok()) << result.message;
  ASSERT_EQ(result.batches.size(), 3u);
  EXPECT_EQ(result.batches[0].position, 0u);
  EXPECT_EQ(result.batches[0].size, first.size());
  EXPECT_EQ(result.batches[1].position, first.size());
  EXPECT_EQ(result.batches[1].size, second.size());
  EXPECT_EQ(result.batches[1].header.record_count, 10);
  EXPECT_EQ(result.batches[2].position, first.size() + second.size());
  EXPECT_EQ(result.batches[2].header.compression(), CompressionCodec::kGzip);
}

TEST(RecordBatchTest, EmptyDataHasNoBatches) {
  RecordsValidation result = Validate("");
  EXPECT_TRUE(result.ok());
  EXPECT_TRUE(result.batches.empty());
}

TEST(RecordBatchTest, EveryFlippedByteIsCaughtExceptUncoveredFields) {
  const std::string batch = SampleBatch(0, 4);
  for (size_t i = 0; i < batch.size(); ++i) {
    std::string damaged = batch;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x40);
    RecordsValidation result = Validate(damaged);
    // The CRC leaves base offset and partition leader epoch uncovered, by design.
    bool uncovered = i < 8 || (i >= 12 && i < 16);
    if (uncovered) {
      EXPECT_TRUE(result.ok()) << "byte " << i;
    } else {
      ASSERT_FALSE(result.ok()) << "byte " << i;
      EXPECT_EQ(*result.error, RecordsError::kCorruptMessage) << "byte " << i << ": " << result.message;
    }
  }
}

TEST(RecordBatchTest, CrcMismatchIsNamed) {
  std::string batch = SampleBatch(0, 4);
  batch.back() ^= 1;
  ExpectError(Validate(batch), RecordsError::kCorruptMessage, "CRC32C mismatch");
  std::vector<Record> records;
  EXPECT_TRUE(DecodeRecords(batch, &records).IsCorruption());
}

TEST(RecordBatchTest, EveryTruncationIsCorrupt) {
  const std::string good = SampleBatch(0, 2);
  const std::string batch = SampleBatch(0, 5, CompressionCodec::kSnappy);
  for (size_t length = 1; length < batch.size(); ++length) {
    RecordsValidation alone = Validate(std::string_view(batch).substr(0, length));
    ASSERT_FALSE(alone.ok()) << "length " << length;
    EXPECT_EQ(*alone.error, RecordsError::kCorruptMessage) << "length " << length;
    RecordsValidation after_good = Validate(good + batch.substr(0, length));
    ASSERT_FALSE(after_good.ok()) << "length " << length;
    EXPECT_EQ(*after_good.error, RecordsError::kCorruptMessage);
    EXPECT_THAT(after_good.message, HasSubstr("batch at byte " + std::to_string(good.size())));
  }
  ExpectError(Validate(batch.substr(0, 30)), RecordsError::kCorruptMessage, "truncated");
  ExpectError(Validate(batch.substr(0, batch.size() - 1)), RecordsError::kCorruptMessage, "exceeds");
}

TEST(RecordBatchTest, BatchLengthSmallerThanHeaderIsCorrupt) {
  std::string batch = SampleBatch(0, 2);
  StoreBigEndian(batch.data() + 8, int32_t{48});
  ExpectError(Validate(batch), RecordsError::kCorruptMessage, "smaller than the batch header");
  StoreBigEndian(batch.data() + 8, int32_t{-5});
  ExpectError(Validate(batch), RecordsError::kCorruptMessage, "smaller than the batch header");
}

TEST(RecordBatchTest, OldMagicIsCorrupt) {
  for (int8_t magic : {int8_t{0}, int8_t{1}, int8_t{3}}) {
    std::string batch = SampleBatch(0, 2);
    batch[16] = static_cast<char>(magic);
    ExpectError(Validate(batch), RecordsError::kCorruptMessage, "magic " + std::to_string(magic));
  }
}

TEST(RecordBatchTest, HeaderRuleViolationsAreInvalidRecord) {
  std::string batch = SampleBatch(0, 3);

  std::string wrong_delta = batch;
  Patch(&wrong_delta, 23, int32_t{5});
  ExpectError(Validate(wrong_delta), RecordsError::kInvalidRecord, "last_offset_delta 5");

  std::string no_records = batch;
  Patch(&no_records, 57, int32_t{0});
  ExpectError(Validate(no_records), RecordsError::kInvalidRecord, "record_count 0");

  std::string negative_count = batch;
  Patch(&negative_count, 57, int32_t{-1});
  ExpectError(Validate(negative_count), RecordsError::kInvalidRecord, "record_count -1");

  std::string unknown_codec = batch;
  Patch(&unknown_codec, 21, int16_t{6});
  ExpectError(Validate(unknown_codec), RecordsError::kInvalidRecord, "unknown compression codec");

  BatchBuilderOptions control;
  control.control = true;
  ExpectError(Validate(EncodeBatch(control, SampleRecords(1))), RecordsError::kInvalidRecord,
              "control batch from a non-transactional producer");

  BatchBuilderOptions transactional;
  transactional.transactional = true;
  ExpectError(Validate(EncodeBatch(transactional, SampleRecords(1))), RecordsError::kInvalidRecord,
              "transactional batch without a producer id");

  BatchBuilderOptions idempotent;
  idempotent.producer_id = 9;
  idempotent.base_sequence = -1;
  ExpectError(Validate(EncodeBatch(idempotent, SampleRecords(1))), RecordsError::kInvalidRecord,
              "negative base_sequence");

  transactional.producer_id = 9;
  transactional.producer_epoch = 0;
  transactional.base_sequence = 0;
  EXPECT_TRUE(Validate(EncodeBatch(transactional, SampleRecords(2))).ok());
  transactional.control = true;
  EXPECT_TRUE(Validate(EncodeBatch(transactional, SampleRecords(1))).ok());
}

TEST(RecordBatchTest, RecordCountMismatchFoundWhenDecoding) {
  for (CompressionCodec codec : {CompressionCodec::kNone, CompressionCodec::kLz4}) {
    std::string batch = SampleBatch(0, 3, codec);
    // Claim 4 records while 3 are there: the header alone looks fine.
    StoreBigEndian(batch.data() + 23, int32_t{3});
    Patch(&batch, 57, int32_t{4});
    EXPECT_TRUE(Validate(batch).ok());
    ExpectError(Validate(batch, /*decode_records=*/true), RecordsError::kInvalidRecord, "record count mismatch");
    std::vector<Record> records;
    EXPECT_EQ(DecodeRecords(batch, &records).code(), Status::Code::kInvalidArgument);

    // And the other way round: more records than claimed.
    std::string fewer = SampleBatch(0, 3, codec);
    StoreBigEndian(fewer.data() + 23, int32_t{1});
    Patch(&fewer, 57, int32_t{2});
    ExpectError(Validate(fewer, /*decode_records=*/true), RecordsError::kInvalidRecord, "record count mismatch");
  }
}

TEST(RecordBatchTest, NonSequentialOffsetDeltasAreInvalidWhenDecoding) {
  std::vector<Record> records = SampleRecords(3);
  records[1].offset_delta = 5;
  records[2].offset_delta = 2;
  std::string batch = EncodeBatch({}, records);
  EXPECT_TRUE(Validate(batch).ok());
  ExpectError(Validate(batch, /*decode_records=*/true), RecordsError::kInvalidRecord, "offset delta 5");
}

TEST(RecordBatchTest, MalformedRecordsAreInvalidRecord) {
  std::string batch = SampleBatch(0, 1);
  // The first record's length varint sits right after the header; claim
  // far more bytes than there are.
  batch[kBatchHeaderSize] = '\x7e';
  RewriteCrc(&batch);
  ExpectError(Validate(batch, /*decode_records=*/true), RecordsError::kInvalidRecord, "malformed record");
  std::vector<Record> records;
  EXPECT_EQ(DecodeRecords(batch, &records).code(), Status::Code::kInvalidArgument);
}

TEST(RecordBatchTest, UndecompressableRecordsAreCorrupt) {
  std::string batch = SampleBatch(0, 20, CompressionCodec::kZstd);
  batch[kBatchHeaderSize] ^= 0x55;  // breaks the zstd frame magic
  RewriteCrc(&batch);
  EXPECT_TRUE(Validate(batch).ok());
  ExpectError(Validate(batch, /*decode_records=*/true), RecordsError::kCorruptMessage, "zstd");
}

TEST(RecordBatchTest, DecompressionLimitIsInvalidRecord) {
  std::vector<Record> records = SampleRecords(1);
  records[0].value = std::string(100000, 'z');
  BatchBuilderOptions options;
  options.compression = CompressionCodec::kGzip;
  std::string batch = EncodeBatch(options, records);
  RecordsValidationOptions validation;
  validation.decode_records = true;
  validation.max_decompressed_batch_bytes = 50000;
  ExpectError(ValidateProduceRecords(batch, validation), RecordsError::kInvalidRecord, "exceeds the limit");
}

TEST(RecordBatchTest, SetBaseOffsetKeepsBatchValid) {
  std::string batch = SampleBatch(0, 3);
  SetBaseOffset(batch.data(), 1234567890123);
  EXPECT_EQ(GetBaseOffset(batch.data()), 1234567890123);
  RecordsValidation result = Validate(batch, /*decode_records=*/true);
  ASSERT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(result.batches[0].header.base_offset, 1234567890123);
  EXPECT_EQ(result.batches[0].header.last_offset(), 1234567890125);
}

TEST(RecordBatchTest, ScanBatchesReportsOffsetsAndPositions) {
  std::string first = SampleBatch(100, 3);
  std::string second = SampleBatch(103, 7, CompressionCodec::kSnappy);
  std::string data = first + second;
  std::vector<BatchLocation> locations;
  ASSERT_TRUE(ScanBatches(data, &locations).ok());
  ASSERT_EQ(locations.size(), 2u);
  EXPECT_EQ(locations[0].position, 0u);
  EXPECT_EQ(locations[0].base_offset, 100);
  EXPECT_EQ(locations[0].last_offset, 102);
  EXPECT_EQ(locations[1].position, first.size());
  EXPECT_EQ(locations[1].size, second.size());
  EXPECT_EQ(locations[1].base_offset, 103);
  EXPECT_EQ(locations[1].last_offset, 109);
  EXPECT_EQ(locations[1].record_count, 7);

  locations.clear();
  Status s = ScanBatches(std::string_view(data).substr(0, data.size() - 3), &locations);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_THAT(s.message(), HasSubstr("batch at byte " + std::to_string(first.size())));
  EXPECT_EQ(locations.size(), 1u);
}

TEST(RecordBatchTest, CheckedBatchesCrcEqualsCrc32c) {
  const std::string large = LargeBatch(3, 8);
  ASSERT_GE(large.size(), 4096u);
  const std::string data = SampleBatch(0, 3) + large + LargeBatch(11, 5) + SampleBatch(16, 2);
  const std::string_view all(data);
  // Whole batches, a truncated last batch, one large batch, nothing.
  for (std::string_view bytes : {all, all.substr(0, all.size() - 5), std::string_view(large), std::string_view()}) {
    for (uint32_t crc : {0u, 0xDEADBEEFu}) EXPECT_EQ(CheckedBatchesCrc32c(bytes, crc), Crc32c(bytes, crc));
  }
}

TEST(RecordBatchTest, CheckedBatchesCrcExposesABatchDamagedAfterItsCheck) {
  std::string large = LargeBatch(0, 8);
  ASSERT_TRUE(VerifyBatchCrc(large, 0).ok());
  large[large.size() / 2] ^= 0x10;
  EXPECT_NE(CheckedBatchesCrc32c(large), Crc32c(large));
}

}  // namespace
}  // namespace kafscale
