// Generated codecs: every message in every valid version round-trips, and
// malformed input is rejected with DecodeError.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>

#include "protocol/hex.h"
#include "protocol/messages/api_registry.h"
#include "protocol/messages/test_samples.h"

namespace kafscale::kafka {
namespace {

using testing::BytesToHex;
using testing::MakeSample;
using testing::SharedHex;

template <typename M>
std::string EncodeToString(const M& message, int16_t version) {
  Writer w;
  message.Encode(w, version);
  return w.FinishFlat();
}

// Decodes all of `bytes` as M; fails the test if bytes are left over.
template <typename M>
M DecodeAll(std::shared_ptr<const std::string> bytes, int16_t version) {
  Reader r(std::move(bytes));
  M message;
  message.Decode(r, version);
  EXPECT_EQ(r.remaining(), 0u);
  return message;
}

template <typename M>
class MessageTest : public ::testing::Test {};
using AllMessages = ::testing::Types<KAFSCALE_KAFKA_ALL_MESSAGES>;
TYPED_TEST_SUITE(MessageTest, AllMessages);

// Encodes, decodes to an equal value and re-encodes to identical bytes.
template <typename M>
void ExpectRoundTrip(const M& original, int16_t version) {
  auto bytes = std::make_shared<const std::string>(EncodeToString(original, version));
  const M decoded = DecodeAll<M>(bytes, version);
  EXPECT_TRUE(decoded == original);
  EXPECT_EQ(BytesToHex(EncodeToString(decoded, version)), BytesToHex(*bytes));
}

TYPED_TEST(MessageTest, PopulatedSampleRoundTripsInEveryVersion) {
  for (int16_t version = TypeParam::kMinVersion; version <= TypeParam::kMaxVersion; ++version) {
    SCOPED_TRACE("version " + std::to_string(version));
    ExpectRoundTrip(MakeSample<TypeParam>(version), version);
  }
}

TYPED_TEST(MessageTest, SampleWithNullsRoundTripsInEveryVersion) {
  for (int16_t version = TypeParam::kMinVersion; version <= TypeParam::kMaxVersion; ++version) {
    SCOPED_TRACE("version " + std::to_string(version));
    ExpectRoundTrip(MakeSample<TypeParam>(version, /*nulls=*/true), version);
  }
}

TYPED_TEST(MessageTest, DefaultValueRoundTripsInEveryVersion) {
  for (int16_t version = TypeParam::kMinVersion; version <= TypeParam::kMaxVersion; ++version) {
    SCOPED_TRACE("version " + std::to_string(version));
    ExpectRoundTrip(TypeParam(), version);
  }
}

TYPED_TEST(MessageTest, EveryTruncationThrowsDecodeError) {
  for (int16_t version = TypeParam::kMinVersion; version <= TypeParam::kMaxVersion; ++version) {
    SCOPED_TRACE("version " + std::to_string(version));
    const std::string full = EncodeToString(MakeSample<TypeParam>(version), version);
    for (size_t length = 0; length < full.size(); ++length) {
      auto prefix = std::make_shared<const std::string>(full.substr(0, length));
      Reader r(prefix);
      TypeParam decoded;
      EXPECT_THROW(decoded.Decode(r, version), DecodeError) << "prefix of " << length << " bytes";
    }
  }
}

TYPED_TEST(MessageTest, CorruptedBytesOnlyEverThrowDecodeError) {
  // Flipping bytes of valid encodings must decode or throw DecodeError: no
  // crash, no other exception, no unbounded allocation (run under ASan too).
  std::mt19937 random(42);
  for (int16_t version = TypeParam::kMinVersion; version <= TypeParam::kMaxVersion; ++version) {
    const std::string valid = EncodeToString(MakeSample<TypeParam>(version), version);
    if (valid.empty()) continue;
    for (int round = 0; round < 100; ++round) {
      std::string corrupt = valid;
      for (int flips = 1 + round % 4; flips > 0; --flips) {
        corrupt[random() % corrupt.size()] = static_cast<char>(random());
      }
      Reader r(std::make_shared<const std::string>(std::move(corrupt)));
      TypeParam decoded;
      try {
        decoded.Decode(r, version);
      } catch (const DecodeError&) {
      }
    }
  }
}

TYPED_TEST(MessageTest, UnsupportedVersionsAreRejected) {
  auto empty = std::make_shared<const std::string>();
  Reader r(empty);
  TypeParam message;
  EXPECT_THROW(message.Decode(r, TypeParam::kMaxVersion + 1), DecodeError);
  EXPECT_THROW(message.Decode(r, TypeParam::kMinVersion - 1), DecodeError);
  Writer w;
  EXPECT_THROW(message.Encode(w, TypeParam::kMaxVersion + 1), std::invalid_argument);
}

TEST(MessagesTest, SchemaDefaultsApply) {
  FetchRequest fetch;
  EXPECT_EQ(fetch.replica_id, -1);
  EXPECT_EQ(fetch.max_bytes, 0x7fffffff);
  EXPECT_EQ(fetch.session_epoch, -1);
  EXPECT_EQ(fetch.cluster_id, std::nullopt);
  EXPECT_EQ(fetch.rack_id, "");
  EXPECT_EQ(fetch.replica_state.replica_epoch, -1);
  ProduceRequest produce;
  EXPECT_EQ(produce.transactional_id, std::nullopt);
  EXPECT_TRUE(MetadataRequest().allow_auto_topic_creation);
  RequestHeader header;
  EXPECT_EQ(header.client_id, std::string());  // nullable, but defaults to ""
  JoinGroupRequest join;
  EXPECT_EQ(join.rebalance_timeout_ms, -1);
  EXPECT_EQ(join.group_instance_id, std::nullopt);
}

TEST(MessagesTest, FieldsAbsentInAVersionAreNotWrittenAndDecodeToDefaults) {
  ProduceRequest request;
  request.transactional_id = "txn";  // versions 3+
  request.acks = 1;
  request.timeout_ms = 100;
  std::string v2 = EncodeToString(request, 2);
  EXPECT_EQ(BytesToHex(v2), "0001" "00000064" "00000000");
  ProduceRequest decoded = DecodeAll<ProduceRequest>(std::make_shared<const std::string>(v2), 2);
  EXPECT_EQ(decoded.transactional_id, std::nullopt);
  EXPECT_EQ(decoded.acks, 1);
}

TEST(MessagesTest, NullabilityFollowsTheVersion) {
  // MetadataRequest.Topics is nullable ("all topics") from v1 but not in v0.
  auto null_topics = SharedHex("ffffffff");
  EXPECT_THROW(DecodeAll<MetadataRequest>(null_topics, 0), DecodeError);
  MetadataRequest all = DecodeAll<MetadataRequest>(null_topics, 1);
  EXPECT_EQ(all.topics, std::nullopt);
  // Encoding null where the version has no null writes an empty array.
  MetadataRequest request;
  request.topics.reset();
  EXPECT_EQ(BytesToHex(EncodeToString(request, 0)), "00000000");
  EXPECT_EQ(BytesToHex(EncodeToString(request, 1)), "ffffffff");
}

TEST(MessagesTest, NullInANonNullableFieldNamesTheField) {
  // ProduceRequest v0 with one topic whose name is null.
  auto bytes = SharedHex("0001" "00000064" "00000001" "ffff");
  try {
    DecodeAll<ProduceRequest>(bytes, 0);
    FAIL() << "expected DecodeError";
  } catch (const DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find("TopicProduceData.Name"), std::string::npos) << e.what();
  }
}

TEST(MessagesTest, HugeArrayCountIsRejectedWithoutAllocating) {
  // DescribeGroupsRequest v0: groups array claiming 2^31-1 entries.
  EXPECT_THROW(DecodeAll<DescribeGroupsRequest>(SharedHex("7fffffff"), 0), DecodeError);
}

TEST(MessagesTest, TaggedFieldsAreWrittenOnlyWhenNotDefault) {
  FetchRequest request;
  const std::string plain = EncodeToString(request, 15);
  EXPECT_EQ(plain.back(), '\0');  // empty tag section
  request.cluster_id = "c";
  request.replica_state.replica_id = 3;
  const std::string tagged = EncodeToString(request, 15);
  EXPECT_EQ(BytesToHex(tagged.substr(plain.size() - 1)),
            "02"                                        // two tagged fields
            "00" "02" "0263"                            // tag 0: ClusterId "c"
            "01" "0d" "00000003" "ffffffffffffffff" "00");  // tag 1: ReplicaState
  FetchRequest decoded = DecodeAll<FetchRequest>(std::make_shared<const std::string>(tagged), 15);
  EXPECT_EQ(decoded.cluster_id, "c");
  EXPECT_EQ(decoded.replica_state.replica_id, 3);
  EXPECT_TRUE(decoded.unknown_tagged_fields.empty());
}

TEST(MessagesTest, TagsUnknownInAVersionArePreservedInOrder) {
  // ReplicaState (tag 1) is known only from v15: a v12 decoder keeps it as
  // raw bytes and re-encodes it after the known tag 0, byte for byte.
  FetchRequest request;
  request.cluster_id = "c";
  std::string bytes = EncodeToString(request, 12);
  ASSERT_EQ(BytesToHex(bytes.substr(bytes.size() - 5)), "01" "00" "02" "0263");
  bytes.resize(bytes.size() - 5);
  bytes += testing::HexToBytes("02" "00" "02" "0263" "01" "01" "aa");
  auto input = std::make_shared<const std::string>(bytes);
  FetchRequest decoded = DecodeAll<FetchRequest>(input, 12);
  EXPECT_EQ(decoded.cluster_id, "c");
  ASSERT_EQ(decoded.unknown_tagged_fields.size(), 1u);
  EXPECT_EQ(decoded.unknown_tagged_fields[0], (RawTaggedField{1, "\xaa"}));
  EXPECT_EQ(BytesToHex(EncodeToString(decoded, 12)), BytesToHex(bytes));
}

TEST(ApiRegistryTest, ListsEveryApiOnce) {
  EXPECT_EQ(AllApis().size(), 26u);
  for (size_t i = 1; i < AllApis().size(); ++i) EXPECT_LT(AllApis()[i - 1].key, AllApis()[i].key);
  const ApiInfo* produce = FindApi(0);
  ASSERT_NE(produce, nullptr);
  EXPECT_STREQ(produce->name, "Produce");
  EXPECT_EQ(produce->min_version, ProduceRequest::kMinVersion);
  EXPECT_EQ(produce->max_version, ProduceRequest::kMaxVersion);
  EXPECT_EQ(produce->first_flexible_version, 9);
  const ApiInfo* sasl = FindApi(SaslHandshakeRequest::kApiKey);
  ASSERT_NE(sasl, nullptr);
  EXPECT_EQ(sasl->first_flexible_version, -1);
  EXPECT_EQ(FindApi(4), nullptr);  // LeaderAndIsr: not served
  EXPECT_EQ(FindApi(-1), nullptr);
  EXPECT_EQ(FindApi(1000), nullptr);
}

TEST(ApiRegistryTest, HeaderVersionsFollowFlexibility) {
  EXPECT_EQ(RequestHeaderVersion(ProduceRequest::kApiKey, 8), 1);
  EXPECT_EQ(RequestHeaderVersion(ProduceRequest::kApiKey, 9), 2);
  EXPECT_EQ(ResponseHeaderVersion(ProduceRequest::kApiKey, 8), 0);
  EXPECT_EQ(ResponseHeaderVersion(ProduceRequest::kApiKey, 9), 1);
  EXPECT_EQ(RequestHeaderVersion(ApiVersionsRequest::kApiKey, 3), 2);
  EXPECT_EQ(RequestHeaderVersion(ApiVersionsRequest::kApiKey, 2), 1);
  // ApiVersions responses always use header v0, even when flexible.
  EXPECT_EQ(ResponseHeaderVersion(ApiVersionsRequest::kApiKey, 3), 0);
  EXPECT_EQ(ResponseHeaderVersion(ApiVersionsRequest::kApiKey, 4), 0);
  // Versions newer than ours are still flexible (a client probing ApiVersions v5).
  EXPECT_EQ(RequestHeaderVersion(ApiVersionsRequest::kApiKey, 5), 2);
  EXPECT_EQ(RequestHeaderVersion(SaslHandshakeRequest::kApiKey, 1), 1);
  EXPECT_EQ(RequestHeaderVersion(DescribeClusterRequest::kApiKey, 0), 2);
  EXPECT_EQ(RequestHeaderVersion(4, 7), 1);  // unknown API
  EXPECT_EQ(ResponseHeaderVersion(4, 7), 0);
}

TEST(HeadersTest, RequestHeaderV2KeepsClassicClientId) {
  RequestHeader header;
  header.request_api_key = 18;
  header.request_api_version = 3;
  header.correlation_id = 1;
  header.client_id = "rdkafka";
  // Flexible header, yet ClientId keeps its int16 length (flexibleVersions "none").
  EXPECT_EQ(BytesToHex(EncodeToString(header, 2)),
            "0012" "0003" "00000001" "0007" "72646b61666b61" "00");
  header.client_id.reset();
  EXPECT_EQ(BytesToHex(EncodeToString(header, 2)), "0012" "0003" "00000001" "ffff" "00");
  EXPECT_EQ(BytesToHex(EncodeToString(header, 1)), "0012" "0003" "00000001" "ffff");
  EXPECT_EQ(BytesToHex(EncodeToString(header, 0)), "0012" "0003" "00000001");
  RequestHeader decoded = DecodeAll<RequestHeader>(SharedHex("00120003000000010000" "00"), 2);
  EXPECT_EQ(decoded.client_id, "");
}

TEST(HeadersTest, ResponseHeaderVersions) {
  ResponseHeader header;
  header.correlation_id = 7;
  EXPECT_EQ(BytesToHex(EncodeToString(header, 0)), "00000007");
  EXPECT_EQ(BytesToHex(EncodeToString(header, 1)), "00000007" "00");
}

}  // namespace
}  // namespace kafscale::kafka
