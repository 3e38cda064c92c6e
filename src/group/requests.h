// Inputs and outputs of the GroupCoordinator's operations, in the terms of
// Kafka's classic group protocol but independent of any wire version: the
// Kafka handlers translate between these and the generated messages.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/error_codes.h"

namespace kafscale::group {

using kafka::ErrorCode;

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

// One protocol a member offers in JoinGroup (for consumers: an assignor
// name and the member's subscription).
struct Protocol {
  std::string name;
  std::string metadata;
  bool operator==(const Protocol&) const = default;
};

struct JoinRequest {
  std::string group_id;
  std::string member_id;  // empty on a member's first join
  std::optional<std::string> instance_id;  // group.instance.id of a static member
  std::string client_id;
  std::string client_host;
  std::chrono::milliseconds session_timeout{0};
  std::chrono::milliseconds rebalance_timeout{0};
  std::string protocol_type;
  std::vector<Protocol> protocols;  // in the member's order of preference
  // JoinGroup v4+: a dynamic member without an id is given one and must
  // join again with it (MEMBER_ID_REQUIRED) before it counts as a member.
  bool require_known_member_id = false;
};

struct JoinedMember {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::string metadata;  // for the selected protocol
};

struct JoinResult {
  ErrorCode error = ErrorCode::kNone;
  std::string member_id;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader_id;
  std::vector<JoinedMember> members;  // filled for the leader only
};

struct SyncRequest {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> instance_id;
  // SyncGroup v5+: checked against the group's when set.
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  // The leader's assignment (member id, bytes); followers send none.
  std::vector<std::pair<std::string, std::string>> assignments;
};

struct SyncResult {
  ErrorCode error = ErrorCode::kNone;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string assignment;  // exactly the bytes the leader gave this member
};

struct HeartbeatRequest {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> instance_id;
};

// A member named in LeaveGroup: by member id, or (static members, v3+) by
// instance id with an empty member id.
struct LeavingMember {
  std::string member_id;
  std::optional<std::string> instance_id;
};

struct LeaveResult {
  ErrorCode error = ErrorCode::kNone;  // about the whole group
  std::vector<ErrorCode> members;      // one per LeavingMember, in order
};

struct OffsetCommit {
  TopicPartition partition;
  int64_t offset = 0;
  int32_t leader_epoch = -1;
  std::string metadata;
};

struct CommitRequest {
  std::string group_id;
  // -1 with an empty member id: a commit from outside group management
  // (admin tools, manually assigned consumers), allowed while the group is Empty.
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> instance_id;
  std::vector<OffsetCommit> offsets;
};

struct FetchedOffset {
  TopicPartition partition;
  int64_t offset = -1;  // -1: nothing committed
  int32_t leader_epoch = -1;
  std::string metadata;
};

struct FetchResult {
  ErrorCode error = ErrorCode::kNone;
  std::vector<FetchedOffset> offsets;
};

struct MemberDescription {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  std::string metadata;    // for the selected protocol; empty unless the group is Stable
  std::string assignment;  // empty unless the group is Stable
};

struct GroupDescription {
  ErrorCode error = ErrorCode::kNone;
  std::string group_id;
  std::string state;  // Kafka's state name; "Dead" for an unknown group
  std::string protocol_type;
  std::string protocol;  // selected protocol; empty unless the group is Stable
  std::vector<MemberDescription> members;
};

struct GroupListing {
  std::string group_id;
  std::string protocol_type;
  std::string state;
};

struct OffsetDeleteResult {
  ErrorCode error = ErrorCode::kNone;  // about the whole group
  std::vector<ErrorCode> partitions;   // one per requested partition, in order
};

}  // namespace kafscale::group
