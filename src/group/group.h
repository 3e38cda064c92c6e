// One classic consumer group as its coordinator sees it: the members of the
// current generation, the group's state and its committed offsets, with the
// bookkeeping rules of Kafka's classic protocol (who leads, which protocol
// is selected, static-member identities). Timing and store I/O belong to
// the GroupCoordinator.
//
// Not thread-safe: used only on the coordinator's executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/async.h"
#include "common/noncopyable.h"
#include "group/requests.h"
#include "group/write_queue.h"
#include "metastore/keys.h"  // CommittedOffsetRecord

namespace kafscale::group {

using Clock = std::chrono::steady_clock;

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };

// Kafka's names: "Empty", "PreparingRebalance", "CompletingRebalance",
// "Stable", "Dead".
std::string_view GroupStateName(GroupState state);
// Case-insensitive inverse of GroupStateName; nullopt for any other text.
std::optional<GroupState> ParseGroupState(std::string_view name);
// Whether `type` names the classic protocol's group type (ListGroups v5
// filters by type; every group here is "classic"). Case-insensitive.
bool IsClassicGroupType(std::string_view type);

// A response a JoinGroup or SyncGroup call is waiting for. The coordinator
// resolves it exactly once; Wait returns the result.
template <typename Result>
class Pending : NonCopyable {
 public:
  explicit Pending(const boost::asio::any_io_executor& executor) : done_(executor) {}
  void Resolve(Result result) {
    result_ = std::move(result);
    done_.Set();
  }
  boost::asio::awaitable<Result> Wait() {
    co_await done_.Wait();
    co_return std::move(result_);
  }

 private:
  AsyncEvent done_;
  Result result_;
};

using PendingJoin = Pending<JoinResult>;
using PendingSync = Pending<SyncResult>;

struct Member {
  std::string id;
  std::optional<std::string> instance_id;  // set for static members
  std::string client_id;
  std::string client_host;
  std::chrono::milliseconds session_timeout{0};
  std::chrono::milliseconds rebalance_timeout{0};
  std::string protocol_type;
  std::vector<Protocol> protocols;  // in the member's order of preference
  std::string assignment;           // from the leader's SyncGroup
  // A member that is not waiting on a JoinGroup or SyncGroup and has not
  // been heard from by then has failed.
  Clock::time_point session_deadline;
  std::chrono::system_clock::time_point last_heartbeat;  // wall clock, for the stored record
  std::shared_ptr<PendingJoin> pending_join;  // set while a JoinGroup waits for the join phase to end
  std::shared_ptr<PendingSync> pending_sync;  // set while a SyncGroup waits for the leader's assignment

  // The metadata offered with `protocol`, or nullptr if not offered.
  const std::string* MetadataFor(std::string_view protocol) const;
};

// Shared by the coordinator's map and by calls in flight, which keep a
// deleted group alive until they notice it is Dead.
class Group : public std::enable_shared_from_this<Group>, NonCopyable {
 public:
  Group(std::string id, const boost::asio::any_io_executor& executor);

  const std::string& id() const { return id_; }

  // --- Members -------------------------------------------------------------
  const std::map<std::string, Member>& members() const { return members_; }
  bool empty() const { return members_.empty(); }
  Member* FindMember(const std::string& member_id);
  // The first member fixes the protocol type; a group without a leader
  // takes the new member as leader.
  Member& AddMember(Member member);
  // Forgets the member (and its static identity); a new leader is picked
  // among the others if it led. Pending calls of the member are dropped
  // unresolved, so resolve them first.
  void RemoveMember(const std::string& member_id);
  // The member id that currently holds a static identity.
  std::optional<std::string> StaticMemberId(const std::string& instance_id) const;
  // A request naming `instance_id` with a member id other than the one
  // holding it comes from a fenced (older or duplicate) instance.
  bool IsStaticMemberFenced(const std::optional<std::string>& instance_id, const std::string& member_id) const;
  // Moves a static identity to `new_member_id`, keeping the member's state
  // (and leadership). The caller resolves the old member's pending calls.
  Member& ReplaceStaticMember(const std::string& instance_id, const std::string& new_member_id);

  // --- Rebalance rules -------------------------------------------------------
  // An Empty group takes any non-empty protocol list; otherwise the type must
  // match and one protocol must be offered by every member and the joiner.
  bool SupportsProtocols(const std::string& protocol_type, const std::vector<Protocol>& protocols) const;
  // The protocol every member offers that most members prefer (a member
  // votes for the first such protocol in its list); ties go to the earliest
  // in the leader's list. Requires members offering a common protocol.
  std::string SelectProtocol() const;
  // Every member has a JoinGroup waiting and no MEMBER_ID_REQUIRED joiner
  // is outstanding.
  bool AllMembersJoined() const;
  // The longest rebalance timeout of the members.
  std::chrono::milliseconds RebalanceTimeout() const;
  // If the leader has no JoinGroup waiting, hands leadership to a member
  // that has. Returns false when no member has one.
  bool ElectJoinedLeader();
  // Starts the next generation: CompletingRebalance with a selected
  // protocol, or Empty when no members are left.
  void InitNextGeneration();
  // Topics the members subscribe to, from consumer-protocol metadata;
  // nullopt when unknown (another protocol type, undecodable metadata, no
  // protocol selected yet), which callers must treat as "maybe any topic".
  std::optional<std::set<std::string>> SubscribedTopics() const;

  // --- Timing --------------------------------------------------------------
  // The earliest moment the coordinator must look at this group again
  // (time_point::max() if none).
  Clock::time_point NextDeadline() const;

  GroupState state = GroupState::kEmpty;
  int32_t generation = 0;
  std::string protocol_type;                 // empty until the first member joins
  std::optional<std::string> protocol_name;  // selected for the current generation
  std::string leader_id;                     // empty when the group has no members

  // Dynamic members told MEMBER_ID_REQUIRED, with the time their offer lapses.
  std::map<std::string, Clock::time_point> pending_members;

  // PreparingRebalance: when the join phase ends at the latest. During the
  // initial delay of a group that was Empty, the phase always runs to the
  // deadline, which each new joiner extends by the delay until
  // initial_delay_budget is spent.
  Clock::time_point join_deadline;
  bool in_initial_delay = false;
  bool member_joined_during_delay = false;
  std::chrono::milliseconds initial_delay_budget{0};

  // Members that have not sent SyncGroup since the join phase ended; they
  // are removed if they have not by sync_deadline.
  std::set<std::string> awaiting_sync;
  Clock::time_point sync_deadline;

  std::map<TopicPartition, CommittedOffsetRecord> offsets;
  // The create revision of the group lease under which the coordinator
  // created this object; every store write of the group is fenced on it.
  int64_t lease_revision = 0;

  boost::asio::steady_timer timer;  // armed for NextDeadline()
  Clock::time_point timer_expiry = Clock::time_point::max();
  WriteQueue writes;            // orders this group's store writes
  bool persist_queued = false;  // a metadata write is queued and will read the latest state

 private:
  std::string id_;
  std::map<std::string, Member> members_;
  std::map<std::string, std::string> static_members_;  // instance id -> member id
};

}  // namespace kafscale::group
