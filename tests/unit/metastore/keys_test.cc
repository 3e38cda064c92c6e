#include "metastore/keys.h"

#include <gtest/gtest.h>

#include <limits>

#include "metastore/proto/kafscale_metadata.pb.h"

namespace kafscale {
namespace {

using keys::GroupTopicPartition;
using keys::TopicPartition;

TEST(KeysTest, BuildersFollowTheOriginalLayout) {
  EXPECT_EQ(keys::TopicConfigKey("orders"), "/kafscale/topics/orders/config");
  EXPECT_EQ(keys::PartitionStateKey("orders", 1), "/kafscale/topics/orders/partitions/1");
  EXPECT_EQ(keys::NextOffsetKey("orders", 7), "/kafscale/topics/orders/partitions/7/next_offset");
  EXPECT_EQ(keys::GroupMetadataKey("group-1"), "/kafscale/consumers/group-1/metadata");
  EXPECT_EQ(keys::CommittedOffsetKey("group-1", "orders", 3), "/kafscale/consumers/group-1/offsets/orders/3");
  EXPECT_EQ(keys::PartitionLeaseKey("orders", 2), "/kafscale/partition-leases/orders/2");
  EXPECT_EQ(keys::GroupLeaseKey("group-1"), "/kafscale/group-leases/group-1");
  EXPECT_EQ(keys::BrokerKey(5), "/kafscale/brokers/5");
}

TEST(KeysTest, PrefixesCoverTheirKeysOnly) {
  EXPECT_EQ(keys::TopicsPrefix(), "/kafscale/topics/");
  EXPECT_EQ(keys::TopicPrefix("a"), "/kafscale/topics/a/");
  EXPECT_EQ(keys::PartitionsPrefix("a"), "/kafscale/topics/a/partitions/");
  EXPECT_EQ(keys::GroupsPrefix(), "/kafscale/consumers/");
  EXPECT_EQ(keys::GroupPrefix("g"), "/kafscale/consumers/g/");
  EXPECT_EQ(keys::GroupOffsetsPrefix("g"), "/kafscale/consumers/g/offsets/");
  EXPECT_EQ(keys::PartitionLeasesPrefix(), "/kafscale/partition-leases/");
  EXPECT_EQ(keys::GroupLeasesPrefix(), "/kafscale/group-leases/");
  EXPECT_EQ(keys::BrokersPrefix(), "/kafscale/brokers/");

  auto starts_with = [](const std::string& key, const std::string& prefix) { return key.rfind(prefix, 0) == 0; };
  EXPECT_TRUE(starts_with(keys::TopicConfigKey("a"), keys::TopicPrefix("a")));
  EXPECT_TRUE(starts_with(keys::NextOffsetKey("a", 0), keys::PartitionsPrefix("a")));
  EXPECT_FALSE(starts_with(keys::TopicConfigKey("ab"), keys::TopicPrefix("a")));
  EXPECT_TRUE(starts_with(keys::CommittedOffsetKey("g", "t", 0), keys::GroupOffsetsPrefix("g")));
  EXPECT_FALSE(starts_with(keys::GroupMetadataKey("gh"), keys::GroupPrefix("g")));
}

TEST(KeysTest, ParsersInvertBuilders) {
  EXPECT_EQ(keys::ParseTopicConfigKey(keys::TopicConfigKey("orders")), "orders");
  EXPECT_EQ(keys::ParsePartitionStateKey(keys::PartitionStateKey("orders", 12)), (TopicPartition{"orders", 12}));
  EXPECT_EQ(keys::ParseNextOffsetKey(keys::NextOffsetKey("orders", 0)), (TopicPartition{"orders", 0}));
  EXPECT_EQ(keys::ParseGroupMetadataKey(keys::GroupMetadataKey("g")), "g");
  EXPECT_EQ(keys::ParseCommittedOffsetKey(keys::CommittedOffsetKey("g", "t", 9)),
            (GroupTopicPartition{"g", "t", 9}));
  EXPECT_EQ(keys::ParsePartitionLeaseKey(keys::PartitionLeaseKey("t", 4)), (TopicPartition{"t", 4}));
  EXPECT_EQ(keys::ParseGroupLeaseKey(keys::GroupLeaseKey("g")), "g");
  EXPECT_EQ(keys::ParseBrokerKey(keys::BrokerKey(2147483647)), 2147483647);
}

TEST(KeysTest, ParsersTellSiblingKeysApart) {
  // Listing a topic's partitions returns states and next offsets together.
  EXPECT_FALSE(keys::ParsePartitionStateKey(keys::NextOffsetKey("t", 1)));
  EXPECT_FALSE(keys::ParseNextOffsetKey(keys::PartitionStateKey("t", 1)));
  EXPECT_FALSE(keys::ParseTopicConfigKey(keys::PartitionStateKey("t", 1)));
  // Listing a group returns its metadata and offsets together.
  EXPECT_FALSE(keys::ParseGroupMetadataKey(keys::CommittedOffsetKey("g", "t", 0)));
  EXPECT_FALSE(keys::ParseCommittedOffsetKey(keys::GroupMetadataKey("g")));
}

TEST(KeysTest, GroupIdsMayContainSlashes) {
  EXPECT_EQ(keys::ParseCommittedOffsetKey(keys::CommittedOffsetKey("team/a/offsets/x", "t", 1)),
            (GroupTopicPartition{"team/a/offsets/x", "t", 1}));
  EXPECT_EQ(keys::ParseGroupMetadataKey(keys::GroupMetadataKey("team/a")), "team/a");
  EXPECT_EQ(keys::ParseGroupLeaseKey(keys::GroupLeaseKey("team/a")), "team/a");
}

TEST(KeysTest, ParsersRejectMalformedKeys) {
  EXPECT_FALSE(keys::ParseTopicConfigKey("/kafscale/topics//config"));
  EXPECT_FALSE(keys::ParseTopicConfigKey("/kafscale/topics/a/b/config"));
  EXPECT_FALSE(keys::ParseTopicConfigKey("/other/topics/a/config"));
  EXPECT_FALSE(keys::ParsePartitionStateKey("/kafscale/topics/a/partitions/01"));
  EXPECT_FALSE(keys::ParsePartitionStateKey("/kafscale/topics/a/partitions/-1"));
  EXPECT_FALSE(keys::ParsePartitionStateKey("/kafscale/topics/a/partitions/+1"));
  EXPECT_FALSE(keys::ParsePartitionStateKey("/kafscale/topics/a/partitions/"));
  EXPECT_FALSE(keys::ParsePartitionStateKey("/kafscale/topics/a/partitions/2147483648"));
  EXPECT_FALSE(keys::ParsePartitionStateKey("/kafscale/topics//partitions/1"));
  EXPECT_FALSE(keys::ParseCommittedOffsetKey("/kafscale/consumers/offsets/t/1"));
  EXPECT_FALSE(keys::ParseCommittedOffsetKey("/kafscale/consumers/g/offsets/t/x"));
  EXPECT_FALSE(keys::ParseCommittedOffsetKey("/kafscale/consumers/g/offsets//1"));
  EXPECT_FALSE(keys::ParseGroupMetadataKey("/kafscale/consumers/metadata"));
  EXPECT_FALSE(keys::ParseGroupLeaseKey("/kafscale/group-leases/"));
  EXPECT_FALSE(keys::ParseBrokerKey("/kafscale/brokers/"));
  EXPECT_FALSE(keys::ParseBrokerKey("/kafscale/brokers/b1"));
  EXPECT_FALSE(keys::ParsePartitionLeaseKey("/kafscale/partition-leases/t"));
}

TEST(WalKeysTest, WalStartAndObjectRecordKeysAreToldApart) {
  EXPECT_EQ(keys::WalStartKey("orders", 3), "/kafscale/topics/orders/partitions/3/wal_start");
  EXPECT_EQ(keys::PartitionDataPrefix("t", 1), "/kafscale/topics/t/partitions/1/");
  EXPECT_EQ(keys::NextOffsetKey("t", 1).rfind(keys::PartitionDataPrefix("t", 1), 0), 0u);
  EXPECT_NE(keys::NextOffsetKey("t", 10).rfind(keys::PartitionDataPrefix("t", 1), 0), 0u);
  EXPECT_EQ(keys::WalObjectRecordKey("obj", "0"), "/kafscale/wal-objects/obj/0");
  EXPECT_EQ(keys::WalObjectRecordPart(2, 4), "2of4");
  using Part = keys::WalObjectRecordPartName;
  EXPECT_EQ(keys::ParseWalObjectRecordPart(keys::WalObjectRecordPart(2, 4)), (Part{.index = 2, .count = 4}));
  EXPECT_EQ(keys::ParseWalObjectRecordPart("0of1"), (Part{.index = 0, .count = 1}));
  EXPECT_EQ(keys::WalObjectRecordSplitPart("2of4", 1, 3), "2of4.1of3");
  EXPECT_EQ(keys::ParseWalObjectRecordPart(keys::WalObjectRecordSplitPart("2of4", 1, 3)),
            (Part{.index = 2, .count = 4, .splits = 3}));
  for (const char* legacy : {"2of4.1", "2of4.", "2of4.3of3", "2of4.0of1.0of1"}) {
    EXPECT_EQ(keys::ParseWalObjectRecordPart(legacy), (Part{.index = 2, .count = 4, .splits = keys::kUnknownSplits}))
        << legacy;
  }
  for (const char* other : {"0", "3", "of4", "4of4", "1of", "-1of4", "1of4x", "1 of4", "01of4", "4of4.0of1"}) {
    EXPECT_EQ(keys::ParseWalObjectRecordPart(other), std::nullopt) << other;
  }
  EXPECT_EQ(keys::WalIndexMarkerKey(7), "/kafscale/wal-objects/~marker/7");
  EXPECT_EQ(keys::WalIndexMarkerKey(7).rfind(keys::WalObjectsPrefix(), 0), 0u);  // seen by the records' watch
  EXPECT_TRUE(keys::IsWalIndexMarkerKey(keys::WalIndexMarkerKey(7)));
  EXPECT_FALSE(keys::IsWalIndexMarkerKey(keys::WalObjectRecordKey("0000000000001-0-ab-0000000001", "0")));
  EXPECT_EQ(keys::ParseWalStartKey(keys::WalStartKey("t", 7)), (TopicPartition{"t", 7}));
  EXPECT_FALSE(keys::ParseWalStartKey(keys::NextOffsetKey("t", 0)));
  EXPECT_FALSE(keys::ParsePartitionStateKey(keys::WalStartKey("t", 0)));
}

TEST(WalKeysTest, ObjectRecordsRoundTripAndRejectMalformedRanges) {
  WalObjectRecord record{"default/~wal/1/x.wal",
                         {{"orders", "AAAAAAAAAAAAAAAAAAAAAQ", 0, 0, 9, 16, 4096},
                          {"audit", "q-Lk_0AAAAAAAAAAAAAAAA", 12, 100, 100, 4112, 80}}};
  auto round = DecodeWalObjectRecord(EncodeWalObjectRecord(record));
  ASSERT_TRUE(round.ok()) << round.status().ToString();
  EXPECT_EQ(*round, record);
  EXPECT_TRUE(DecodeWalObjectRecord("").status().IsCorruption());
  EXPECT_TRUE(DecodeWalObjectRecord("key").status().IsCorruption());  // no range
  EXPECT_TRUE(DecodeWalObjectRecord("key\norders id 0 1 2 3").status().IsCorruption());
  EXPECT_TRUE(DecodeWalObjectRecord("key\norders id 0 1 2 3 4 5").status().IsCorruption());
  EXPECT_TRUE(DecodeWalObjectRecord("key\norders id 0 5 4 16 10").status().IsCorruption());  // last < base
  EXPECT_TRUE(DecodeWalObjectRecord("key\norders id 0 1 2 16 0").status().IsCorruption());   // empty
  EXPECT_TRUE(DecodeWalObjectRecord("key\norders id -1 1 2 16 10").status().IsCorruption());
}

TEST(NextOffsetCodecTest, RoundTripsCanonicalDecimal) {
  for (int64_t value : {int64_t{0}, int64_t{1}, int64_t{1234567890123}, std::numeric_limits<int64_t>::max()}) {
    Result<int64_t> parsed = ParseNextOffset(FormatNextOffset(value));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, value);
  }
  EXPECT_EQ(FormatNextOffset(42), "42");
}

TEST(NextOffsetCodecTest, RejectsEverythingElse) {
  for (const char* text : {"", " 1", "1 ", "1\n", "-1", "+1", "01", "00", "1.0", "1e3", "0x10", "abc",
                           "9223372036854775808", "99999999999999999999"}) {
    Result<int64_t> parsed = ParseNextOffset(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_TRUE(parsed.status().IsCorruption()) << text;
  }
}

TEST(CommittedOffsetCodecTest, RoundTrips) {
  CommittedOffsetRecord committed{42, "consumer-state", "2024-01-15T10:30:00.5Z", 7};
  std::string json = EncodeCommittedOffset(committed);
  EXPECT_EQ(json, R"({"offset":42,"metadata":"consumer-state","committed_at":"2024-01-15T10:30:00.5Z","leader_epoch":7})");
  Result<CommittedOffsetRecord> decoded = DecodeCommittedOffset(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, committed);
}

TEST(CommittedOffsetCodecTest, ReadsTheOriginalsRecordsWithoutEpoch) {
  Result<CommittedOffsetRecord> decoded =
      DecodeCommittedOffset(R"({"offset":17,"metadata":"","committed_at":"2025-03-01T08:00:00.123456789Z"})");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->offset, 17);
  EXPECT_EQ(decoded->committed_at, "2025-03-01T08:00:00.123456789Z");
  EXPECT_EQ(decoded->leader_epoch, -1);
  // Unknown fields are ignored, null strings read as empty.
  decoded = DecodeCommittedOffset(R"({"offset":-1,"metadata":null,"extra":[1,2]})");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->offset, -1);
  EXPECT_EQ(decoded->metadata, "");
}

