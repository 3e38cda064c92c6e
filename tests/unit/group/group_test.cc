// The Group model, the consumer-protocol readers and the store records,
// without a coordinator or an event loop.
#include "group/group.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "group/consumer_protocol.h"
#include "group/group_records.h"
#include "group_test_support.h"
#include "metastore/proto/kafscale_metadata.pb.h"

namespace kafscale::group {
namespace {

Member MakeMember(const std::string& id, std::vector<Protocol> protocols,
                  std::optional<std::string> instance_id = std::nullopt) {
  Member member;
  member.id = id;
  member.instance_id = std::move(instance_id);
  member.protocol_type = "consumer";
  member.protocols = std::move(protocols);
  return member;
}

class GroupModelTest : public ::testing::Test {
 protected:
  boost::asio::io_context io_;
  Group group_{"g", io_.get_executor()};
};

TEST(GroupStateTest, NamesRoundTripCaseInsensitively) {
  for (GroupState state : {GroupState::kEmpty, GroupState::kPreparingRebalance, GroupState::kCompletingRebalance,
                           GroupState::kStable, GroupState::kDead}) {
    EXPECT_EQ(ParseGroupState(GroupStateName(state)), state);
  }
  EXPECT_EQ(GroupStateName(GroupState::kCompletingRebalance), "CompletingRebalance");
  EXPECT_EQ(ParseGroupState("stable"), GroupState::kStable);
  EXPECT_EQ(ParseGroupState("Rebalancing"), std::nullopt);
  EXPECT_TRUE(IsClassicGroupType("Classic"));
  EXPECT_FALSE(IsClassicGroupType("consumer"));
}

TEST_F(GroupModelTest, FirstMemberLeadsAndFixesTheProtocolType) {
  group_.AddMember(MakeMember("a", {{"range", ""}}));
  group_.AddMember(MakeMember("b", {{"range", ""}}));
  EXPECT_EQ(group_.leader_id, "a");
  EXPECT_EQ(group_.protocol_type, "consumer");
  group_.RemoveMember("a");
  EXPECT_EQ(group_.leader_id, "b");
  group_.RemoveMember("b");
  EXPECT_TRUE(group_.empty());
  EXPECT_EQ(group_.leader_id, "");
}

TEST_F(GroupModelTest, SelectsTheCommonProtocolMostMembersPrefer) {
  group_.AddMember(MakeMember("a", {{"range", ""}, {"roundrobin", ""}, {"sticky", ""}}));
  group_.AddMember(MakeMember("b", {{"sticky", ""}, {"roundrobin", ""}}));
  group_.AddMember(MakeMember("c", {{"roundrobin", ""}, {"sticky", ""}}));
  // "range" is not offered by all; b votes sticky, a and c vote roundrobin.
  EXPECT_EQ(group_.SelectProtocol(), "roundrobin");
}

TEST_F(GroupModelTest, TiedVotesGoToTheLeadersPreference) {
  group_.AddMember(MakeMember("a", {{"sticky", ""}, {"range", ""}}));
  group_.AddMember(MakeMember("b", {{"range", ""}, {"sticky", ""}}));
  EXPECT_EQ(group_.SelectProtocol(), "sticky");
}

TEST_F(GroupModelTest, SupportsProtocolsNeedsTypeAndACommonProtocol) {
  EXPECT_FALSE(group_.SupportsProtocols("consumer", {}));
  EXPECT_FALSE(group_.SupportsProtocols("", {{"range", ""}}));
  EXPECT_TRUE(group_.SupportsProtocols("connect", {{"x", ""}}));  // empty group takes anything
  group_.AddMember(MakeMember("a", {{"range", ""}, {"roundrobin", ""}}));
  EXPECT_FALSE(group_.SupportsProtocols("connect", {{"range", ""}}));
  EXPECT_FALSE(group_.SupportsProtocols("consumer", {{"sticky", ""}}));
  EXPECT_TRUE(group_.SupportsProtocols("consumer", {{"sticky", ""}, {"roundrobin", ""}}));
}

TEST_F(GroupModelTest, StaticMemberReplacementKeepsStateAndLeadership) {
  Member first = MakeMember("old", {{"range", ""}}, "instance-1");
  first.assignment = "bytes";
  group_.AddMember(std::move(first));
  group_.awaiting_sync.insert("old");
  EXPECT_TRUE(group_.IsStaticMemberFenced(std::string("instance-1"), "someone-else"));
  EXPECT_FALSE(group_.IsStaticMemberFenced(std::string("instance-1"), "old"));
  EXPECT_FALSE(group_.IsStaticMemberFenced(std::nullopt, "someone-else"));

  Member& replaced = group_.ReplaceStaticMember("instance-1", "new");
  EXPECT_EQ(replaced.id, "new");
  EXPECT_EQ(replaced.assignment, "bytes");
  EXPECT_EQ(group_.leader_id, "new");
  EXPECT_EQ(group_.StaticMemberId("instance-1"), "new");
  EXPECT_EQ(group_.FindMember("old"), nullptr);
  EXPECT_EQ(group_.awaiting_sync, std::set<std::string>{"new"});
  EXPECT_TRUE(group_.IsStaticMemberFenced(std::string("instance-1"), "old"));
}

TEST_F(GroupModelTest, SubscribedTopicsComeFromTheSelectedProtocol) {
  group_.AddMember(MakeMember("a", {{"range", SubscriptionBytes({"t1", "t2"})}}));
  group_.AddMember(MakeMember("b", {{"range", SubscriptionBytes({"t3"})}}));
  EXPECT_EQ(group_.SubscribedTopics(), std::nullopt);  // no protocol selected yet
  group_.InitNextGeneration();
  EXPECT_EQ(group_.state, GroupState::kCompletingRebalance);
  EXPECT_EQ(group_.generation, 1);
  EXPECT_EQ(group_.protocol_name, "range");
  EXPECT_EQ(group_.SubscribedTopics(), (std::set<std::string>{"t1", "t2", "t3"}));
  EXPECT_EQ(group_.awaiting_sync, (std::set<std::string>{"a", "b"}));
}

TEST_F(GroupModelTest, UndecodableSubscriptionMeansUnknownTopics) {
  group_.AddMember(MakeMember("a", {{"range", "\x01"}}));
  group_.InitNextGeneration();
  EXPECT_EQ(group_.SubscribedTopics(), std::nullopt);
}

TEST_F(GroupModelTest, GenerationWithoutMembersIsEmpty) {
  group_.generation = 4;
  group_.protocol_name = "range";
  group_.InitNextGeneration();
  EXPECT_EQ(group_.state, GroupState::kEmpty);
  EXPECT_EQ(group_.generation, 5);
  EXPECT_EQ(group_.protocol_name, std::nullopt);
}

TEST(ConsumerProtocolTest, ReadsEveryVersionAndNewerOnes) {
  for (int16_t version = 0; version <= 3; ++version) {
    EXPECT_EQ(DecodeSubscribedTopics(SubscriptionBytes({"a", "b"}, version)), (std::vector<std::string>{"a", "b"}));
  }
  // A future version appends fields; what is known still reads.
  std::string future = SubscriptionBytes({"a"}, 3);
  future[1] = 9;
  future += "appended";
  EXPECT_EQ(DecodeSubscribedTopics(future), std::vector<std::string>{"a"});
  EXPECT_EQ(DecodeSubscribedTopics("\x00"), std::nullopt);

  auto assigned = DecodeAssignedPartitions(AssignmentBytes({{"t", {0, 2}}}));
  ASSERT_TRUE(assigned.has_value());
  ASSERT_EQ(assigned->size(), 1u);
  EXPECT_EQ((*assigned)[0].topic, "t");
  EXPECT_EQ((*assigned)[0].partitions, (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(DecodeAssignedPartitions("")->size(), 0u);
}

TEST_F(GroupModelTest, RecordCarriesMembersSubscriptionsAndAssignments) {
  Member member = MakeMember("m1", {{"range", SubscriptionBytes({"orders"})}});
  member.client_id = "client";
  member.client_host = "/127.0.0.1";
  member.assignment = AssignmentBytes({{"orders", {1, 3}}});
  group_.AddMember(std::move(member));
  group_.InitNextGeneration();
  group_.state = GroupState::kStable;

  metadata::ConsumerGroup record;
  ASSERT_TRUE(record.ParseFromString(EncodeGroupRecord(group_)));
  EXPECT_EQ(record.group_id(), "g");
  EXPECT_EQ(record.state(), "Stable");
  EXPECT_EQ(record.protocol_type(), "consumer");
  EXPECT_EQ(record.protocol(), "range");
  EXPECT_EQ(record.leader(), "m1");
  EXPECT_EQ(record.generation_id(), 1);
  const metadata::GroupMember& stored = record.members().at("m1");
  EXPECT_EQ(stored.client_id(), "client");
  EXPECT_EQ(stored.client_host(), "/127.0.0.1");
  ASSERT_EQ(stored.subscriptions_size(), 1);
  EXPECT_EQ(stored.subscriptions(0), "orders");
  ASSERT_EQ(stored.assignments_size(), 1);
  EXPECT_EQ(stored.assignments(0).topic(), "orders");
  EXPECT_EQ(stored.assignments(0).partitions_size(), 2);
}

TEST_F(GroupModelTest, StoredGroupsDecodeFromMetadataAndOffsets) {
  group_.protocol_type = "consumer";
  group_.generation = 7;
  std::vector<KeyValue> kvs = {
      {.key = keys::GroupMetadataKey("g"), .value = EncodeGroupRecord(group_)},
      {.key = keys::CommittedOffsetKey("g", "t", 2),
       .value = EncodeCommittedOffset({.offset = 42, .metadata = "m", .committed_at = "x", .leader_epoch = 0})},
      {.key = keys::CommittedOffsetKey("offsets-only", "t", 0),
       .value = EncodeCommittedOffset({.offset = 5, .metadata = "", .committed_at = "", .leader_epoch = -1})},
      {.key = "/kafscale/consumers/g/unrelated", .value = "ignored"},
  };
  auto stored = DecodeStoredGroups(kvs);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ASSERT_EQ(stored->size(), 2u);
  const StoredGroup& g = stored->at("g");
  EXPECT_EQ(g.protocol_type, "consumer");
  EXPECT_EQ(g.generation, 7);
  EXPECT_EQ(g.offsets.at({"t", 2}).offset, 42);
  EXPECT_EQ(g.offsets.at({"t", 2}).metadata, "m");
  EXPECT_EQ(stored->at("offsets-only").offsets.at({"t", 0}).offset, 5);

  kvs.push_back({.key = keys::CommittedOffsetKey("g", "t", 3), .value = "not json"});
  EXPECT_TRUE(DecodeStoredGroups(kvs).status().IsCorruption());
}

}  // namespace
}  // namespace kafscale::group
