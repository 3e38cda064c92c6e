// The classic group protocol state machine, driven through the
// GroupCoordinator of one broker on the embedded metadata store.
#include "group/group_coordinator.h"

#include <gtest/gtest.h>

#include <deque>
#include <future>

#include "group_test_support.h"
#include "metastore/embedded_store.h"
#include "objectstore/temp_dir.h"
#include "test_broker.h"

namespace kafscale::group {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

constexpr char kGroup[] = "g";

OffsetCommit At(const std::string& topic, int32_t partition, int64_t offset, const std::string& metadata = "",
                int32_t leader_epoch = -1) {
  return OffsetCommit{.partition = {topic, partition}, .offset = offset, .leader_epoch = leader_epoch,
                      .metadata = metadata};
}

class GroupCoordinatorTest : public ::testing::Test, public TestLoop {
 protected:
  using TestLoop::Run;  // not ::testing::Test's

  GroupCoordinatorTest() {
    options_.initial_rebalance_delay = 0ms;
    options_.min_session_timeout = 10ms;
    auto opened = EmbeddedMetadataStore::Open((dir_.path() / "meta").string());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
    StartBroker();
  }

  // The broker joins and, as clients' FindCoordinator calls would, takes
  // the lease of every group the tests use.
  void StartBroker() {
    broker_ = std::make_unique<TestBroker>(*this, *store_, 1, options_);
    coordinator_ = &broker_->coordinator();
    for (const char* group : {kGroup, "solo", "ordered", "never-seen", "no-such-group", "unknown", "unknown-group"}) {
      broker_->Coordinate(group);
    }
  }

  // A broker restart on the same store, after background writes finished.
  void RestartBroker() {
    RunFor(100ms);
    coordinator_ = nullptr;
    broker_.reset();
    StartBroker();
  }

  // Requests live in deques: calls in flight refer to them.
  JoinRequest& MakeJoin(const std::string& member_id = "", std::optional<std::string> instance_id = std::nullopt,
                        std::vector<std::string> topics = {"t"}) {
    JoinRequest& request = joins_.emplace_back();
    request.group_id = kGroup;
    request.member_id = member_id;
    request.instance_id = std::move(instance_id);
    request.client_id = "client";
    request.client_host = "/127.0.0.1";
    request.session_timeout = 500ms;
    request.rebalance_timeout = 500ms;
    request.protocol_type = "consumer";
    request.protocols = {{"range", SubscriptionBytes(topics)}};
    request.require_known_member_id = true;
    return request;
  }

  std::future<JoinResult> StartJoin(const JoinRequest& request) { return Start(coordinator_->Join(request)); }
  JoinResult JoinNow(const JoinRequest& request) {
    std::future<JoinResult> future = StartJoin(request);
    return Finish(future);
  }

  // The id a dynamic member is given by the MEMBER_ID_REQUIRED round trip.
  std::string RequestMemberId(milliseconds session_timeout = 500ms) {
    JoinRequest& request = MakeJoin();
    request.session_timeout = session_timeout;
    JoinResult result = JoinNow(request);
    EXPECT_EQ(result.error, ErrorCode::kMemberIdRequired);
    EXPECT_TRUE(result.member_id.starts_with("client-")) << result.member_id;
    return result.member_id;
  }

  SyncRequest& MakeSync(const std::string& member_id, int32_t generation,
                        std::vector<std::pair<std::string, std::string>> assignments = {}) {
    SyncRequest& request = syncs_.emplace_back();
    request.group_id = kGroup;
    request.member_id = member_id;
    request.generation_id = generation;
    request.assignments = std::move(assignments);
    return request;
  }
  std::future<SyncResult> StartSync(const SyncRequest& request) { return Start(coordinator_->Sync(request)); }

  ErrorCode Heartbeat(const std::string& member_id, int32_t generation,
                      std::optional<std::string> instance_id = std::nullopt) {
    return coordinator_->Heartbeat({kGroup, generation, member_id, std::move(instance_id)});
  }

