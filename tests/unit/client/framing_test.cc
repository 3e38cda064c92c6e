#include "client/framing.h"

#include <gtest/gtest.h>

#include "client/cluster_client.h"
#include "client/fetched_batches.h"
#include "client/kafka_error.h"
#include "protocol/messages/metadata_request.h"
#include "protocol/messages/metadata_response.h"
#include "protocol/messages/request_header.h"
#include "protocol/messages/response_header.h"

namespace kafscale::client {
namespace {

std::shared_ptr<const std::string> Shared(std::string bytes) {
  return std::make_shared<const std::string>(std::move(bytes));
}

TEST(FramingTest, RequestFrameHasSizeHeaderAndBody) {
  kafka::MetadataRequest request;
  kafka::MetadataRequest::MetadataRequestTopic topic;
  topic.name = "orders";
  request.topics->push_back(topic);
  const int16_t version = 12;
  const std::string frame = EncodeRequestFrame(request, version, 42, "tool");

  Result<int32_t> size = ParseFrameSize(frame);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(static_cast<size_t>(*size), frame.size() - 4);

  kafka::Reader reader(Shared(frame.substr(4)));
  kafka::RequestHeader header;
  header.Decode(reader, kafka::RequestHeaderVersion(kafka::MetadataRequest::kApiKey, version));
  EXPECT_EQ(header.request_api_key, kafka::MetadataRequest::kApiKey);
  EXPECT_EQ(header.request_api_version, version);
  EXPECT_EQ(header.correlation_id, 42);
  EXPECT_EQ(header.client_id, "tool");
  kafka::MetadataRequest decoded;
  decoded.Decode(reader, version);
  EXPECT_EQ(decoded, request);
  EXPECT_EQ(reader.remaining(), 0u);
}

TEST(FramingTest, FrameSizeBoundsAreChecked) {
  EXPECT_FALSE(ParseFrameSize(std::string("\x00\x00", 2)).ok());
  EXPECT_FALSE(ParseFrameSize(std::string("\xff\xff\xff\xff", 4)).ok());
  EXPECT_FALSE(ParseFrameSize(std::string("\x7f\x00\x00\x00", 4)).ok());
  Result<int32_t> size = ParseFrameSize(std::string("\x00\x00\x01\x02", 4));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 258);
}

std::string EncodeResponse(const kafka::MetadataResponse& response, int16_t version, int32_t correlation_id) {
  kafka::Writer writer;
  kafka::ResponseHeader header;
  header.correlation_id = correlation_id;
  header.Encode(writer, kafka::ResponseHeaderVersion(kafka::MetadataResponse::kApiKey, version));
  response.Encode(writer, version);
  return writer.FinishFlat();
}

TEST(FramingTest, ResponseDecodesWhenCorrelationMatches) {
  kafka::MetadataResponse response;
  kafka::MetadataResponse::MetadataResponseBroker broker;
  broker.node_id = 7;
  broker.host = "b7";
  broker.port = 9092;
  response.brokers.push_back(broker);
  for (int16_t version : {1, 9, 12}) {
    Result<kafka::MetadataResponse> decoded =
        DecodeResponseFrame<kafka::MetadataResponse>(Shared(EncodeResponse(response, version, 5)), version, 5);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    ASSERT_EQ(decoded->brokers.size(), 1u);
    EXPECT_EQ(decoded->brokers[0].host, "b7");
  }
}

TEST(FramingTest, ResponseWithOtherCorrelationIdIsRejected) {
  Result<kafka::MetadataResponse> decoded =
      DecodeResponseFrame<kafka::MetadataResponse>(Shared(EncodeResponse({}, 12, 6)), 12, 5);
  ASSERT_FALSE(decoded.ok());
  EXPECT_TRUE(decoded.status().IsCorruption());
  EXPECT_NE(decoded.status().message().find("correlation"), std::string::npos);
}

TEST(FramingTest, TruncatedResponseIsCorruption) {
  std::string bytes = EncodeResponse({}, 12, 5);
  bytes.resize(bytes.size() - 2);
  Result<kafka::MetadataResponse> decoded = DecodeResponseFrame<kafka::MetadataResponse>(Shared(bytes), 12, 5);
  ASSERT_FALSE(decoded.ok());
  EXPECT_TRUE(decoded.status().IsCorruption());
}

TEST(BootstrapTest, ParsesListsAndIpv6) {
  Result<std::vector<HostPort>> servers = ParseBootstrapServers("a:1,b.example:9092,[::1]:9093");
  ASSERT_TRUE(servers.ok());
  EXPECT_EQ(*servers, (std::vector<HostPort>{{"a", 1}, {"b.example", 9092}, {"::1", 9093}}));
}

TEST(BootstrapTest, RejectsMalformedEntries) {
  for (const char* bad : {"", "host", "host:", ":9092", "host:0", "host:65536", "host:12x", "a:1,", "[::1]9092"}) {
    EXPECT_FALSE(ParseBootstrapServers(bad).ok()) << bad;
  }
}

TEST(KafkaErrorTest, MapsCodesToStatus) {
  EXPECT_TRUE(KafkaErrorStatus(0, "x").ok());
  EXPECT_TRUE(KafkaErrorStatus(3, "x").IsNotFound());
  EXPECT_TRUE(KafkaErrorStatus(36, "x").IsAlreadyExists());
  EXPECT_TRUE(KafkaErrorStatus(6, "x").IsRetriable());
  const Status invalid = KafkaErrorStatus(40, "creating t", std::string("bad value"));
  EXPECT_FALSE(invalid.IsRetriable());
  EXPECT_EQ(invalid.message(), "creating t: INVALID_CONFIG: bad value");
}

TEST(FetchedBatchesTest, DropsTrailingPartialBatch) {
  Record record;
  record.value = "v";
  record.timestamp_delta = 5;
  BatchBuilderOptions options;
  options.base_timestamp = 1000;
  std::string data = EncodeBatch(options, {record});
  options.base_offset = 1;
  const std::string second = EncodeBatch(options, {record});
  data += second;
  data += second.substr(0, second.size() - 1);
  const std::vector<FetchedBatch> batches = SplitFetchedBatches(data);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].header.base_offset, 1);
  EXPECT_EQ(RecordTimestamp(batches[0].header, record), 1005);
}

}  // namespace
}  // namespace kafscale::client
