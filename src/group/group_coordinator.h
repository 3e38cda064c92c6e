// GroupCoordinator: Kafka's classic consumer-group protocol (JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup) and committed offsets, for the groups
// this broker coordinates. Group metadata and committed offsets are kept in
// the MetadataStore.
//
// Across brokers each group has exactly one coordinator: the broker holding
// the group's lease (keys::GroupLeaseKey, bound to the broker's membership
// lease). FindCoordinator takes a lease nobody holds; taking it loads the
// group's stored state (Empty, with its generation and committed offsets;
// members rejoin). Every group request on a broker without the lease is
// NOT_COORDINATOR, and every store write is fenced on the lease's create
// revision, so a broker that lost the lease (paused past the TTL, say)
// cannot overwrite its successor's commits. A lost lease drops the group's
// in-memory state.
//
// Threading: every method runs on the executor given at construction (the
// broker's core executor) and is not thread-safe; store calls run on the
// I/O pool. Coroutine parameters are references to objects the caller keeps
// alive until the call completes (g++ 12 mishandles temporaries there).
//
// Errors are Kafka error codes, as Kafka's coordinator returns them.
// JoinGroup and SyncGroup calls may wait (for the other members, for the
// leader's assignment); every wait ends within the group's rebalance
// timeout, when the member is removed, or at Shutdown.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/broker_membership.h"
#include "common/noncopyable.h"
#include "common/status.h"
#include "group/group.h"
#include "group/group_records.h"
#include "group/requests.h"
#include "metastore/metadata_store.h"

namespace kafscale::group {

struct GroupCoordinatorOptions {
  // group.initial.rebalance.delay.ms: how long the first rebalance of an
  // Empty group waits for more members (extended per joiner, up to the
  // rebalance timeout).
  std::chrono::milliseconds initial_rebalance_delay{3000};
  // group.min/max.session.timeout.ms: JoinGroup outside is INVALID_SESSION_TIMEOUT.
  std::chrono::milliseconds min_session_timeout{6000};
  std::chrono::milliseconds max_session_timeout{1800000};
  // offset.metadata.max.bytes: longer commit metadata is OFFSET_METADATA_TOO_LARGE.
  size_t max_offset_metadata_bytes = 4096;
};

// FindCoordinator's answer for one group.
struct CoordinatorLookup {
  ErrorCode error = ErrorCode::kNone;
  std::string message;                  // why, when error is set
  cluster::BrokerEndpoint coordinator;  // when error is kNone
};

class GroupCoordinator : NonCopyable {
 public:
  // `store`, `pool` and `membership` must outlive the coordinator, and
  // `membership` must not have joined yet (the coordinator listens to it for
  // lost broker leases). Groups are coordinated once membership has joined.
  GroupCoordinator(boost::asio::any_io_executor executor, boost::asio::thread_pool& pool, MetadataStore& store,
                   cluster::BrokerMembership& membership, GroupCoordinatorOptions options);
  ~GroupCoordinator();

  // Answers every waiting JoinGroup/SyncGroup with NOT_COORDINATOR and stops
  // the timers; later calls answer NOT_COORDINATOR (FindCoordinator:
  // COORDINATOR_NOT_AVAILABLE). Metadata writes already queued still run.
  void Shutdown();

  // FindCoordinator for a group: the live broker holding its lease. If no
  // broker holds it, this broker takes it and loads the group's state from
  // the store. COORDINATOR_NOT_AVAILABLE (retriable) when the holder is not
  // live (its lease has yet to expire), before this broker joined, or on
  // retriable store trouble; UNKNOWN_SERVER_ERROR for undecodable records.
  boost::asio::awaitable<CoordinatorLookup> FindCoordinator(const std::string& group_id);

  // Whether this broker holds the group's lease under its current broker
  // lease and has loaded the group.
  bool IsCoordinatorFor(const std::string& group_id) const;

  // JoinGroup: waits until the join phase of the next generation ends (or
  // answers at once for errors, MEMBER_ID_REQUIRED, and followers joining a
  // Stable group with unchanged metadata).
  boost::asio::awaitable<JoinResult> Join(const JoinRequest& request);
  // SyncGroup: the leader's call distributes its assignment; followers wait
  // for it (a Stable group answers at once with the member's assignment).
  boost::asio::awaitable<SyncResult> Sync(const SyncRequest& request);
  // Heartbeat: keeps the member alive; REBALANCE_IN_PROGRESS asks it to rejoin.
  ErrorCode Heartbeat(const HeartbeatRequest& request);
  // LeaveGroup: removes the members (a rebalance follows).
  LeaveResult Leave(const std::string& group_id, const std::vector<LeavingMember>& members);

  // OffsetCommit: durable in the store before it returns. One error per
  // offset, in order. The caller has already rejected unknown partitions.
  boost::asio::awaitable<std::vector<ErrorCode>> CommitOffsets(const CommitRequest& request);
  // OffsetFetch: the committed offsets of `partitions` (-1 where nothing is
  // committed), or every committed offset of the group when nullopt.
  FetchResult FetchOffsets(const std::string& group_id, const std::optional<std::vector<TopicPartition>>& partitions);
  // OffsetDelete: removes committed offsets unless a member subscribes to
  // the topic (GROUP_SUBSCRIBED_TO_TOPIC).
  boost::asio::awaitable<OffsetDeleteResult> DeleteOffsets(const std::string& group_id,
                                                           const std::vector<TopicPartition>& partitions);

