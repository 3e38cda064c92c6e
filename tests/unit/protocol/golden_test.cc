// Golden bytes: frames captured from real clients (kcat / librdkafka 2.0.2,
// kafka-python 2.0.2, @platformatic/kafka 1.35.0) talking to a socket
// listener, responses captured from librdkafka 2.0.2's mock broker, and the
// ProduceRequest v0 hex example from the Perl Kafka client's test suite
// (metacpan Kafka, t/06_decode_encode.t). Each must decode to the expected
// fields and re-encode to the identical bytes.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "protocol/hex.h"
#include "protocol/messages/api_registry.h"
#include "protocol/messages/api_versions_request.h"
#include "protocol/messages/api_versions_response.h"
#include "protocol/messages/consumer_protocol_subscription.h"
#include "protocol/messages/create_topics_request.h"
#include "protocol/messages/fetch_request.h"
#include "protocol/messages/fetch_response.h"
#include "protocol/messages/find_coordinator_request.h"
#include "protocol/messages/join_group_request.h"
#include "protocol/messages/metadata_request.h"
#include "protocol/messages/metadata_response.h"
#include "protocol/messages/produce_request.h"
#include "protocol/messages/produce_response.h"
#include "protocol/messages/request_header.h"
#include "protocol/messages/response_header.h"