TEST(CommittedOffsetCodecTest, InvalidUtf8MetadataIsReplacedNotRejected) {
  std::string json = EncodeCommittedOffset(CommittedOffsetRecord{1, std::string("a\xff" "b"), "", -1});
  Result<CommittedOffsetRecord> decoded = DecodeCommittedOffset(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->metadata, "a\xEF\xBF\xBD" "b");
}

TEST(CommittedOffsetCodecTest, RejectsMalformedValues) {
  for (const char* text : {"", "not json", "[]", "17", "{}", R"({"offset":"5"})", R"({"offset":1.5})",
                           R"({"offset":18446744073709551615})", R"({"offset":1,"metadata":5})",
                           R"({"offset":1,"committed_at":false})", R"({"offset":1,"leader_epoch":"3"})",
                           R"({"offset":1,"leader_epoch":2147483648})", R"({"offset":1} trailing)"}) {
    Result<CommittedOffsetRecord> decoded = DecodeCommittedOffset(text);
    ASSERT_FALSE(decoded.ok()) << text;
    EXPECT_TRUE(decoded.status().IsCorruption()) << text;
  }
}

TEST(Rfc3339Test, FormatsLikeGoRfc3339NanoInUtc) {
  using std::chrono::nanoseconds;
  using std::chrono::system_clock;
  const system_clock::time_point base{std::chrono::seconds(1705314600)};  // 2024-01-15T10:30:00Z
  EXPECT_EQ(FormatRfc3339Utc(base), "2024-01-15T10:30:00Z");
  EXPECT_EQ(FormatRfc3339Utc(base + std::chrono::milliseconds(500)), "2024-01-15T10:30:00.5Z");
  EXPECT_EQ(FormatRfc3339Utc(base + std::chrono::duration_cast<system_clock::duration>(nanoseconds(123456789))),
            "2024-01-15T10:30:00.123456789Z");
  EXPECT_EQ(FormatRfc3339Utc(system_clock::time_point{} - std::chrono::milliseconds(250)),
            "1969-12-31T23:59:59.75Z");
}

TEST(MetadataProtoTest, KeepsTheOriginalFieldNumbers) {
  // Wire bytes pin the numbers: field 1 string "t" (0x0a), field 2 varint 3 (0x10),
  // field 100 bytes (tag 0xa2 0x06).
  metadata::TopicConfig config;
  config.set_name("t");
  config.set_partitions(3);
  config.set_topic_id(std::string(16, '\x01'));
  std::string wire = config.SerializeAsString();
  ASSERT_EQ(wire.substr(0, 5), std::string("\x0a\x01t\x10\x03", 5));
  EXPECT_EQ(wire.substr(5, 3), std::string("\xa2\x06\x10", 3));

  metadata::ConsumerGroup group;
  group.set_group_id("g");
  (*group.mutable_members())["m"].set_client_id("c");
  metadata::ConsumerGroup decoded;
  ASSERT_TRUE(decoded.ParseFromString(group.SerializeAsString()));
  EXPECT_EQ(decoded.members().at("m").client_id(), "c");

  metadata::PartitionState state;
  state.set_leader_epoch(5);
  EXPECT_EQ(state.SerializeAsString(), std::string("\x20\x05", 2));  // field 4 varint
}

}  // namespace
}  // namespace kafscale