  GroupDescription Describe(const std::string& group_id);
  // The groups this broker coordinates whose state is in `states` (any, if
  // empty) and whose type is in
  // `types` (any, if empty; these groups are all "classic"), by id.
  // Matching is case-insensitive.
  std::vector<GroupListing> List(const std::vector<std::string>& states, const std::vector<std::string>& types);
  // DeleteGroups: an Empty group's metadata and offsets; NON_EMPTY_GROUP if
  // it has members, GROUP_ID_NOT_FOUND if it does not exist.
  boost::asio::awaitable<ErrorCode> DeleteGroup(const std::string& group_id);

 private:
  // A group lease this broker holds.
  struct HeldLease {
    int64_t create_revision = 0;  // fences every write of the group
    LeaseId broker_lease = 0;     // the membership lease it is bound to
  };

  // Request checks shared by every group operation; kNone if it may proceed.
  ErrorCode CheckGroupRequest(const std::string& group_id) const;
  std::shared_ptr<Group> FindGroup(const std::string& group_id) const;
  // Requires IsCoordinatorFor(group_id).
  std::shared_ptr<Group> GetOrCreateGroup(const std::string& group_id);
  // OffsetCommit's membership and generation checks; kNone if the commit may proceed.
  ErrorCode AdmitCommit(Group& group, const CommitRequest& request);

  // Join paths. Each resolves `pending` now or leaves it on the member for
  // the end of the join phase.
  void JoinAsNewMember(Group& group, const JoinRequest& request, const std::shared_ptr<PendingJoin>& pending);
  void JoinAsKnownMember(Group& group, const JoinRequest& request, const std::shared_ptr<PendingJoin>& pending);
  void RejoinStaticMember(Group& group, const JoinRequest& request, const std::shared_ptr<PendingJoin>& pending);
  void AddMemberAndRebalance(Group& group, const JoinRequest& request, const std::string& member_id,
                             const std::shared_ptr<PendingJoin>& pending);
  void UpdateMemberAndRebalance(Group& group, Member& member, const JoinRequest& request,
                                const std::shared_ptr<PendingJoin>& pending);

  // State transitions.
  void MaybePrepareRebalance(Group& group, const std::string& reason);
  void PrepareRebalance(Group& group, const std::string& reason);
  void MaybeCompleteJoin(Group& group);
  void CompleteJoin(Group& group);
  void CompleteSync(Group& group, const std::vector<std::pair<std::string, std::string>>& assignments);
  // Removes the member, answering its waiting calls with `pending_error`.
  void RemoveMemberAndUpdateGroup(Group& group, const std::string& member_id, ErrorCode pending_error,
                                  const std::string& reason);
  void ResolvePendingSyncs(Group& group, ErrorCode error);

  // Timers: each group's timer is armed for its NextDeadline().
  void ScheduleTimer(const std::shared_ptr<Group>& group);
  void OnTimer(const std::shared_ptr<Group>& group);
  void ExpireJoinPhase(Group& group);

  // Group leases. TakeOver loads the group's stored state under a lease
  // this broker has just been found to hold; kNone once it coordinates.
  boost::asio::awaitable<CoordinatorLookup> TakeOver(const std::string& group_id, const GroupLeaseHolder& lease);
  bool HoldsLease(const std::string& group_id, int64_t create_revision) const;
  // FindCoordinator's answer naming this broker.
  CoordinatorLookup AnswerSelf() const;
  // Forgets the lease and the group's in-memory state; waiting calls are
  // answered NOT_COORDINATOR (their members rejoin at the new coordinator).
  void DropGroup(const std::string& group_id, const std::string& reason);
  void OnMembershipChange(bool lease_replaced);
  // Stops the group's timer and answers its waiting calls with NOT_COORDINATOR.
  void StopGroup(Group& group);
  // What a write answers when its group went away while it waited for its
  // turn: `if_deleted` if this broker still coordinates the group (it was
  // deleted), NOT_COORDINATOR if the group was dropped.
  ErrorCode GoneError(const Group& group, ErrorCode if_deleted) const;
  // Writes `ops` fenced on the group's lease. A failed fence drops the group
  // and answers NOT_COORDINATOR; store trouble is StoreError's. The caller
  // holds the group's write turn.
  boost::asio::awaitable<ErrorCode> WriteFenced(const std::shared_ptr<Group>& group, const std::vector<TxnOp>& ops);

  // Writes the group record in the background (latest state wins).
  void PersistInBackground(const std::shared_ptr<Group>& group);
  boost::asio::awaitable<void> PersistGroup(std::shared_ptr<Group> group);

  std::string NewMemberId(const JoinRequest& request) const;

  boost::asio::any_io_executor executor_;
  boost::asio::thread_pool& pool_;
  MetadataStore& store_;
  cluster::BrokerMembership& membership_;
  GroupCoordinatorOptions options_;
  bool shut_down_ = false;
  std::map<std::string, HeldLease> leases_;
  // Only groups whose lease is in leases_ (a deleted group keeps its lease).
  std::map<std::string, std::shared_ptr<Group>> groups_;
  // The membership keeps its listeners for its lifetime; the one this
  // coordinator adds checks that the coordinator still exists.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kafscale::group
