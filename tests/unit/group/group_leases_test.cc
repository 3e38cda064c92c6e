// Group coordination across brokers: two brokers, each a BrokerMembership
// and a GroupCoordinator, share one embedded metadata store.
#include <gtest/gtest.h>

#include <deque>

#include "group_test_support.h"
#include "metastore/embedded_store.h"
#include "metastore/keys.h"
#include "objectstore/temp_dir.h"
#include "test_broker.h"

namespace kafscale::group {
namespace {

using namespace std::chrono_literals;

constexpr char kGroup[] = "g";

class GroupLeasesTest : public ::testing::Test, public TestLoop {
 protected:
  using TestLoop::Run;  // not ::testing::Test's

  GroupLeasesTest() {
    options_.initial_rebalance_delay = 0ms;
    options_.min_session_timeout = 10ms;
    auto opened = EmbeddedMetadataStore::Open((dir_.path() / "meta").string());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }

  void StartBrokers(int32_t lease_ttl_seconds = TestBroker::kLeaseTtlSeconds) {
    one_ = std::make_unique<TestBroker>(*this, *store_, 1, options_, lease_ttl_seconds);
    two_ = std::make_unique<TestBroker>(*this, *store_, 2, options_, lease_ttl_seconds);
    // Each sees the other live.
    ASSERT_TRUE(Run(one_->membership().Refresh()).ok());
  }

  // Requests live in deques: calls in flight refer to them.
  JoinRequest& MakeJoin(std::optional<std::string> instance_id = std::nullopt) {
    JoinRequest& request = joins_.emplace_back();
    request.group_id = kGroup;
    request.instance_id = std::move(instance_id);
    request.client_id = "client";
    request.client_host = "/127.0.0.1";
    request.session_timeout = 5s;
    request.rebalance_timeout = 5s;
    request.protocol_type = "consumer";
    request.protocols = {{"range", SubscriptionBytes({"t"})}};
    return request;
  }

  // One member joins `broker`'s group "g" and receives its assignment.
  JoinResult FormGroup(TestBroker& broker) {
    JoinResult joined = Run(broker.coordinator().Join(MakeJoin()));
    EXPECT_EQ(joined.error, ErrorCode::kNone);
    SyncRequest& sync = syncs_.emplace_back();
    sync.group_id = kGroup;
    sync.member_id = joined.member_id;
    sync.generation_id = joined.generation_id;
    sync.assignments = {{joined.member_id, "assignment"}};
    EXPECT_EQ(Run(broker.coordinator().Sync(sync)).error, ErrorCode::kNone);
    return joined;
  }

  ErrorCode Commit(TestBroker& broker, const std::string& member_id, int32_t generation, int64_t offset) {
    CommitRequest& request = commits_.emplace_back();
    request.group_id = kGroup;
    request.member_id = member_id;
    request.generation_id = generation;
    request.offsets = {{.partition = {"t", 0}, .offset = offset, .leader_epoch = -1, .metadata = ""}};
    std::vector<ErrorCode> errors = Run(broker.coordinator().CommitOffsets(request));
    return errors.at(0);
  }
  ErrorCode CommitStandalone(TestBroker& broker, int64_t offset) { return Commit(broker, "", -1, offset); }

  FetchResult Fetch(TestBroker& broker) {
    return broker.coordinator().FetchOffsets(kGroup, std::vector<TopicPartition>{{"t", 0}});
  }
  int64_t FetchOffset(TestBroker& broker) {
    FetchResult result = Fetch(broker);
    EXPECT_EQ(result.error, ErrorCode::kNone);
    return result.offsets.empty() ? -2 : result.offsets[0].offset;
  }

  // The committed offset as the store has it.
  int64_t StoredOffset() {
    KeyValue kv;
    Status status = store_->Get(keys::CommittedOffsetKey(kGroup, "t", 0), &kv);
    EXPECT_TRUE(status.ok()) << status.ToString();
    Result<CommittedOffsetRecord> record = DecodeCommittedOffset(kv.value);
    return record.ok() ? record->offset : -2;
  }

