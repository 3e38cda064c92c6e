#include "group/group_coordinator.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>

#include "common/async.h"
#include "group/consumer_protocol.h"
#include "group/group_records.h"
#include "metastore/keys.h"
#include "protocol/uuid.h"

namespace kafscale::group {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

JoinResult JoinError(ErrorCode error, const std::string& member_id) {
  JoinResult result;
  result.error = error;
  result.member_id = member_id;
  return result;
}

SyncResult SyncError(ErrorCode error) {
  SyncResult result;
  result.error = error;
  return result;
}

// Store trouble as Kafka clients understand it: retriable store errors are
// retried against the coordinator, and so is NotFound, which a write bound to
// this broker's lease gets once the lease expired (the broker is about to
// register anew); anything else is reported as such.
ErrorCode StoreError(const Status& status) {
  return status.IsRetriable() || status.IsNotFound() ? ErrorCode::kCoordinatorNotAvailable
                                                     : ErrorCode::kUnknownServerError;
}

// Java's UUID.toString() form, as in Kafka's member ids.
std::string UuidText(const kafka::Uuid& uuid) {
  std::string text;
  for (size_t i = 0; i < uuid.bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += fmt::format("{:02x}", uuid.bytes[i]);
  }
  return text;
}

// Answers whatever JoinGroup/SyncGroup the member has waiting with `error`.
void ResolvePendingCalls(Member& member, ErrorCode error) {
  if (member.pending_join) member.pending_join->Resolve(JoinError(error, member.id));
  if (member.pending_sync) member.pending_sync->Resolve(SyncError(error));
  member.pending_join.reset();
  member.pending_sync.reset();
}

// The member was heard from: its session starts over.
void RefreshSession(Member& member) {
  member.session_deadline = Clock::now() + member.session_timeout;
  member.last_heartbeat = std::chrono::system_clock::now();
}

// The current generation as a JoinGroup answer; the leader also gets every
// member with its metadata for the selected protocol.
JoinResult CurrentGeneration(const Group& group, const std::string& member_id, bool with_members) {
  JoinResult result;
  result.member_id = member_id;
  result.generation_id = group.generation;
  result.protocol_type = group.protocol_type;
  result.protocol_name = group.protocol_name;
  result.leader_id = group.leader_id;
  if (with_members && group.protocol_name) {
    for (const auto& [id, member] : group.members()) {
      const std::string* metadata = member.MetadataFor(*group.protocol_name);
      result.members.push_back({id, member.instance_id, metadata ? *metadata : std::string()});
    }
  }
  return result;
}

}  // namespace

GroupCoordinator::GroupCoordinator(asio::any_io_executor executor, asio::thread_pool& pool, MetadataStore& store,
                                   cluster::BrokerMembership& membership, GroupCoordinatorOptions options)
    : executor_(std::move(executor)), pool_(pool), store_(store), membership_(membership), options_(options) {
  std::weak_ptr<bool> alive = alive_;
  membership_.add_listener([this, alive](bool lease_replaced) {
    if (alive.lock()) OnMembershipChange(lease_replaced);
  });
}

GroupCoordinator::~GroupCoordinator() { Shutdown(); }

void GroupCoordinator::Shutdown() {
  shut_down_ = true;
  for (auto& [id, group] : groups_) StopGroup(*group);
}

void GroupCoordinator::StopGroup(Group& group) {
  group.timer.cancel();
  group.timer_expiry = Clock::time_point::max();
  for (const auto& [member_id, unused] : group.members()) {
    ResolvePendingCalls(*group.FindMember(member_id), ErrorCode::kNotCoordinator);
  }
}

// --- Group leases ---------------------------------------------------------------

asio::awaitable<CoordinatorLookup> GroupCoordinator::FindCoordinator(const std::string& group_id) {
  CoordinatorLookup lookup;
  const int32_t self_id = membership_.self_id();
  const LeaseId broker_lease = membership_.lease();
  if (shut_down_ || broker_lease == 0 || !membership_.Find(self_id)) {
    lookup.error = ErrorCode::kCoordinatorNotAvailable;
    lookup.message = shut_down_ ? "this broker is shutting down" : "this broker has not joined the cluster yet";
    co_return lookup;
  }
  if (group_id.empty()) {
    // Every broker refuses group requests without a group id
    // (INVALID_GROUP_ID), so any broker can answer for it; no lease needed.
    co_return AnswerSelf();
  }
  auto work = [this, &group_id, self_id, broker_lease] {
    std::pair<Status, GroupLeaseHolder> out;
    out.first = ClaimGroupLease(store_, group_id, self_id, broker_lease, &out.second);
    return out;
  };
  auto [status, holder] = co_await RunBlocking(pool_, work);
  if (!status.ok()) {
    spdlog::warn("group lease lookup failed group={} error=\"{}\"", group_id, status.ToString());
    lookup.error = StoreError(status);
    lookup.message = status.ToString();
    co_return lookup;
  }
  if (holder.broker_id == self_id && holder.lease == broker_lease) co_return co_await TakeOver(group_id, holder);
  if (leases_.count(group_id) > 0) {
    DropGroup(group_id, fmt::format("its lease is held by broker {}", holder.broker_id));
  }
  const cluster::BrokerEndpoint* coordinator = membership_.Find(holder.broker_id);
  if (holder.broker_id == self_id || !coordinator) {
    // The holder is gone (or is this broker under a lease since replaced):
    // the store frees the group when that broker lease expires.
    lookup.error = ErrorCode::kCoordinatorNotAvailable;
    lookup.message = fmt::format("group '{}' is held by broker {}, which is not live", group_id, holder.broker_id);
    co_return lookup;
  }
  lookup.coordinator = *coordinator;
  co_return lookup;
}