namespace kafscale::kafka {
namespace {

using testing::BytesToHex;
using testing::HexToBytes;
using testing::SharedHex;

template <typename Body>
struct Decoded {
  std::shared_ptr<const std::string> frame;  // owns the bytes records point into
  int16_t api_version = 0;
  RequestHeader header;
  Body body;
};

// Decodes a size-prefixed request frame the way the broker will: peek the
// API key and version, pick the header version, decode header and body.
// Expects all bytes consumed and an identical re-encoding.
template <typename Body>
Decoded<Body> DecodeRequestFrame(std::string_view hex) {
  Decoded<Body> out;
  out.frame = SharedHex(hex);
  Reader r(out.frame);
  const int32_t size = r.ReadInt32("size");
  EXPECT_EQ(static_cast<size_t>(size), r.remaining());
  Reader peek = r;
  const int16_t api_key = peek.ReadInt16("api_key");
  out.api_version = peek.ReadInt16("api_version");
  EXPECT_EQ(api_key, Body::kApiKey);
  const int16_t header_version = RequestHeaderVersion(api_key, out.api_version);
  out.header.Decode(r, header_version);
  out.body.Decode(r, out.api_version);
  EXPECT_EQ(r.remaining(), 0u);

  Writer w;
  out.header.Encode(w, header_version);
  out.body.Encode(w, out.api_version);
  EXPECT_EQ(BytesToHex(w.FinishFlat()), BytesToHex(std::string_view(*out.frame).substr(4)));
  return out;
}

// As DecodeRequestFrame, for a response to API `Body` at `version`. Decoded
// records keep the frame alive through their slices.
template <typename Body>
std::pair<ResponseHeader, Body> DecodeResponseFrame(std::string_view hex, int16_t version) {
  auto frame = SharedHex(hex);
  Reader r(frame);
  const int32_t size = r.ReadInt32("size");
  EXPECT_EQ(static_cast<size_t>(size), r.remaining());
  const int16_t header_version = ResponseHeaderVersion(Body::kApiKey, version);
  ResponseHeader header;
  header.Decode(r, header_version);
  Body body;
  body.Decode(r, version);
  EXPECT_EQ(r.remaining(), 0u);

  Writer w;
  header.Encode(w, header_version);
  body.Encode(w, version);
  EXPECT_EQ(BytesToHex(w.FinishFlat()), BytesToHex(std::string_view(*frame).substr(4)));
  return {header, body};
}

TEST(GoldenTest, KcatApiVersionsV3) {
  auto request = DecodeRequestFrame<ApiVersionsRequest>(
      "00000024" "0012" "0003" "00000001" "0007" "72646b61666b61" "00"
      "0b" "6c696272646b61666b61" "06" "322e302e32" "00");
  EXPECT_EQ(request.api_version, 3);
  EXPECT_EQ(request.header.correlation_id, 1);
  EXPECT_EQ(request.header.client_id, "rdkafka");  // classic string in a v2 header
  EXPECT_EQ(request.body.client_software_name, "librdkafka");
  EXPECT_EQ(request.body.client_software_version, "2.0.2");
}

TEST(GoldenTest, KafkaPythonApiVersionsV0) {
  auto request = DecodeRequestFrame<ApiVersionsRequest>(
      "0000001c" "0012" "0000" "00000001" "0012" "6b61666b612d707974686f6e2d322e302e32");
  EXPECT_EQ(request.api_version, 0);
  EXPECT_EQ(request.header.client_id, "kafka-python-2.0.2");
  EXPECT_EQ(request.body, ApiVersionsRequest());
}

TEST(GoldenTest, KcatMetadataV4) {
  auto request = DecodeRequestFrame<MetadataRequest>(
      "0000001f" "0003" "0004" "00000002" "0007" "72646b61666b61"
      "00000001" "0007" "6d79746f706963" "01");
  EXPECT_EQ(request.api_version, 4);
  ASSERT_TRUE(request.body.topics.has_value());
  ASSERT_EQ(request.body.topics->size(), 1u);
  EXPECT_EQ((*request.body.topics)[0].name, "mytopic");
  EXPECT_TRUE(request.body.allow_auto_topic_creation);
}

TEST(GoldenTest, PlatformaticMetadataV12) {
  auto request = DecodeRequestFrame<MetadataRequest>(
      "0000002e" "0003" "000c" "00000002" "0006" "676f6c64656e" "00"
      "02" "00000000000000000000000000000000" "08" "6d79746f706963" "00"
      "00" "01" "00");
  EXPECT_EQ(request.api_version, 12);
  EXPECT_EQ(request.header.client_id, "golden");
  ASSERT_EQ(request.body.topics->size(), 1u);
  EXPECT_TRUE((*request.body.topics)[0].topic_id.IsZero());
  EXPECT_EQ((*request.body.topics)[0].name, "mytopic");
  EXPECT_FALSE(request.body.allow_auto_topic_creation);
  EXPECT_TRUE(request.body.include_topic_authorized_operations);
}

constexpr std::string_view kKcatRecordBatch =
    "0000000000000000" "00000041" "00000000" "02" "fd5c9b56" "0000" "00000000"
    "000001a21780f1fa" "000001a21780f1fa" "ffffffffffffffff" "ffff" "ffffffff"
    "00000001" "1e000000086b6579310a68656c6c6f00";

TEST(GoldenTest, KcatProduceV7RecordsAreNotCopied) {
  auto request = DecodeRequestFrame<ProduceRequest>(
      "0000007f" "0000" "0007" "00000003" "0007" "72646b61666b61"
      "ffff" "ffff" "00007530" "00000001" "0007" "6d79746f706963"
      "00000001" "00000000" "0000004d" + std::string(kKcatRecordBatch));
  const ProduceRequest& body = request.body;
  EXPECT_EQ(body.transactional_id, std::nullopt);
  EXPECT_EQ(body.acks, -1);
  EXPECT_EQ(body.timeout_ms, 30000);
  ASSERT_EQ(body.topic_data.size(), 1u);
  EXPECT_EQ(body.topic_data[0].name, "mytopic");
  ASSERT_EQ(body.topic_data[0].partition_data.size(), 1u);
  const auto& partition = body.topic_data[0].partition_data[0];
  EXPECT_EQ(partition.index, 0);
  ASSERT_TRUE(partition.records.has_value());
  EXPECT_EQ(partition.records->Flatten(), HexToBytes(kKcatRecordBatch));
  ASSERT_EQ(partition.records->slices.size(), 1u);
  const SharedSlice& slice = partition.records->slices[0];
  EXPECT_EQ(slice.owner, request.frame);
  EXPECT_EQ(slice.bytes.data(), request.frame->data() + request.frame->size() - 77);
}

TEST(GoldenTest, PerlClientExampleProduceV0) {
  // ProduceRequest v0 with an empty client ID and a magic-0 message set.
  auto request = DecodeRequestFrame<ProduceRequest>(
      "00000049" "0000" "0000" "00000004" "0000" "0000" "000005dc" "00000001"
      "0007" "6d79746f706963" "00000001" "00000000" "00000020"
      "0000000000000000" "00000014" "8dc795a2" "00" "00" "ffffffff" "00000006" "48656c6c6f21");
  EXPECT_EQ(request.header.correlation_id, 4);
  EXPECT_EQ(request.header.client_id, "");
  EXPECT_EQ(request.body.acks, 0);
  EXPECT_EQ(request.body.timeout_ms, 1500);
  EXPECT_EQ(request.body.topic_data[0].partition_data[0].records->size(), 32u);
}

TEST(GoldenTest, KcatFindCoordinatorV2) {
  auto request = DecodeRequestFrame<FindCoordinatorRequest>(
      "0000001b" "000a" "0002" "00000003" "0007" "72646b61666b61" "0007" "6d7967726f7570" "00");
  EXPECT_EQ(request.body.key, "mygroup");
  EXPECT_EQ(request.body.key_type, 0);
}

TEST(GoldenTest, KcatJoinGroupV5WithConsumerSubscription) {
  constexpr std::string_view kSubscription =
      "0001" "00000001" "0007" "6d79746f706963" "00000000" "00000000";
  auto request = DecodeRequestFrame<JoinGroupRequest>(
      "0000007d" "000b" "0005" "00000003" "0007" "72646b61666b61"
      "0007" "6d7967726f7570" "0000afc8" "000493e0" "0000" "ffff" "0008" "636f6e73756d6572"
      "00000002" "0005" "72616e6765" "00000017" + std::string(kSubscription) +
      "000a" "726f756e64726f62696e" "00000017" + std::string(kSubscription));
  const JoinGroupRequest& body = request.body;
  EXPECT_EQ(body.group_id, "mygroup");
  EXPECT_EQ(body.session_timeout_ms, 45000);
  EXPECT_EQ(body.rebalance_timeout_ms, 300000);
  EXPECT_EQ(body.member_id, "");
  EXPECT_EQ(body.group_instance_id, std::nullopt);
  EXPECT_EQ(body.protocol_type, "consumer");
  ASSERT_EQ(body.protocols.size(), 2u);
  EXPECT_EQ(body.protocols[0].name, "range");
  EXPECT_EQ(body.protocols[1].name, "roundrobin");

  // The protocol metadata is a version-prefixed ConsumerProtocolSubscription.
  auto metadata = std::make_shared<const std::string>(body.protocols[0].metadata);
  Reader r(metadata);
  const int16_t version = r.ReadInt16("version");
  EXPECT_EQ(version, 1);
  ConsumerProtocolSubscription subscription;
  subscription.Decode(r, version);
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_EQ(subscription.topics, std::vector<std::string>{"mytopic"});
  EXPECT_EQ(subscription.user_data, std::string());
  EXPECT_TRUE(subscription.owned_partitions.empty());
}

TEST(GoldenTest, KcatFetchV11) {
  auto request = DecodeRequestFrame<FetchRequest>(
      "0000005d" "0001" "000b" "00000004" "0007" "72646b61666b61"
      "ffffffff" "000001f4" "00000001" "03200000" "01" "00000000" "ffffffff"
      "00000001" "0007" "6d79746f706963" "00000001"
      "00000000" "ffffffff" "0000000000000000" "ffffffffffffffff" "00100000"
      "00000000" "0000");
  const FetchRequest& body = request.body;
  EXPECT_EQ(body.replica_id, -1);
  EXPECT_EQ(body.max_wait_ms, 500);
  EXPECT_EQ(body.min_bytes, 1);
  EXPECT_EQ(body.max_bytes, 52428800);
  EXPECT_EQ(body.isolation_level, 1);  // librdkafka defaults to read_committed
  EXPECT_EQ(body.session_epoch, -1);
  ASSERT_EQ(body.topics.size(), 1u);
  EXPECT_EQ(body.topics[0].topic, "mytopic");
  ASSERT_EQ(body.topics[0].partitions.size(), 1u);
  EXPECT_EQ(body.topics[0].partitions[0].current_leader_epoch, -1);
  EXPECT_EQ(body.topics[0].partitions[0].fetch_offset, 0);
  EXPECT_EQ(body.topics[0].partitions[0].partition_max_bytes, 1048576);
  EXPECT_TRUE(body.forgotten_topics_data.empty());
  EXPECT_EQ(body.rack_id, "");
}

TEST(GoldenTest, PlatformaticCreateTopicsV7) {
  auto request = DecodeRequestFrame<CreateTopicsRequest>(
      "0000003d" "0013" "0007" "00000002" "0006" "676f6c64656e" "00"
      "02" "09" "6e6577746f706963" "00000003" "0001" "01"
      "02" "0d" "726574656e74696f6e2e6d73" "05" "31303030" "00" "00"
      "000007d0" "00" "00");
  const CreateTopicsRequest& body = request.body;
  ASSERT_EQ(body.topics.size(), 1u);
  EXPECT_EQ(body.topics[0].name, "newtopic");
  EXPECT_EQ(body.topics[0].num_partitions, 3);
  EXPECT_EQ(body.topics[0].replication_factor, 1);
  EXPECT_TRUE(body.topics[0].assignments.empty());
  ASSERT_EQ(body.topics[0].configs.size(), 1u);
  EXPECT_EQ(body.topics[0].configs[0].name, "retention.ms");
  EXPECT_EQ(body.topics[0].configs[0].value, "1000");
  EXPECT_EQ(body.timeout_ms, 2000);
  EXPECT_FALSE(body.validate_only);
}

TEST(GoldenTest, MockBrokerApiVersionsV2Response) {
  auto [header, body] = DecodeResponseFrame<ApiVersionsResponse>(
      "00000074" "00000001" "0000" "00000011"
      "000000000007" "00010000000b" "000200000005" "000300000002" "000800000007"
      "000900000005" "000a00000002" "000b00000005" "000c00000003" "000d00000001"
      "000e00000003" "001200000002" "001600000004" "001800000001" "001900000001"
      "001a00000001" "001c00000002" "00000000", 2);
  EXPECT_EQ(header.correlation_id, 1);
  EXPECT_EQ(body.error_code, 0);
  ASSERT_EQ(body.api_keys.size(), 17u);
  EXPECT_EQ(body.api_keys[1].api_key, 1);
  EXPECT_EQ(body.api_keys[1].max_version, 11);
}

TEST(GoldenTest, MockBrokerMetadataV2Response) {
  auto [header, body] = DecodeResponseFrame<MetadataResponse>(
      "00000068" "00000002"
      "00000001" "00000001" "0009" "3132372e302e302e31" "00009ca7" "ffff"
      "0017" "6d6f636b436c7573746572313535666137373864346138" "00000000"
      "00000001" "0000" "0007" "6d79746f706963" "00"
      "00000001" "0000" "00000000" "00000001" "00000001" "00000001" "00000001" "00000001",
      2);
  EXPECT_EQ(header.correlation_id, 2);
  ASSERT_EQ(body.brokers.size(), 1u);
  EXPECT_EQ(body.brokers[0].host, "127.0.0.1");
  EXPECT_EQ(body.brokers[0].port, 40103);
  EXPECT_EQ(body.brokers[0].rack, std::nullopt);
  EXPECT_EQ(body.cluster_id, "mockCluster155fa778d4a8");
  ASSERT_EQ(body.topics.size(), 1u);
  EXPECT_EQ(body.topics[0].name, "mytopic");
  ASSERT_EQ(body.topics[0].partitions.size(), 1u);
  EXPECT_EQ(body.topics[0].partitions[0].leader_id, 1);
  EXPECT_EQ(body.topics[0].partitions[0].replica_nodes, std::vector<int32_t>{1});
  EXPECT_EQ(body.topics[0].partitions[0].isr_nodes, std::vector<int32_t>{1});
}

TEST(GoldenTest, MockBrokerProduceV7Response) {
  auto [header, body] = DecodeResponseFrame<ProduceResponse>(
      "00000037" "00000003" "00000001" "0007" "6d79746f706963" "00000001"
      "00000000" "0000" "0000000000000000" "00000000000004d2" "0000000000000000" "00000000",
      7);
  EXPECT_EQ(header.correlation_id, 3);
  ASSERT_EQ(body.responses.size(), 1u);
  const auto& partition = body.responses[0].partition_responses[0];
  EXPECT_EQ(partition.error_code, 0);
  EXPECT_EQ(partition.base_offset, 0);
  EXPECT_EQ(body.throttle_time_ms, 0);
}

TEST(GoldenTest, MockBrokerFetchV11ResponseReencodesRecordsByReference) {
  const std::string hex = std::string(
      "00000096" "00000004" "00000000" "0000" "00000000" "00000001" "0007" "6d79746f706963"
      "00000001" "00000000" "0000" "0000000000000001" "0000000000000001" "0000000000000000"
      "00000000" "ffffffff" "0000004d") + std::string(kKcatRecordBatch);
  auto [header, body] = DecodeResponseFrame<FetchResponse>(hex, 11);
  EXPECT_EQ(header.correlation_id, 4);
  const auto& partition = body.responses[0].partitions[0];
  EXPECT_EQ(partition.high_watermark, 1);
  ASSERT_TRUE(partition.aborted_transactions.has_value());
  EXPECT_TRUE(partition.aborted_transactions->empty());
  EXPECT_EQ(partition.preferred_read_replica, -1);
  EXPECT_EQ(partition.records->Flatten(), HexToBytes(kKcatRecordBatch));

  // The response goes out as a gather list whose record piece is the
  // decoded slice itself.
  Writer w;
  body.Encode(w, 11);
  std::vector<SharedSlice> pieces = w.Finish();
  ASSERT_EQ(pieces.size(), 2u);
  EXPECT_EQ(pieces[1].bytes.data(), partition.records->slices[0].bytes.data());
}

}  // namespace
}  // namespace kafscale::kafka