  kafscale::testing::TempDir dir_;
  std::unique_ptr<EmbeddedMetadataStore> store_;
  GroupCoordinatorOptions options_;
  std::unique_ptr<TestBroker> one_;
  std::unique_ptr<TestBroker> two_;
  std::deque<JoinRequest> joins_;
  std::deque<SyncRequest> syncs_;
  std::deque<CommitRequest> commits_;
};

TEST_F(GroupLeasesTest, OnlyOneBrokerCoordinatesAGroupAndTheOtherPointsToIt) {
  StartBrokers();
  // Both look the group up at once; one lease wins and both name its holder.
  // A named string: the coroutines keep a reference to their argument.
  const std::string group = kGroup;
  std::future<CoordinatorLookup> from_one = Start(one_->coordinator().FindCoordinator(group));
  std::future<CoordinatorLookup> from_two = Start(two_->coordinator().FindCoordinator(group));
  CoordinatorLookup found_one = Finish(from_one);
  CoordinatorLookup found_two = Finish(from_two);
  ASSERT_EQ(found_one.error, ErrorCode::kNone) << found_one.message;
  ASSERT_EQ(found_two.error, ErrorCode::kNone) << found_two.message;
  EXPECT_EQ(found_one.coordinator, found_two.coordinator);
  TestBroker& holder = found_one.coordinator.id == 1 ? *one_ : *two_;
  TestBroker& other = found_one.coordinator.id == 1 ? *two_ : *one_;
  EXPECT_EQ(found_one.coordinator, holder.endpoint());
  EXPECT_TRUE(holder.coordinator().IsCoordinatorFor(kGroup));
  EXPECT_FALSE(other.coordinator().IsCoordinatorFor(kGroup));

  const JoinResult joined = FormGroup(holder);
  ASSERT_EQ(Commit(holder, joined.member_id, joined.generation_id, 5), ErrorCode::kNone);

  // Every group request on the other broker is NOT_COORDINATOR.
  GroupCoordinator& wrong = other.coordinator();
  EXPECT_EQ(Run(wrong.Join(MakeJoin())).error, ErrorCode::kNotCoordinator);
  SyncRequest& sync = syncs_.emplace_back();
  sync.group_id = kGroup;
  sync.member_id = joined.member_id;
  sync.generation_id = joined.generation_id;
  EXPECT_EQ(Run(wrong.Sync(sync)).error, ErrorCode::kNotCoordinator);
  EXPECT_EQ(wrong.Heartbeat({kGroup, joined.generation_id, joined.member_id, std::nullopt}),
            ErrorCode::kNotCoordinator);
  EXPECT_EQ(wrong.Leave(kGroup, {{joined.member_id, std::nullopt}}).error, ErrorCode::kNotCoordinator);
  EXPECT_EQ(Commit(other, joined.member_id, joined.generation_id, 6), ErrorCode::kNotCoordinator);
  EXPECT_EQ(CommitStandalone(other, 7), ErrorCode::kNotCoordinator);
  EXPECT_EQ(Fetch(other).error, ErrorCode::kNotCoordinator);
  EXPECT_EQ(wrong.Describe(kGroup).error, ErrorCode::kNotCoordinator);
  const std::vector<TopicPartition> partitions = {{"t", 0}};
  EXPECT_EQ(Run(wrong.DeleteOffsets(group, partitions)).error, ErrorCode::kNotCoordinator);
  EXPECT_EQ(Run(wrong.DeleteGroup(group)), ErrorCode::kNotCoordinator);
  // ListGroups shows only the groups a broker coordinates.
  EXPECT_TRUE(wrong.List({}, {}).empty());
  ASSERT_EQ(holder.coordinator().List({}, {}).size(), 1u);

  EXPECT_EQ(FetchOffset(holder), 5);
  EXPECT_EQ(holder.coordinator().Heartbeat({kGroup, joined.generation_id, joined.member_id, std::nullopt}),
            ErrorCode::kNone);
}

TEST_F(GroupLeasesTest, AfterTheCoordinatorLeavesAnotherBrokerTakesOverWithItsCommits) {
  StartBrokers();
  one_->Coordinate(kGroup);
  EXPECT_EQ(two_->Find(kGroup).coordinator, one_->endpoint());
  const JoinResult joined = FormGroup(*one_);
  ASSERT_EQ(Commit(*one_, joined.member_id, joined.generation_id, 42), ErrorCode::kNone);
  RunFor(50ms);  // the group record is written in the background

  one_->Leave();  // revokes its broker lease and with it the group lease
  EXPECT_EQ(one_->coordinator().Heartbeat({kGroup, joined.generation_id, joined.member_id, std::nullopt}),
            ErrorCode::kNotCoordinator);
  EXPECT_EQ(one_->Find(kGroup).error, ErrorCode::kCoordinatorNotAvailable);

  two_->Coordinate(kGroup);
  EXPECT_EQ(FetchOffset(*two_), 42);
  // The member rejoins at the new coordinator; the generation goes on.
  EXPECT_EQ(two_->coordinator().Heartbeat({kGroup, joined.generation_id, joined.member_id, std::nullopt}),
            ErrorCode::kUnknownMemberId);
  const JoinResult rejoined = FormGroup(*two_);
  EXPECT_EQ(rejoined.generation_id, joined.generation_id + 1);
  EXPECT_EQ(Commit(*two_, rejoined.member_id, rejoined.generation_id, 43), ErrorCode::kNone);
  EXPECT_EQ(StoredOffset(), 43);
}

TEST_F(GroupLeasesTest, APausedExCoordinatorCannotOverwriteItsSuccessorsCommits) {
  StartBrokers();
  one_->Coordinate(kGroup);
  ASSERT_EQ(CommitStandalone(*one_, 10), ErrorCode::kNone);

  // Broker one's lease expires while it is paused: it has not noticed yet.
  ASSERT_TRUE(store_->RevokeLease(one_->membership().lease()).ok());
  ASSERT_TRUE(one_->coordinator().IsCoordinatorFor(kGroup));
  two_->Coordinate(kGroup);
  EXPECT_EQ(FetchOffset(*two_), 10);
  ASSERT_EQ(CommitStandalone(*two_, 20), ErrorCode::kNone);

  // Its late commit is fenced, and it stops coordinating the group.
  EXPECT_EQ(CommitStandalone(*one_, 15), ErrorCode::kNotCoordinator);
  EXPECT_FALSE(one_->coordinator().IsCoordinatorFor(kGroup));
  EXPECT_EQ(Fetch(*one_).error, ErrorCode::kNotCoordinator);
  EXPECT_EQ(StoredOffset(), 20);
  EXPECT_EQ(FetchOffset(*two_), 20);
}

TEST_F(GroupLeasesTest, AHolderThatIsNotLiveIsNotAnswered) {
  StartBrokers();
  one_->Coordinate(kGroup);
  // Broker one's registration is gone (it died; its lease has yet to
  // expire, so its group lease remains for now).
  ASSERT_TRUE(store_->Delete(keys::BrokerKey(1)).ok());
  ASSERT_TRUE(Run(two_->membership().Refresh()).ok());
  CoordinatorLookup found = two_->Find(kGroup);
  EXPECT_EQ(found.error, ErrorCode::kCoordinatorNotAvailable);
  EXPECT_NE(found.message.find("not live"), std::string::npos) << found.message;
}

TEST_F(GroupLeasesTest, ALostBrokerLeaseDropsTheGroupsUntilTakenAgain) {
  options_.initial_rebalance_delay = 10s;  // keeps the first JoinGroup waiting
  StartBrokers(/*lease_ttl_seconds=*/2);
  one_->Coordinate(kGroup);
  ASSERT_EQ(CommitStandalone(*one_, 7), ErrorCode::kNone);
  const JoinRequest join = MakeJoin("instance");  // named: the coroutine keeps a reference
  std::future<JoinResult> waiting = Start(one_->coordinator().Join(join));
  RunFor(20ms);
  ASSERT_FALSE(IsReady(waiting));

  const LeaseId lost = one_->membership().lease();
  ASSERT_TRUE(store_->RevokeLease(lost).ok());
  // The next keep-alive finds the lease gone and registers anew.
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (one_->membership().lease() == lost && std::chrono::steady_clock::now() < deadline) RunFor(50ms);
  ASSERT_NE(one_->membership().lease(), lost);
  EXPECT_EQ(Finish(waiting).error, ErrorCode::kNotCoordinator);
  EXPECT_FALSE(one_->coordinator().IsCoordinatorFor(kGroup));
  EXPECT_TRUE(one_->coordinator().List({}, {}).empty());

  // Nobody holds the group now: the next lookup takes it again, offsets and all.
  one_->Coordinate(kGroup);
  EXPECT_EQ(FetchOffset(*one_), 7);
  // Broker two sees broker one's new registration on its next refresh.
  CoordinatorLookup found = two_->Find(kGroup);
  for (const auto until = std::chrono::steady_clock::now() + 3s;
       found.error != ErrorCode::kNone && std::chrono::steady_clock::now() < until;) {
    RunFor(50ms);
    found = two_->Find(kGroup);
  }
  EXPECT_EQ(found.error, ErrorCode::kNone);
  EXPECT_EQ(found.coordinator, one_->endpoint());
}

}  // namespace
}  // namespace kafscale::group