asio::awaitable<CoordinatorLookup> GroupCoordinator::TakeOver(const std::string& group_id,
                                                             const GroupLeaseHolder& lease) {
  CoordinatorLookup lookup;
  if (HoldsLease(group_id, lease.create_revision)) co_return AnswerSelf();
  // Another broker may have coordinated the group since this one last did:
  // only the store's state now counts.
  auto work = [this, &group_id] {
    std::pair<Status, std::vector<KeyValue>> out;
    out.first = store_.Range(keys::GroupPrefix(group_id), &out.second);
    return out;
  };
  auto [status, kvs] = co_await RunBlocking(pool_, work);
  Result<std::map<std::string, StoredGroup>> stored =
      status.ok() ? DecodeStoredGroups(kvs) : Result<std::map<std::string, StoredGroup>>(status);
  if (!stored.ok()) {
    spdlog::warn("group load failed group={} error=\"{}\"", group_id, stored.status().ToString());
    lookup.error = StoreError(stored.status());
    lookup.message = stored.status().ToString();
    co_return lookup;
  }
  if (membership_.lease() != lease.lease) {
    lookup.error = ErrorCode::kCoordinatorNotAvailable;
    lookup.message = "this broker's lease was replaced while it took the group over";
    co_return lookup;
  }
  // A concurrent lookup of the same group may have finished first.
  if (HoldsLease(group_id, lease.create_revision)) co_return AnswerSelf();
  if (leases_.count(group_id) > 0) DropGroup(group_id, "its lease was taken anew");
  leases_[group_id] = {lease.create_revision, lease.lease};
  size_t offsets = 0;
  // The prefix also covers groups named "<group_id>/...": pick this one.
  if (auto it = stored->find(group_id); it != stored->end()) {
    std::shared_ptr<Group> group = GetOrCreateGroup(group_id);
    group->protocol_type = it->second.protocol_type;
    group->generation = it->second.generation;
    group->offsets = std::move(it->second.offsets);
    offsets = group->offsets.size();
  }
  spdlog::info("group coordination taken group={} lease_revision={} committed_offsets={}", group_id,
               lease.create_revision, offsets);
  co_return AnswerSelf();
}

CoordinatorLookup GroupCoordinator::AnswerSelf() const {
  CoordinatorLookup lookup;
  // Read after every wait: a refresh of the live set replaces its entries.
  if (const cluster::BrokerEndpoint* self = membership_.Find(membership_.self_id())) {
    lookup.coordinator = *self;
  } else {
    lookup.error = ErrorCode::kCoordinatorNotAvailable;
    lookup.message = "this broker's registration is not live";
  }
  return lookup;
}

bool GroupCoordinator::HoldsLease(const std::string& group_id, int64_t create_revision) const {
  auto it = leases_.find(group_id);
  return it != leases_.end() && it->second.create_revision == create_revision &&
         it->second.broker_lease == membership_.lease();
}

bool GroupCoordinator::IsCoordinatorFor(const std::string& group_id) const {
  auto it = leases_.find(group_id);
  return it != leases_.end() && it->second.broker_lease == membership_.lease();
}

void GroupCoordinator::DropGroup(const std::string& group_id, const std::string& reason) {
  leases_.erase(group_id);
  auto it = groups_.find(group_id);
  if (it == groups_.end()) return;
  std::shared_ptr<Group> group = std::move(it->second);
  groups_.erase(it);
  StopGroup(*group);
  // Dead, so that calls waiting to write it give up.
  group->state = GroupState::kDead;
  spdlog::info("group coordination dropped group={} reason=\"{}\"", group_id, reason);
}

void GroupCoordinator::OnMembershipChange(bool lease_replaced) {
  if (!lease_replaced) return;
  std::vector<std::string> held;
  for (const auto& [id, unused] : leases_) held.push_back(id);
  for (const std::string& id : held) DropGroup(id, "the broker lease was lost");
}

ErrorCode GroupCoordinator::GoneError(const Group& group, ErrorCode if_deleted) const {
  return HoldsLease(group.id(), group.lease_revision) ? if_deleted : ErrorCode::kNotCoordinator;
}

asio::awaitable<ErrorCode> GroupCoordinator::WriteFenced(const std::shared_ptr<Group>& group,
                                                         const std::vector<TxnOp>& ops) {
  const Compare fence = GroupLeaseFence(group->id(), group->lease_revision);
  auto work = [this, &fence, &ops] { return ApplyFenced(store_, fence, ops); };
  Status status = co_await RunBlocking(pool_, work);
  if (status.ok()) co_return ErrorCode::kNone;
  spdlog::warn("group write failed group={} error=\"{}\"", group->id(), status.ToString());
  if (!status.IsConflict()) co_return StoreError(status);
  // Another broker coordinates the group now (or nobody, until one takes it).
  if (HoldsLease(group->id(), group->lease_revision)) DropGroup(group->id(), "its lease was lost");
  co_return ErrorCode::kNotCoordinator;
}