  std::vector<ErrorCode> Commit(const std::string& group_id, const std::string& member_id, int32_t generation,
                                std::vector<OffsetCommit> offsets) {
    CommitRequest& request = commits_.emplace_back();
    request.group_id = group_id;
    request.member_id = member_id;
    request.generation_id = generation;
    request.offsets = std::move(offsets);
    return Run(coordinator_->CommitOffsets(request));
  }

  int64_t FetchOffset(const std::string& group_id, const TopicPartition& partition) {
    FetchResult result = coordinator_->FetchOffsets(group_id, std::vector<TopicPartition>{partition});
    EXPECT_EQ(result.error, ErrorCode::kNone);
    return result.offsets.at(0).offset;
  }

  struct JoinedMember {
    std::string id;
    JoinResult join;
    SyncResult sync;
  };

  // Joins the prepared requests as one generation; the leader gives each
  // member the assignment "assignment-of-<member id>".
  std::vector<JoinedMember> FormGeneration(const std::vector<JoinRequest*>& requests) {
    std::vector<std::future<JoinResult>> joining;
    for (JoinRequest* request : requests) joining.push_back(StartJoin(*request));
    std::vector<JoinedMember> members;
    for (auto& future : joining) {
      JoinResult result = Finish(future);
      EXPECT_EQ(result.error, ErrorCode::kNone);
      members.push_back({result.member_id, result, {}});
    }
    std::vector<std::future<SyncResult>> syncing;
    for (const JoinedMember& member : members) {
      std::vector<std::pair<std::string, std::string>> assignments;
      if (member.id == member.join.leader_id) {
        for (const JoinedMember& other : members) assignments.push_back({other.id, "assignment-of-" + other.id});
      }
      syncing.push_back(StartSync(MakeSync(member.id, member.join.generation_id, std::move(assignments))));
    }
    for (size_t i = 0; i < members.size(); ++i) {
      members[i].sync = Finish(syncing[i]);
      EXPECT_EQ(members[i].sync.error, ErrorCode::kNone);
      EXPECT_EQ(members[i].sync.assignment, "assignment-of-" + members[i].id);
    }
    return members;
  }

  // `count` dynamic members, each through MEMBER_ID_REQUIRED first.
  std::vector<JoinedMember> FormGroup(int count) {
    std::vector<JoinRequest*> requests;
    for (int i = 0; i < count; ++i) requests.push_back(&MakeJoin(RequestMemberId()));
    return FormGeneration(requests);
  }

  std::string StateOf(const std::string& group_id) { return coordinator_->Describe(group_id).state; }

