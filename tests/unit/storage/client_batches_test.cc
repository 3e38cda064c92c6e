// Batches written by real clients (librdkafka via kcat, kafka-python) in
// every codec: they must validate and decode to what the clients were given.
#include <gtest/gtest.h>

#include "storage/client_batches.h"
#include "storage/record_batch.h"
#include "storage/segment_format.h"

namespace kafscale {
namespace {

using testing::ClientBatch;
using testing::kClientBatches;
using testing::kClientBatchRecords;

class ClientBatchTest : public ::testing::TestWithParam<ClientBatch> {};

TEST_P(ClientBatchTest, ValidatesAndDecodes) {
  const ClientBatch& client = GetParam();
  RecordsValidationOptions options;
  options.decode_records = true;
  RecordsValidation validation = ValidateProduceRecords(client.bytes, options);
  ASSERT_TRUE(validation.ok()) << validation.message;
  ASSERT_EQ(validation.batches.size(), 1u);
  const RecordBatchHeader& header = validation.batches[0].header;
  EXPECT_EQ(CompressionCodecName(header.compression()), client.codec);
  EXPECT_EQ(header.record_count, kClientBatchRecords);

  std::vector<Record> records;
  Status s = DecodeRecords(client.bytes, &records);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(records.size(), static_cast<size_t>(kClientBatchRecords));
  bool from_librdkafka = std::string_view(client.producer) == "librdkafka";
  for (int i = 0; i < kClientBatchRecords; ++i) {
    const Record& record = records[i];
    EXPECT_EQ(record.offset_delta, i);
    EXPECT_EQ(record.key, "key-" + std::to_string(i));
    EXPECT_EQ(record.value, "value-" + std::to_string(i) + "-" + std::string(20 * i, 'x'));
    RecordHeader expected_header = from_librdkafka ? RecordHeader{"source", "kcat"}
                                                   : RecordHeader{"index", std::to_string(i)};
    EXPECT_EQ(record.headers, std::vector<RecordHeader>{expected_header});
    if (!from_librdkafka) {
      EXPECT_EQ(record.timestamp_delta, i);
    }
  }
}

std::string Name(const ::testing::TestParamInfo<ClientBatch>& info) {
  return std::string(info.param.producer) + "_" + info.param.codec;
}

INSTANTIATE_TEST_SUITE_P(Clients, ClientBatchTest, ::testing::ValuesIn(kClientBatches), Name);

TEST(ClientBatchFramingTest, BothSnappyFramingsAreCovered) {
  constexpr std::string_view kXerialMagic("\x82SNAPPY\0", 8);
  for (const ClientBatch& client : kClientBatches) {
    if (std::string_view(client.codec) != "snappy") continue;
    bool xerial = client.bytes.substr(kBatchHeaderSize, kXerialMagic.size()) == kXerialMagic;
    // kafka-python frames like the Java client; librdkafka sends raw blocks.
    EXPECT_EQ(xerial, std::string_view(client.producer) == "kafka_python") << client.producer;
  }
}

// The broker's write path over real client data: validate, assign offsets,
// build a segment; then the read path: parse it and decode every batch.
TEST(ClientBatchSegmentTest, ClientBatchesRoundTripThroughASegment) {
  std::string produced;
  for (const ClientBatch& client : kClientBatches) produced += client.bytes;
  RecordsValidation validation = ValidateProduceRecords(produced);
  ASSERT_TRUE(validation.ok()) << validation.message;
  int64_t next_offset = 500;
  for (const ValidatedBatch& batch : validation.batches) {
    SetBaseOffset(produced.data() + batch.position, next_offset);
    next_offset += batch.header.last_offset_delta + 1;
  }
  SegmentBuilder builder(/*index_interval=*/30);
  ASSERT_TRUE(builder.Add(produced).ok());
  Result<EncodedSegment> encoded = builder.Finish(1700000000000);
  ASSERT_TRUE(encoded.ok());
  std::string bytes = encoded->Flatten();

  SegmentView segment;
  ASSERT_TRUE(ParseSegment(bytes, &segment).ok());
  EXPECT_EQ(segment.base_offset, 500);
  EXPECT_EQ(segment.last_offset, next_offset - 1);
  ASSERT_EQ(segment.batches.size(), std::size(kClientBatches));
  for (size_t i = 0; i < segment.batches.size(); ++i) {
    EXPECT_EQ(segment.batches[i].base_offset, 500 + static_cast<int64_t>(i) * kClientBatchRecords);
    std::vector<Record> records;
    ASSERT_TRUE(DecodeRecords(segment.Batch(i), &records).ok()) << i;
    EXPECT_EQ(records.size(), static_cast<size_t>(kClientBatchRecords));
  }
  IndexView index;
  ASSERT_TRUE(ParseIndex(encoded->index, &index).ok());
  size_t holder = segment.FindBatch(555);
  EXPECT_EQ(holder, 4u);
  EXPECT_LE(static_cast<size_t>(index.FindPosition(555)), segment.batches[holder].position);
}

}  // namespace
}  // namespace kafscale