ErrorCode GroupCoordinator::CheckGroupRequest(const std::string& group_id) const {
  if (shut_down_) return ErrorCode::kNotCoordinator;
  if (group_id.empty()) return ErrorCode::kInvalidGroupId;
  if (!IsCoordinatorFor(group_id)) return ErrorCode::kNotCoordinator;
  return ErrorCode::kNone;
}

std::shared_ptr<Group> GroupCoordinator::FindGroup(const std::string& group_id) const {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second;
}

std::shared_ptr<Group> GroupCoordinator::GetOrCreateGroup(const std::string& group_id) {
  std::shared_ptr<Group>& slot = groups_[group_id];
  if (!slot) {
    slot = std::make_shared<Group>(group_id, executor_);
    slot->lease_revision = leases_.at(group_id).create_revision;
  }
  return slot;
}

std::string GroupCoordinator::NewMemberId(const JoinRequest& request) const {
  return request.instance_id.value_or(request.client_id) + "-" + UuidText(kafka::Uuid::Random());
}

// --- JoinGroup ----------------------------------------------------------------

asio::awaitable<JoinResult> GroupCoordinator::Join(const JoinRequest& request) {
  if (ErrorCode error = CheckGroupRequest(request.group_id); error != ErrorCode::kNone) {
    co_return JoinError(error, request.member_id);
  }
  if (request.session_timeout < options_.min_session_timeout ||
      request.session_timeout > options_.max_session_timeout) {
    co_return JoinError(ErrorCode::kInvalidSessionTimeout, request.member_id);
  }
  if (request.protocol_type.empty() || request.protocols.empty()) {
    co_return JoinError(ErrorCode::kInconsistentGroupProtocol, request.member_id);
  }
  std::shared_ptr<Group> group = FindGroup(request.group_id);
  if (!group) {
    if (!request.member_id.empty()) co_return JoinError(ErrorCode::kUnknownMemberId, request.member_id);
    group = GetOrCreateGroup(request.group_id);
  }
  if (!group->SupportsProtocols(request.protocol_type, request.protocols)) {
    co_return JoinError(ErrorCode::kInconsistentGroupProtocol, request.member_id);
  }
  auto pending = std::make_shared<PendingJoin>(executor_);
  if (request.member_id.empty()) {
    JoinAsNewMember(*group, request, pending);
  } else {
    JoinAsKnownMember(*group, request, pending);
  }
  MaybeCompleteJoin(*group);
  ScheduleTimer(group);
  co_return co_await pending->Wait();
}

void GroupCoordinator::JoinAsNewMember(Group& group, const JoinRequest& request,
                                       const std::shared_ptr<PendingJoin>& pending) {
  if (request.instance_id && group.StaticMemberId(*request.instance_id)) {
    RejoinStaticMember(group, request, pending);
    return;
  }
  const std::string member_id = NewMemberId(request);
  if (request.require_known_member_id && !request.instance_id) {
    // The member counts only once it joins again with this id, so a client
    // that gives up here leaves nothing behind but this short-lived entry.
    group.pending_members[member_id] = Clock::now() + request.session_timeout;
    pending->Resolve(JoinError(ErrorCode::kMemberIdRequired, member_id));
    return;
  }
  AddMemberAndRebalance(group, request, member_id, pending);
}