  kafscale::testing::TempDir dir_;
  std::unique_ptr<EmbeddedMetadataStore> store_;
  GroupCoordinatorOptions options_;
  std::unique_ptr<TestBroker> broker_;
  GroupCoordinator* coordinator_ = nullptr;  // broker_'s
  std::deque<JoinRequest> joins_;
  std::deque<SyncRequest> syncs_;
  std::deque<CommitRequest> commits_;
};

TEST_F(GroupCoordinatorTest, SingleMemberJoinsSyncsAndHeartbeats) {
  const std::string id = RequestMemberId();
  EXPECT_EQ(StateOf(kGroup), "Empty");  // a pending member is not a member yet
  JoinResult joined = JoinNow(MakeJoin(id));
  ASSERT_EQ(joined.error, ErrorCode::kNone);
  EXPECT_EQ(joined.member_id, id);
  EXPECT_EQ(joined.generation_id, 1);
  EXPECT_EQ(joined.leader_id, id);
  EXPECT_EQ(joined.protocol_type, "consumer");
  EXPECT_EQ(joined.protocol_name, "range");
  ASSERT_EQ(joined.members.size(), 1u);
  EXPECT_EQ(joined.members[0].metadata, SubscriptionBytes({"t"}));
  EXPECT_EQ(StateOf(kGroup), "CompletingRebalance");

  std::future<SyncResult> sync = StartSync(MakeSync(id, 1, {{id, "bytes"}}));
  SyncResult synced = Finish(sync);
  EXPECT_EQ(synced.error, ErrorCode::kNone);
  EXPECT_EQ(synced.assignment, "bytes");
  EXPECT_EQ(synced.protocol_name, "range");

  GroupDescription description = coordinator_->Describe(kGroup);
  EXPECT_EQ(description.state, "Stable");
  EXPECT_EQ(description.protocol, "range");
  ASSERT_EQ(description.members.size(), 1u);
  EXPECT_EQ(description.members[0].assignment, "bytes");
  EXPECT_EQ(description.members[0].client_host, "/127.0.0.1");
  EXPECT_EQ(Heartbeat(id, 1), ErrorCode::kNone);
}

TEST_F(GroupCoordinatorTest, LeaderSeesEveryMemberAndEachGetsItsOwnAssignment) {
  std::vector<JoinedMember> members = FormGroup(3);
  int leaders = 0;
  for (const JoinedMember& member : members) {
    EXPECT_EQ(member.join.generation_id, 1);
    if (member.id == member.join.leader_id) {
      ++leaders;
      EXPECT_EQ(member.join.members.size(), 3u);
    } else {
      EXPECT_TRUE(member.join.members.empty());
    }
  }
  EXPECT_EQ(leaders, 1);
}

TEST_F(GroupCoordinatorTest, FollowersWaitForTheLeadersAssignment) {
  const std::string a = RequestMemberId();
  const std::string b = RequestMemberId();
  std::future<JoinResult> join_a = StartJoin(MakeJoin(a));
  std::future<JoinResult> join_b = StartJoin(MakeJoin(b));
  JoinResult ra = Finish(join_a);
  JoinResult rb = Finish(join_b);
  const std::string leader = ra.leader_id;
  const std::string follower = leader == a ? b : a;
  std::future<SyncResult> follower_sync = StartSync(MakeSync(follower, ra.generation_id));
  RunFor(50ms);
  EXPECT_FALSE(IsReady(follower_sync));
  std::future<SyncResult> leader_sync =
      StartSync(MakeSync(leader, rb.generation_id, {{leader, "L"}, {follower, "F"}, {"stranger", "X"}}));
  EXPECT_EQ(Finish(follower_sync).assignment, "F");
  EXPECT_EQ(Finish(leader_sync).assignment, "L");
  // A follower syncing late gets the stored assignment at once.
  std::future<SyncResult> again = StartSync(MakeSync(follower, ra.generation_id));
  EXPECT_EQ(Finish(again).assignment, "F");
}

TEST_F(GroupCoordinatorTest, HeartbeatErrors) {
  std::vector<JoinedMember> members = FormGroup(1);
  const std::string id = members[0].id;
  EXPECT_EQ(Heartbeat("nobody", 1), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(Heartbeat(id, 2), ErrorCode::kIllegalGeneration);
  EXPECT_EQ(coordinator_->Heartbeat({"unknown-group", 1, id, std::nullopt}), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(coordinator_->Heartbeat({"", 1, id, std::nullopt}), ErrorCode::kInvalidGroupId);

  // A new member starts a rebalance that the old one learns from its heartbeat.
  std::future<JoinResult> newcomer = StartJoin(MakeJoin(RequestMemberId()));
  RunFor(10ms);
  EXPECT_EQ(Heartbeat(id, 1), ErrorCode::kRebalanceInProgress);
  EXPECT_FALSE(IsReady(newcomer));
  std::future<JoinResult> rejoin = StartJoin(MakeJoin(id));
  EXPECT_EQ(Finish(rejoin).generation_id, 2);
  EXPECT_EQ(Finish(newcomer).generation_id, 2);
  EXPECT_EQ(Heartbeat(id, 1), ErrorCode::kIllegalGeneration);
  EXPECT_EQ(Heartbeat(id, 2), ErrorCode::kNone);  // CompletingRebalance
}

TEST_F(GroupCoordinatorTest, LeaveStartsARebalanceForTheOthers) {
  std::vector<JoinedMember> members = FormGroup(2);
  const std::string a = members[0].id;
  const std::string b = members[1].id;
  LeaveResult left = coordinator_->Leave(kGroup, {{b, std::nullopt}, {"nobody", std::nullopt}});
  EXPECT_EQ(left.error, ErrorCode::kNone);
  EXPECT_EQ(left.members, (std::vector<ErrorCode>{ErrorCode::kNone, ErrorCode::kUnknownMemberId}));
  EXPECT_EQ(Heartbeat(a, 1), ErrorCode::kRebalanceInProgress);
  EXPECT_EQ(Heartbeat(b, 1), ErrorCode::kUnknownMemberId);
  JoinResult rejoined = JoinNow(MakeJoin(a));  // the only member: completes at once
  EXPECT_EQ(rejoined.generation_id, 2);
  EXPECT_EQ(rejoined.leader_id, a);
  EXPECT_EQ(rejoined.members.size(), 1u);

  // The last member leaving makes the group Empty.
  coordinator_->Leave(kGroup, {{a, std::nullopt}});
  RunFor(10ms);
  EXPECT_EQ(StateOf(kGroup), "Empty");
  EXPECT_EQ(coordinator_->Leave("unknown-group", {{a, std::nullopt}}).members[0], ErrorCode::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, MemberWithoutHeartbeatsIsRemovedAfterItsSessionTimeout) {
  JoinRequest& steady = MakeJoin(RequestMemberId());
  JoinRequest& silent = MakeJoin(RequestMemberId());
  silent.session_timeout = 100ms;
  std::vector<JoinedMember> members = FormGeneration({&steady, &silent});
  const std::string a = steady.member_id;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  ErrorCode heartbeat = ErrorCode::kNone;
  while (heartbeat == ErrorCode::kNone && std::chrono::steady_clock::now() < deadline) {
    RunFor(20ms);
    heartbeat = Heartbeat(a, 1);
  }
  EXPECT_EQ(heartbeat, ErrorCode::kRebalanceInProgress);
  EXPECT_EQ(Heartbeat(silent.member_id, 1), ErrorCode::kUnknownMemberId);
  JoinResult rejoined = JoinNow(MakeJoin(a));
  EXPECT_EQ(rejoined.generation_id, 2);
  EXPECT_EQ(rejoined.members.size(), 1u);
}

TEST_F(GroupCoordinatorTest, MemberThatDoesNotRejoinIsDroppedAtTheRebalanceTimeout) {
  JoinRequest& leader_request = MakeJoin(RequestMemberId());
  JoinRequest& other_request = MakeJoin(RequestMemberId());
  leader_request.rebalance_timeout = other_request.rebalance_timeout = 200ms;
  std::vector<JoinedMember> members = FormGeneration({&leader_request, &other_request});
  const std::string leader = members[0].join.leader_id;
  const std::string other = leader == members[0].id ? members[1].id : members[0].id;
  JoinRequest& rejoin = MakeJoin(leader);
  rejoin.rebalance_timeout = 200ms;
  const auto started = std::chrono::steady_clock::now();
  std::future<JoinResult> waiting = StartJoin(rejoin);  // the leader's rejoin starts a rebalance
  RunFor(100ms);
  EXPECT_FALSE(IsReady(waiting));
  JoinResult result = Finish(waiting);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 190ms);
  EXPECT_EQ(result.generation_id, 2);
  ASSERT_EQ(result.members.size(), 1u);
  EXPECT_EQ(result.members[0].member_id, leader);
  EXPECT_EQ(Heartbeat(other, 1), ErrorCode::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, MemberThatNeverSyncsIsRemoved) {
  JoinRequest& first = MakeJoin(RequestMemberId());
  JoinRequest& second = MakeJoin(RequestMemberId());
  first.rebalance_timeout = second.rebalance_timeout = 300ms;
  std::future<JoinResult> join_first = StartJoin(first);
  std::future<JoinResult> join_second = StartJoin(second);
  JoinResult r1 = Finish(join_first);
  Finish(join_second);
  const std::string leader = r1.leader_id;
  std::future<SyncResult> leader_sync = StartSync(MakeSync(leader, 1, {{leader, "L"}}));
  EXPECT_EQ(Finish(leader_sync).assignment, "L");
  EXPECT_EQ(StateOf(kGroup), "Stable");
  RunFor(400ms);  // the follower never sends SyncGroup
  EXPECT_EQ(Heartbeat(leader, 1), ErrorCode::kRebalanceInProgress);
  EXPECT_EQ(coordinator_->Describe(kGroup).members.size(), 1u);
}

TEST_F(GroupCoordinatorTest, OutstandingMemberIdOfferDelaysTheJoinUntilItLapses) {
  std::vector<JoinedMember> members = FormGroup(1);
  const std::string id = members[0].id;
  RequestMemberId(100ms);  // a joiner that never comes back
  JoinRequest& rejoin = MakeJoin(id);
  rejoin.rebalance_timeout = 3s;
  const auto started = std::chrono::steady_clock::now();
  std::future<JoinResult> waiting = StartJoin(rejoin);
  JoinResult result = Finish(waiting);
  EXPECT_EQ(result.generation_id, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(GroupCoordinatorTest, StaticMemberRestartGetsItsAssignmentBackWithoutRebalance) {
  JoinRequest& one = MakeJoin("", "instance-1");
  JoinRequest& two = MakeJoin("", "instance-2");
  std::vector<JoinedMember> members = FormGeneration({&one, &two});  // static: no MEMBER_ID_REQUIRED
  ASSERT_EQ(members.size(), 2u);
  const std::string leader = members[0].join.leader_id;
  const JoinedMember& restarted = members[0].id == leader ? members[1] : members[0];
  const JoinedMember& steady = members[0].id == leader ? members[0] : members[1];
  const std::string instance = restarted.id.starts_with("instance-1") ? "instance-1" : "instance-2";

  JoinResult rejoined = JoinNow(MakeJoin("", instance));
  ASSERT_EQ(rejoined.error, ErrorCode::kNone);
  EXPECT_NE(rejoined.member_id, restarted.id);
  EXPECT_EQ(rejoined.generation_id, 1);
  EXPECT_EQ(rejoined.leader_id, leader);
  EXPECT_EQ(StateOf(kGroup), "Stable");

  std::future<SyncResult> sync = StartSync(MakeSync(rejoined.member_id, 1));
  EXPECT_EQ(Finish(sync).assignment, restarted.sync.assignment);
  EXPECT_EQ(Heartbeat(steady.id, 1), ErrorCode::kNone);  // the other member was not disturbed
  // The previous incarnation is fenced everywhere.
  EXPECT_EQ(Heartbeat(restarted.id, 1, instance), ErrorCode::kFencedInstanceId);
  EXPECT_EQ(JoinNow(MakeJoin(restarted.id, instance)).error, ErrorCode::kFencedInstanceId);
  std::future<SyncResult> fenced_sync = StartSync(syncs_.emplace_back(SyncRequest{
      kGroup, 1, restarted.id, instance, std::nullopt, std::nullopt, {}}));
  EXPECT_EQ(Finish(fenced_sync).error, ErrorCode::kFencedInstanceId);
  EXPECT_EQ(coordinator_->Leave(kGroup, {{restarted.id, instance}}).members[0], ErrorCode::kFencedInstanceId);
  // Leaving by instance id alone (LeaveGroup v3+) removes the current incarnation.
  EXPECT_EQ(coordinator_->Leave(kGroup, {{"", instance}}).members[0], ErrorCode::kNone);
  EXPECT_EQ(Heartbeat(steady.id, 1), ErrorCode::kRebalanceInProgress);
}

TEST_F(GroupCoordinatorTest, ProtocolMismatchesAreRejected) {
  std::vector<JoinedMember> members = FormGroup(1);
  JoinRequest& other_type = MakeJoin();
  other_type.protocol_type = "connect";
  EXPECT_EQ(JoinNow(other_type).error, ErrorCode::kInconsistentGroupProtocol);
  JoinRequest& no_common = MakeJoin();
  no_common.protocols = {{"roundrobin", ""}};
  EXPECT_EQ(JoinNow(no_common).error, ErrorCode::kInconsistentGroupProtocol);
  JoinRequest& none = MakeJoin();
  none.protocols.clear();
  EXPECT_EQ(JoinNow(none).error, ErrorCode::kInconsistentGroupProtocol);

  SyncRequest& wrong_name = MakeSync(members[0].id, 1);
  wrong_name.protocol_type = "consumer";
  wrong_name.protocol_name = "roundrobin";
  std::future<SyncResult> sync = StartSync(wrong_name);
  EXPECT_EQ(Finish(sync).error, ErrorCode::kInconsistentGroupProtocol);

  JoinRequest& too_short = MakeJoin();
  too_short.session_timeout = 5ms;
  EXPECT_EQ(JoinNow(too_short).error, ErrorCode::kInvalidSessionTimeout);
  JoinRequest& no_group = MakeJoin();
  no_group.group_id = "";
  EXPECT_EQ(JoinNow(no_group).error, ErrorCode::kInvalidGroupId);
  EXPECT_EQ(JoinNow(MakeJoin("made-up-id")).error, ErrorCode::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, InitialDelayGathersMembersIntoTheFirstGeneration) {
  options_.initial_rebalance_delay = 150ms;
  RestartBroker();
  JoinRequest& first = MakeJoin("", "instance-a");
  JoinRequest& second = MakeJoin("", "instance-b");
  const auto started = std::chrono::steady_clock::now();
  std::future<JoinResult> join_first = StartJoin(first);
  RunFor(100ms);
  EXPECT_FALSE(IsReady(join_first));
  std::future<JoinResult> join_second = StartJoin(second);
  JoinResult r1 = Finish(join_first);
  JoinResult r2 = Finish(join_second);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 240ms);  // extended once by the late joiner
  EXPECT_EQ(r1.generation_id, 1);
  EXPECT_EQ(r2.generation_id, 1);
  EXPECT_EQ((r1.members.size() + r2.members.size()), 2u);
}

TEST_F(GroupCoordinatorTest, CommitsAreFencedByGeneration) {
  std::vector<JoinedMember> members = FormGroup(1);
  const std::string id = members[0].id;
  const TopicPartition t0{"t", 0};
  EXPECT_EQ(Commit(kGroup, id, 1, {At("t", 0, 10)}), std::vector<ErrorCode>{ErrorCode::kNone});
  EXPECT_EQ(Commit(kGroup, id, 0, {At("t", 0, 11)}), std::vector<ErrorCode>{ErrorCode::kIllegalGeneration});
  EXPECT_EQ(Commit(kGroup, "nobody", 1, {At("t", 0, 12)}), std::vector<ErrorCode>{ErrorCode::kUnknownMemberId});
  // A commit from outside the group while it has members.
  EXPECT_EQ(Commit(kGroup, "", -1, {At("t", 0, 13)}), std::vector<ErrorCode>{ErrorCode::kUnknownMemberId});
  EXPECT_EQ(FetchOffset(kGroup, t0), 10);

  // A standalone consumer of a group nobody manages.
  EXPECT_EQ(Commit("solo", "", -1, {At("t", 0, 7), At("t", 1, 8, "meta", 0)}),
            (std::vector<ErrorCode>{ErrorCode::kNone, ErrorCode::kNone}));
  EXPECT_EQ(Commit("never-seen", "m", 3, {At("t", 0, 1)}), std::vector<ErrorCode>{ErrorCode::kIllegalGeneration});
  const std::string too_long(5000, 'x');
  EXPECT_EQ(Commit("solo", "", -1, {At("t", 0, 9, too_long), At("t", 2, 5)}),
            (std::vector<ErrorCode>{ErrorCode::kOffsetMetadataTooLarge, ErrorCode::kNone}));

  FetchResult all = coordinator_->FetchOffsets("solo", std::nullopt);
  ASSERT_EQ(all.offsets.size(), 3u);
  EXPECT_EQ(all.offsets[0].offset, 7);
  EXPECT_EQ(all.offsets[1].metadata, "meta");
  EXPECT_EQ(all.offsets[1].leader_epoch, 0);
  EXPECT_EQ(FetchOffset("solo", {"t", 9}), -1);
  EXPECT_EQ(FetchOffset("no-such-group", t0), -1);
  EXPECT_TRUE(coordinator_->FetchOffsets("no-such-group", std::nullopt).offsets.empty());
}

TEST_F(GroupCoordinatorTest, CommitBeforeTheAssignmentArrivesIsRebalanceInProgress) {
  const std::string id = RequestMemberId();
  JoinResult joined = JoinNow(MakeJoin(id));
  EXPECT_EQ(Commit(kGroup, id, joined.generation_id, {At("t", 0, 1)}),
            std::vector<ErrorCode>{ErrorCode::kRebalanceInProgress});
}

TEST_F(GroupCoordinatorTest, PipelinedCommitsLandInOrder) {
  std::vector<CommitRequest*> requests;
  std::vector<std::future<std::vector<ErrorCode>>> pending;
  for (int64_t offset = 1; offset <= 20; ++offset) {
    CommitRequest& request = commits_.emplace_back();
    request.group_id = "ordered";
    request.offsets = {At("t", 0, offset)};
    pending.push_back(Start(coordinator_->CommitOffsets(request)));
  }
  for (auto& future : pending) EXPECT_EQ(Finish(future), std::vector<ErrorCode>{ErrorCode::kNone});
  EXPECT_EQ(FetchOffset("ordered", {"t", 0}), 20);
  RestartBroker();
  EXPECT_EQ(FetchOffset("ordered", {"t", 0}), 20);
}

TEST_F(GroupCoordinatorTest, OffsetsAndGroupsSurviveARestart) {
  std::vector<JoinedMember> members = FormGroup(1);
  const std::string id = members[0].id;
  ASSERT_EQ(Commit(kGroup, id, 1, {At("t", 0, 42, "m", 0)}), std::vector<ErrorCode>{ErrorCode::kNone});
  ASSERT_EQ(Commit("solo", "", -1, {At("t", 1, 5)}), std::vector<ErrorCode>{ErrorCode::kNone});
  RestartBroker();

  std::vector<GroupListing> listed = coordinator_->List({}, {});
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].group_id, kGroup);
  EXPECT_EQ(listed[0].state, "Empty");
  EXPECT_EQ(listed[0].protocol_type, "consumer");
  EXPECT_EQ(listed[1].group_id, "solo");
  EXPECT_EQ(FetchOffset(kGroup, {"t", 0}), 42);
  EXPECT_EQ(FetchOffset("solo", {"t", 1}), 5);
  // The old member must rejoin; the generation continues where it was.
  EXPECT_EQ(Heartbeat(id, 1), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(Commit(kGroup, id, 1, {At("t", 0, 43)}), std::vector<ErrorCode>{ErrorCode::kUnknownMemberId});
  EXPECT_EQ(JoinNow(MakeJoin(id)).error, ErrorCode::kUnknownMemberId);
  JoinResult rejoined = JoinNow(MakeJoin(RequestMemberId()));
  EXPECT_EQ(rejoined.generation_id, 2);
}

TEST_F(GroupCoordinatorTest, DeleteGroupsOnlyWhenEmpty) {
  std::vector<JoinedMember> members = FormGroup(1);
  ASSERT_EQ(Commit(kGroup, members[0].id, 1, {At("t", 0, 3)}), std::vector<ErrorCode>{ErrorCode::kNone});
  const std::string group = kGroup;
  const std::string unknown = "unknown";
  EXPECT_EQ(Run(coordinator_->DeleteGroup(group)), ErrorCode::kNonEmptyGroup);
  EXPECT_EQ(Run(coordinator_->DeleteGroup(unknown)), ErrorCode::kGroupIdNotFound);
  coordinator_->Leave(kGroup, {{members[0].id, std::nullopt}});
  RunFor(10ms);
  EXPECT_EQ(Run(coordinator_->DeleteGroup(group)), ErrorCode::kNone);
  EXPECT_EQ(StateOf(kGroup), "Dead");
  EXPECT_EQ(FetchOffset(kGroup, {"t", 0}), -1);
  EXPECT_TRUE(coordinator_->List({}, {}).empty());
  RestartBroker();
  EXPECT_TRUE(coordinator_->List({}, {}).empty());
}

TEST_F(GroupCoordinatorTest, OffsetDeleteSparesTopicsTheGroupConsumes) {
  std::vector<JoinedMember> members = FormGroup(1);  // subscribed to "t"
  ASSERT_EQ(Commit(kGroup, members[0].id, 1, {At("t", 0, 3), At("other", 0, 4)}),
            (std::vector<ErrorCode>{ErrorCode::kNone, ErrorCode::kNone}));
  const std::string group = kGroup;
  const std::vector<TopicPartition> both = {{"t", 0}, {"other", 0}};
  OffsetDeleteResult result = Run(coordinator_->DeleteOffsets(group, both));
  EXPECT_EQ(result.error, ErrorCode::kNone);
  EXPECT_EQ(result.partitions, (std::vector<ErrorCode>{ErrorCode::kGroupSubscribedToTopic, ErrorCode::kNone}));
  EXPECT_EQ(FetchOffset(kGroup, {"t", 0}), 3);
  EXPECT_EQ(FetchOffset(kGroup, {"other", 0}), -1);

  coordinator_->Leave(kGroup, {{members[0].id, std::nullopt}});
  RunFor(10ms);
  const std::vector<TopicPartition> subscribed = {{"t", 0}};
  EXPECT_EQ(Run(coordinator_->DeleteOffsets(group, subscribed)).partitions,
            std::vector<ErrorCode>{ErrorCode::kNone});
  EXPECT_EQ(FetchOffset(kGroup, {"t", 0}), -1);
  const std::string unknown = "unknown";
  EXPECT_EQ(Run(coordinator_->DeleteOffsets(unknown, subscribed)).error, ErrorCode::kGroupIdNotFound);
}

TEST_F(GroupCoordinatorTest, ListGroupsFiltersByStateAndType) {
  FormGroup(1);
  ASSERT_EQ(Commit("solo", "", -1, {At("t", 0, 1)}), std::vector<ErrorCode>{ErrorCode::kNone});
  auto ids = [](const std::vector<GroupListing>& listed) {
    std::vector<std::string> out;
    for (const GroupListing& group : listed) out.push_back(group.group_id);
    return out;
  };
  EXPECT_EQ(ids(coordinator_->List({"stable"}, {})), std::vector<std::string>{kGroup});
  EXPECT_EQ(ids(coordinator_->List({"Empty"}, {"Classic"})), std::vector<std::string>{"solo"});
  EXPECT_EQ(ids(coordinator_->List({"Empty", "Stable"}, {})), (std::vector<std::string>{kGroup, "solo"}));
  EXPECT_TRUE(coordinator_->List({}, {"consumer"}).empty());
  EXPECT_TRUE(coordinator_->List({"no-such-state"}, {}).empty());
}

TEST_F(GroupCoordinatorTest, ShutdownAnswersWaitingCalls) {
  std::vector<JoinedMember> members = FormGroup(2);
  const std::string leader = members[0].join.leader_id;
  const std::string follower = members[0].id == leader ? members[1].id : members[0].id;
  std::future<JoinResult> waiting = StartJoin(MakeJoin(leader));  // waits for the follower to rejoin
  RunFor(20ms);
  ASSERT_FALSE(IsReady(waiting));
  coordinator_->Shutdown();
  EXPECT_EQ(Finish(waiting).error, ErrorCode::kNotCoordinator);
  EXPECT_EQ(Heartbeat(follower, 1), ErrorCode::kNotCoordinator);
}

}  // namespace
}  // namespace kafscale::group
