// GroupCoordinator: Kafka's classic consumer-group protocol (JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup) and committed offsets, for the groups
// this broker coordinates. Group metadata and committed offsets are kept in
// the MetadataStore; after a restart groups come back Empty with their
// offsets and generation, and members rejoin.
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

#include "common/noncopyable.h"
#include "common/status.h"
#include "group/group.h"
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

class GroupCoordinator : NonCopyable {
 public:
  // `store` and `pool` must outlive the coordinator.
  GroupCoordinator(boost::asio::any_io_executor executor, boost::asio::thread_pool& pool, MetadataStore& store,
                   GroupCoordinatorOptions options);
  ~GroupCoordinator();

  // Reads every stored group and its committed offsets. Call once, before
  // any other method. Corruption if a stored value cannot be decoded;
  // store errors as the store reports them.
  boost::asio::awaitable<Status> Load();

  // Answers every waiting JoinGroup/SyncGroup with NOT_COORDINATOR and stops
  // the timers; later calls answer NOT_COORDINATOR. Metadata writes already
  // queued still run.
  void Shutdown();

  // Whether this broker coordinates `group_id`. Today the single broker
  // coordinates every group; with group leases this consults the lease.
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
  // Groups whose state is in `states` (any, if empty) and whose type is in
  // `types` (any, if empty; these groups are all "classic"), by id.
  // Matching is case-insensitive.
  std::vector<GroupListing> List(const std::vector<std::string>& states, const std::vector<std::string>& types);
  // DeleteGroups: an Empty group's metadata and offsets; NON_EMPTY_GROUP if
  // it has members, GROUP_ID_NOT_FOUND if it does not exist.
  boost::asio::awaitable<ErrorCode> DeleteGroup(const std::string& group_id);

 private:
  // Request checks shared by every group operation; kNone if it may proceed.
  ErrorCode CheckGroupRequest(const std::string& group_id) const;
  std::shared_ptr<Group> FindGroup(const std::string& group_id) const;
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

  // Writes the group record in the background (latest state wins).
  void PersistInBackground(const std::shared_ptr<Group>& group);
  boost::asio::awaitable<void> PersistGroup(std::shared_ptr<Group> group);

  std::string NewMemberId(const JoinRequest& request) const;

  boost::asio::any_io_executor executor_;
  boost::asio::thread_pool& pool_;
  MetadataStore& store_;
  GroupCoordinatorOptions options_;
  bool shut_down_ = false;
  std::map<std::string, std::shared_ptr<Group>> groups_;
};

}  // namespace kafscale::group