void GroupCoordinator::JoinAsKnownMember(Group& group, const JoinRequest& request,
                                         const std::shared_ptr<PendingJoin>& pending) {
  if (group.pending_members.erase(request.member_id) > 0) {
    AddMemberAndRebalance(group, request, request.member_id, pending);
    return;
  }
  if (group.IsStaticMemberFenced(request.instance_id, request.member_id)) {
    pending->Resolve(JoinError(ErrorCode::kFencedInstanceId, request.member_id));
    return;
  }
  Member* member = group.FindMember(request.member_id);
  const bool unknown_instance = request.instance_id && !group.StaticMemberId(*request.instance_id);
  if (!member || unknown_instance) {
    pending->Resolve(JoinError(ErrorCode::kUnknownMemberId, request.member_id));
    return;
  }
  const bool same_metadata = member->protocols == request.protocols;
  switch (group.state) {
    case GroupState::kPreparingRebalance:
      UpdateMemberAndRebalance(group, *member, request, pending);
      return;
    case GroupState::kCompletingRebalance:
      // A member that missed its JoinGroup response gets it again.
      if (same_metadata) {
        pending->Resolve(CurrentGeneration(group, member->id, group.leader_id == member->id));
      } else {
        UpdateMemberAndRebalance(group, *member, request, pending);
      }
      return;
    case GroupState::kStable:
      // The leader rejoins to have the group reassigned (e.g. after topic
      // metadata changed), so its JoinGroup always starts a rebalance.
      if (group.leader_id == member->id || !same_metadata) {
        UpdateMemberAndRebalance(group, *member, request, pending);
      } else {
        pending->Resolve(CurrentGeneration(group, member->id, false));
      }
      return;
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
  pending->Resolve(JoinError(ErrorCode::kUnknownMemberId, request.member_id));
}

void GroupCoordinator::RejoinStaticMember(Group& group, const JoinRequest& request,
                                          const std::shared_ptr<PendingJoin>& pending) {
  const std::string new_id = NewMemberId(request);
  const std::string previous_leader = group.leader_id;
  // Calls still waiting for the replaced instance are fenced.
  ResolvePendingCalls(*group.FindMember(*group.StaticMemberId(*request.instance_id)), ErrorCode::kFencedInstanceId);
  Member& member = group.ReplaceStaticMember(*request.instance_id, new_id);
  member.protocols = request.protocols;
  member.session_timeout = request.session_timeout;
  member.rebalance_timeout = request.rebalance_timeout;
  RefreshSession(member);
  spdlog::info("static member rejoined group={} instance={} member={}", group.id(), *request.instance_id, new_id);
  switch (group.state) {
    case GroupState::kStable:
      if (group.SelectProtocol() == group.protocol_name) {
        // The member keeps its assignment and the others are not disturbed.
        // The old leader id is returned so that this member, even if it
        // leads, does not compute an assignment a Stable group would ignore.
        JoinResult result = CurrentGeneration(group, new_id, false);
        result.leader_id = previous_leader;
        pending->Resolve(std::move(result));
        PersistInBackground(group.shared_from_this());
        return;
      }
      member.pending_join = pending;
      PrepareRebalance(group, "static member " + *request.instance_id + " rejoined with other protocols");
      return;
    case GroupState::kCompletingRebalance:
      member.pending_join = pending;
      PrepareRebalance(group, "static member " + *request.instance_id + " rejoined during the sync phase");
      return;
    case GroupState::kPreparingRebalance:
      member.pending_join = pending;
      return;
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
  pending->Resolve(JoinError(ErrorCode::kUnknownMemberId, new_id));
}

void GroupCoordinator::AddMemberAndRebalance(Group& group, const JoinRequest& request, const std::string& member_id,
                                             const std::shared_ptr<PendingJoin>& pending) {
  Member member;
  member.id = member_id;
  member.instance_id = request.instance_id;
  member.client_id = request.client_id;
  member.client_host = request.client_host;
  member.session_timeout = request.session_timeout;
  member.rebalance_timeout = request.rebalance_timeout;
  member.protocol_type = request.protocol_type;
  member.protocols = request.protocols;
  member.pending_join = pending;
  RefreshSession(member);
  if (group.state == GroupState::kPreparingRebalance && group.in_initial_delay) {
    group.member_joined_during_delay = true;
  }
  group.AddMember(std::move(member));
  MaybePrepareRebalance(group, "member " + member_id + " joined");
}

void GroupCoordinator::UpdateMemberAndRebalance(Group& group, Member& member, const JoinRequest& request,
                                                const std::shared_ptr<PendingJoin>& pending) {
  // A client that retried its JoinGroup no longer reads the earlier one.
  if (member.pending_join) member.pending_join->Resolve(JoinError(ErrorCode::kRebalanceInProgress, member.id));
  member.protocols = request.protocols;
  member.session_timeout = request.session_timeout;
  member.rebalance_timeout = request.rebalance_timeout;
  member.pending_join = pending;
  MaybePrepareRebalance(group, "member " + member.id + " rejoined");
}

// --- State transitions ----------------------------------------------------------

void GroupCoordinator::MaybePrepareRebalance(Group& group, const std::string& reason) {
  if (group.state == GroupState::kStable || group.state == GroupState::kCompletingRebalance ||
      group.state == GroupState::kEmpty) {
    PrepareRebalance(group, reason);
  }
}

void GroupCoordinator::PrepareRebalance(Group& group, const std::string& reason) {
  if (group.state == GroupState::kCompletingRebalance) ResolvePendingSyncs(group, ErrorCode::kRebalanceInProgress);
  group.awaiting_sync.clear();
  const Clock::time_point now = Clock::now();
  const milliseconds rebalance_timeout = group.RebalanceTimeout();
  if (group.state == GroupState::kEmpty) {
    const milliseconds delay = std::min(options_.initial_rebalance_delay, rebalance_timeout);
    group.in_initial_delay = true;
    group.member_joined_during_delay = false;
    group.initial_delay_budget = std::max(rebalance_timeout - options_.initial_rebalance_delay, milliseconds(0));
    group.join_deadline = now + delay;
  } else {
    group.in_initial_delay = false;
    group.join_deadline = now + rebalance_timeout;
  }
  group.state = GroupState::kPreparingRebalance;
  spdlog::info("group rebalancing group={} generation={} members={} reason=\"{}\"", group.id(), group.generation,
               group.members().size(), reason);
  MaybeCompleteJoin(group);
}

void GroupCoordinator::MaybeCompleteJoin(Group& group) {
  if (group.state == GroupState::kPreparingRebalance && !group.in_initial_delay && group.AllMembersJoined()) {
    CompleteJoin(group);
  }
}

void GroupCoordinator::ExpireJoinPhase(Group& group) {
  if (group.in_initial_delay && group.member_joined_during_delay && group.initial_delay_budget > milliseconds(0)) {
    const milliseconds delay = std::min(options_.initial_rebalance_delay, group.initial_delay_budget);
    group.initial_delay_budget -= delay;
    group.member_joined_during_delay = false;
    group.join_deadline = Clock::now() + delay;
    return;
  }
  CompleteJoin(group);
}

void GroupCoordinator::CompleteJoin(Group& group) {
  group.in_initial_delay = false;
  // Dynamic members that did not rejoin in time are gone; static members
  // keep their place (and their assignment) until they fail to sync.
  std::vector<std::string> missing;
  for (const auto& [id, member] : group.members()) {
    if (!member.pending_join && !member.instance_id) missing.push_back(id);
  }
  for (const std::string& id : missing) {
    ResolvePendingCalls(*group.FindMember(id), ErrorCode::kUnknownMemberId);
    group.RemoveMember(id);
    spdlog::info("member removed group={} member={} reason=\"did not rejoin in time\"", group.id(), id);
  }
  if (!group.ElectJoinedLeader() && !group.empty()) {
    // Nobody has rejoined yet: give the members another rebalance timeout
    // to rejoin or to fail their sessions.
    group.join_deadline = Clock::now() + group.RebalanceTimeout();
    return;
  }
  group.InitNextGeneration();
  if (group.state == GroupState::kEmpty) {
    spdlog::info("group empty group={} generation={}", group.id(), group.generation);
    PersistInBackground(group.shared_from_this());
    return;
  }
  spdlog::info("group joined group={} generation={} protocol={} leader={} members={}", group.id(), group.generation,
               group.protocol_name.value_or(""), group.leader_id, group.members().size());
  std::vector<std::string> ids;
  for (const auto& [id, member] : group.members()) ids.push_back(id);
  for (const std::string& id : ids) {
    Member& member = *group.FindMember(id);
    if (member.pending_join) {
      member.pending_join->Resolve(CurrentGeneration(group, id, id == group.leader_id));
      member.pending_join.reset();
    }
    RefreshSession(member);
  }
  group.sync_deadline = Clock::now() + group.RebalanceTimeout();
}

void GroupCoordinator::CompleteSync(Group& group, const std::vector<std::pair<std::string, std::string>>& assignments) {
  std::map<std::string, std::string> by_member(assignments.begin(), assignments.end());
  for (const auto& [id, unused] : group.members()) {
    Member& member = *group.FindMember(id);
    auto it = by_member.find(id);
    member.assignment = it == by_member.end() ? std::string() : std::move(it->second);
    if (member.pending_sync) {
      member.pending_sync->Resolve({ErrorCode::kNone, group.protocol_type, group.protocol_name, member.assignment});
      member.pending_sync.reset();
      RefreshSession(member);
    }
  }
  group.state = GroupState::kStable;
  spdlog::info("group stable group={} generation={}", group.id(), group.generation);
  PersistInBackground(group.shared_from_this());
}

void GroupCoordinator::ResolvePendingSyncs(Group& group, ErrorCode error) {
  for (const auto& [id, unused] : group.members()) {
    Member& member = *group.FindMember(id);
    member.assignment.clear();
    if (member.pending_sync) {
      member.pending_sync->Resolve(SyncError(error));
      member.pending_sync.reset();
      RefreshSession(member);
    }
  }
}

void GroupCoordinator::RemoveMemberAndUpdateGroup(Group& group, const std::string& member_id, ErrorCode pending_error,
                                                  const std::string& reason) {
  ResolvePendingCalls(*group.FindMember(member_id), pending_error);
  group.RemoveMember(member_id);
  spdlog::info("member removed group={} member={} reason=\"{}\"", group.id(), member_id, reason);
  switch (group.state) {
    case GroupState::kStable:
    case GroupState::kCompletingRebalance:
      PrepareRebalance(group, "member " + member_id + " removed: " + reason);
      break;
    case GroupState::kPreparingRebalance:
      MaybeCompleteJoin(group);
      break;
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
}

// --- SyncGroup, Heartbeat, LeaveGroup -------------------------------------------------

asio::awaitable<SyncResult> GroupCoordinator::Sync(const SyncRequest& request) {
  if (ErrorCode error = CheckGroupRequest(request.group_id); error != ErrorCode::kNone) co_return SyncError(error);
  std::shared_ptr<Group> group = FindGroup(request.group_id);
  if (!group) co_return SyncError(ErrorCode::kUnknownMemberId);
  if (group->IsStaticMemberFenced(request.instance_id, request.member_id)) {
    co_return SyncError(ErrorCode::kFencedInstanceId);
  }
  Member* member = group->FindMember(request.member_id);
  if (!member) co_return SyncError(ErrorCode::kUnknownMemberId);
  if (request.generation_id != group->generation) co_return SyncError(ErrorCode::kIllegalGeneration);
  if ((request.protocol_type && *request.protocol_type != group->protocol_type) ||
      (request.protocol_name && request.protocol_name != group->protocol_name)) {
    co_return SyncError(ErrorCode::kInconsistentGroupProtocol);
  }
  switch (group->state) {
    case GroupState::kPreparingRebalance:
      co_return SyncError(ErrorCode::kRebalanceInProgress);
    case GroupState::kStable:
      group->awaiting_sync.erase(member->id);
      RefreshSession(*member);
      co_return SyncResult{ErrorCode::kNone, group->protocol_type, group->protocol_name, member->assignment};
    case GroupState::kCompletingRebalance: {
      auto pending = std::make_shared<PendingSync>(executor_);
      if (member->pending_sync) member->pending_sync->Resolve(SyncError(ErrorCode::kRebalanceInProgress));
      member->pending_sync = pending;
      group->awaiting_sync.erase(member->id);
      if (group->leader_id == member->id) CompleteSync(*group, request.assignments);
      ScheduleTimer(group);
      co_return co_await pending->Wait();
    }
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
  co_return SyncError(ErrorCode::kUnknownMemberId);
}

ErrorCode GroupCoordinator::Heartbeat(const HeartbeatRequest& request) {
  if (ErrorCode error = CheckGroupRequest(request.group_id); error != ErrorCode::kNone) return error;
  std::shared_ptr<Group> group = FindGroup(request.group_id);
  if (!group) return ErrorCode::kUnknownMemberId;
  if (group->IsStaticMemberFenced(request.instance_id, request.member_id)) return ErrorCode::kFencedInstanceId;
  Member* member = group->FindMember(request.member_id);
  if (!member) return ErrorCode::kUnknownMemberId;
  if (request.generation_id != group->generation) return ErrorCode::kIllegalGeneration;
  RefreshSession(*member);
  return group->state == GroupState::kPreparingRebalance ? ErrorCode::kRebalanceInProgress : ErrorCode::kNone;
}

LeaveResult GroupCoordinator::Leave(const std::string& group_id, const std::vector<LeavingMember>& leaving) {
  LeaveResult result;
  if (ErrorCode error = CheckGroupRequest(group_id); error != ErrorCode::kNone) {
    result.error = error;
    result.members.assign(leaving.size(), error);
    return result;
  }
  std::shared_ptr<Group> group = FindGroup(group_id);
  if (!group) {
    result.members.assign(leaving.size(), ErrorCode::kUnknownMemberId);
    return result;
  }
  for (const LeavingMember& departing : leaving) {
    ErrorCode outcome = ErrorCode::kNone;
    if (departing.member_id.empty() && departing.instance_id) {
      if (std::optional<std::string> holder = group->StaticMemberId(*departing.instance_id)) {
        RemoveMemberAndUpdateGroup(*group, *holder, ErrorCode::kUnknownMemberId, "static member left");
      } else {
        outcome = ErrorCode::kUnknownMemberId;
      }
    } else if (group->pending_members.erase(departing.member_id) > 0) {
      MaybeCompleteJoin(*group);
    } else if (group->IsStaticMemberFenced(departing.instance_id, departing.member_id)) {
      outcome = ErrorCode::kFencedInstanceId;
    } else if (!group->FindMember(departing.member_id)) {
      outcome = ErrorCode::kUnknownMemberId;
    } else {
      RemoveMemberAndUpdateGroup(*group, departing.member_id, ErrorCode::kUnknownMemberId, "member left");
    }
    result.members.push_back(outcome);
  }
  ScheduleTimer(group);
  return result;
}

// --- Offsets --------------------------------------------------------------------

ErrorCode GroupCoordinator::AdmitCommit(Group& group, const CommitRequest& request) {
  if (group.IsStaticMemberFenced(request.instance_id, request.member_id)) return ErrorCode::kFencedInstanceId;
  // Commits from outside group management are fine while nobody consumes.
  if (request.generation_id < 0 && group.state == GroupState::kEmpty) return ErrorCode::kNone;
  Member* member = group.FindMember(request.member_id);
  if (!member) return ErrorCode::kUnknownMemberId;
  if (request.generation_id != group.generation) return ErrorCode::kIllegalGeneration;
  // The member has its new generation but not yet its assignment.
  if (group.state == GroupState::kCompletingRebalance) return ErrorCode::kRebalanceInProgress;
  RefreshSession(*member);
  return ErrorCode::kNone;
}

asio::awaitable<std::vector<ErrorCode>> GroupCoordinator::CommitOffsets(const CommitRequest& request) {
  const size_t count = request.offsets.size();
  if (ErrorCode error = CheckGroupRequest(request.group_id); error != ErrorCode::kNone) {
    co_return std::vector<ErrorCode>(count, error);
  }
  std::shared_ptr<Group> group = FindGroup(request.group_id);
  if (!group) {
    // A member of a generation this coordinator never knew.
    if (request.generation_id >= 0) co_return std::vector<ErrorCode>(count, ErrorCode::kIllegalGeneration);
    group = GetOrCreateGroup(request.group_id);
  }
  if (ErrorCode error = AdmitCommit(*group, request); error != ErrorCode::kNone) {
    co_return std::vector<ErrorCode>(count, error);
  }
  std::vector<ErrorCode> errors(count, ErrorCode::kNone);
  std::vector<size_t> written;  // indices of the offsets being stored
  std::map<TopicPartition, CommittedOffsetRecord> records;  // a partition named twice: the last wins
  const std::string committed_at = FormatRfc3339Utc(std::chrono::system_clock::now());
  for (size_t i = 0; i < count; ++i) {
    const OffsetCommit& commit = request.offsets[i];
    if (commit.metadata.size() > options_.max_offset_metadata_bytes) {
      errors[i] = ErrorCode::kOffsetMetadataTooLarge;
      continue;
    }
    records[commit.partition] = {commit.offset, commit.metadata, committed_at, commit.leader_epoch};
    written.push_back(i);
  }
  if (records.empty()) co_return errors;
  std::vector<TxnOp> ops;
  for (const auto& [tp, record] : records) {
    ops.push_back(TxnOp::Put(keys::CommittedOffsetKey(group->id(), tp.topic, tp.partition),
                             EncodeCommittedOffset(record)));
  }
  co_await group->writes.Acquire();
  WriteTurn turn(group->writes);
  ErrorCode outcome = ErrorCode::kNone;
  if (group->state == GroupState::kDead) {
    // Deleted meanwhile: the retry finds a fresh group.
    outcome = GoneError(*group, ErrorCode::kCoordinatorNotAvailable);
  } else {
    outcome = co_await WriteFenced(group, ops);
    if (outcome == ErrorCode::kNone) {
      for (auto& [tp, record] : records) group->offsets[tp] = std::move(record);
    }
  }
  for (size_t i : written) errors[i] = outcome;
  co_return errors;
}

FetchResult GroupCoordinator::FetchOffsets(const std::string& group_id,
                                           const std::optional<std::vector<TopicPartition>>& partitions) {
  FetchResult result;
  if (ErrorCode error = CheckGroupRequest(group_id); error != ErrorCode::kNone) {
    result.error = error;
    return result;
  }
  std::shared_ptr<Group> group = FindGroup(group_id);
  if (!partitions) {
    if (group) {
      for (const auto& [tp, record] : group->offsets) {
        result.offsets.push_back({tp, record.offset, record.leader_epoch, record.metadata});
      }
    }
    return result;
  }
  for (const TopicPartition& tp : *partitions) {
    FetchedOffset& out = result.offsets.emplace_back();
    out.partition = tp;
    if (!group) continue;
    if (auto it = group->offsets.find(tp); it != group->offsets.end()) {
      out.offset = it->second.offset;
      out.leader_epoch = it->second.leader_epoch;
      out.metadata = it->second.metadata;
    }
  }
  return result;
}

asio::awaitable<OffsetDeleteResult> GroupCoordinator::DeleteOffsets(const std::string& group_id,
                                                                    const std::vector<TopicPartition>& partitions) {
  OffsetDeleteResult result;
  if (ErrorCode error = CheckGroupRequest(group_id); error != ErrorCode::kNone) {
    result.error = error;
    co_return result;
  }
  std::shared_ptr<Group> group = FindGroup(group_id);
  if (!group) {
    result.error = ErrorCode::kGroupIdNotFound;
    co_return result;
  }
  const bool active = group->state != GroupState::kEmpty;
  if (active && group->protocol_type != kConsumerProtocolType) {
    result.error = ErrorCode::kNonEmptyGroup;  // cannot tell which topics it reads
    co_return result;
  }
  const std::optional<std::set<std::string>> subscribed = active ? group->SubscribedTopics() : std::nullopt;
  result.partitions.assign(partitions.size(), ErrorCode::kNone);
  std::set<TopicPartition> doomed;
  for (size_t i = 0; i < partitions.size(); ++i) {
    const TopicPartition& tp = partitions[i];
    if (active && (!subscribed || subscribed->count(tp.topic) > 0)) {
      result.partitions[i] = ErrorCode::kGroupSubscribedToTopic;
    } else if (group->offsets.count(tp) > 0) {
      doomed.insert(tp);
    }
  }
  if (doomed.empty()) co_return result;
  std::vector<TxnOp> ops;
  for (const TopicPartition& tp : doomed) {
    ops.push_back(TxnOp::Delete(keys::CommittedOffsetKey(group->id(), tp.topic, tp.partition)));
  }
  co_await group->writes.Acquire();
  WriteTurn turn(group->writes);
  if (group->state == GroupState::kDead) {
    result.error = GoneError(*group, ErrorCode::kGroupIdNotFound);
    co_return result;
  }
  result.error = co_await WriteFenced(group, ops);
  if (result.error != ErrorCode::kNone) co_return result;
  for (const TopicPartition& tp : doomed) group->offsets.erase(tp);
  co_return result;
}

// --- Administration ---------------------------------------------------------------

GroupDescription GroupCoordinator::Describe(const std::string& group_id) {
  GroupDescription description;
  description.group_id = group_id;
  if (ErrorCode error = CheckGroupRequest(group_id); error != ErrorCode::kNone) {
    description.error = error;
    return description;
  }
  std::shared_ptr<Group> group = FindGroup(group_id);
  if (!group) {
    description.state = GroupStateName(GroupState::kDead);
    return description;
  }
  description.state = GroupStateName(group->state);
  description.protocol_type = group->protocol_type;
  // Metadata and assignments are only consistent once a generation is Stable.
  const bool stable = group->state == GroupState::kStable;
  if (stable) description.protocol = group->protocol_name.value_or("");
  for (const auto& [id, member] : group->members()) {
    MemberDescription& out = description.members.emplace_back();
    out.member_id = id;
    out.instance_id = member.instance_id;
    out.client_id = member.client_id;
    out.client_host = member.client_host;
    if (stable) {
      const std::string* metadata = member.MetadataFor(description.protocol);
      out.metadata = metadata ? *metadata : std::string();
      out.assignment = member.assignment;
    }
  }
  return description;
}

std::vector<GroupListing> GroupCoordinator::List(const std::vector<std::string>& states,
                                                 const std::vector<std::string>& types) {
  std::vector<GroupListing> out;
  if (shut_down_) return out;
  const bool type_matches = types.empty() || std::any_of(types.begin(), types.end(), IsClassicGroupType);
  if (!type_matches) return out;
  for (const auto& [id, group] : groups_) {
    if (!IsCoordinatorFor(id)) continue;  // the broker lease was just replaced
    const bool state_matches = states.empty() || std::any_of(states.begin(), states.end(), [&](const std::string& s) {
                                 return ParseGroupState(s) == group->state;
                               });
    if (state_matches) out.push_back({id, group->protocol_type, std::string(GroupStateName(group->state))});
  }
  return out;
}

asio::awaitable<ErrorCode> GroupCoordinator::DeleteGroup(const std::string& group_id) {
  if (ErrorCode error = CheckGroupRequest(group_id); error != ErrorCode::kNone) co_return error;
  std::shared_ptr<Group> group = FindGroup(group_id);
  if (!group) co_return ErrorCode::kGroupIdNotFound;
  if (group->state != GroupState::kEmpty) co_return ErrorCode::kNonEmptyGroup;
  // Dead at once, so that calls waiting to write this group give up.
  group->state = GroupState::kDead;
  group->timer.cancel();
  group->timer_expiry = Clock::time_point::max();
  groups_.erase(group_id);
  std::vector<TxnOp> ops = {TxnOp::Delete(keys::GroupMetadataKey(group_id))};
  for (const auto& [tp, record] : group->offsets) {
    ops.push_back(TxnOp::Delete(keys::CommittedOffsetKey(group_id, tp.topic, tp.partition)));
  }
  co_await group->writes.Acquire();
  WriteTurn turn(group->writes);
  const ErrorCode outcome = co_await WriteFenced(group, ops);
  if (outcome != ErrorCode::kNone) {
    // Some records may remain: keep serving the group rather than lose
    // track of them, unless another broker coordinates it by now.
    if (HoldsLease(group_id, group->lease_revision)) {
      group->state = GroupState::kEmpty;
      groups_.try_emplace(group_id, group);
    }
    co_return outcome;
  }
  spdlog::info("group deleted group={} committed_offsets={}", group_id, group->offsets.size());
  co_return ErrorCode::kNone;
}

// --- Timers and persistence ------------------------------------------------------------

void GroupCoordinator::ScheduleTimer(const std::shared_ptr<Group>& group) {
  if (shut_down_) return;
  const Clock::time_point next = group->NextDeadline();
  if (next >= group->timer_expiry) return;  // an early enough wake-up is already armed
  group->timer_expiry = next;
  group->timer.expires_at(next);
  std::weak_ptr<Group> weak = group;
  group->timer.async_wait([this, weak](const boost::system::error_code& error) {
    if (error) return;  // re-armed, cancelled or destroyed
    if (std::shared_ptr<Group> locked = weak.lock()) {
      locked->timer_expiry = Clock::time_point::max();
      OnTimer(locked);
    }
  });
}

void GroupCoordinator::OnTimer(const std::shared_ptr<Group>& group) {
  if (shut_down_ || group->state == GroupState::kDead) return;
  Group& g = *group;
  const Clock::time_point now = Clock::now();
  const size_t lapsed = std::erase_if(g.pending_members, [&](const auto& entry) { return entry.second <= now; });
  std::vector<std::string> failed;
  for (const auto& [id, member] : g.members()) {
    if (!member.pending_join && !member.pending_sync && member.session_deadline <= now) failed.push_back(id);
  }
  for (const std::string& id : failed) {
    // An earlier removal may have completed a join phase that dropped it already.
    if (g.FindMember(id)) RemoveMemberAndUpdateGroup(g, id, ErrorCode::kUnknownMemberId, "session timed out");
  }
  if (lapsed > 0) MaybeCompleteJoin(g);
  const bool syncing = g.state == GroupState::kCompletingRebalance || g.state == GroupState::kStable;
  if (syncing && !g.awaiting_sync.empty() && g.sync_deadline <= now) {
    const std::vector<std::string> silent(g.awaiting_sync.begin(), g.awaiting_sync.end());
    for (const std::string& id : silent) {
      ResolvePendingCalls(*g.FindMember(id), ErrorCode::kUnknownMemberId);
      g.RemoveMember(id);
      spdlog::info("member removed group={} member={} reason=\"no SyncGroup in time\"", g.id(), id);
    }
    PrepareRebalance(g, "members did not sync in time");
  }
  if (g.state == GroupState::kPreparingRebalance && g.join_deadline <= now) ExpireJoinPhase(g);
  ScheduleTimer(group);
}

void GroupCoordinator::PersistInBackground(const std::shared_ptr<Group>& group) {
  if (group->persist_queued) return;
  group->persist_queued = true;
  asio::co_spawn(executor_, [this, group]() { return PersistGroup(group); }, AbortOnException{"group persistence"});
}

asio::awaitable<void> GroupCoordinator::PersistGroup(std::shared_ptr<Group> group) {
  co_await group->writes.Acquire();
  WriteTurn turn(group->writes);
  group->persist_queued = false;
  if (group->state == GroupState::kDead) co_return;
  const std::vector<TxnOp> ops = {TxnOp::Put(keys::GroupMetadataKey(group->id()), EncodeGroupRecord(*group))};
  co_await WriteFenced(group, ops);  // failures are logged there; the next change writes again
}

}  // namespace kafscale::group
