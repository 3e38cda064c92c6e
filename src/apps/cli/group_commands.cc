#include <algorithm>
#include <set>

#include "apps/cli/commands.h"
#include "client/kafka_error.h"
#include "protocol/error_codes.h"
#include "protocol/messages/consumer_protocol_assignment.h"
#include "protocol/messages/delete_groups_request.h"
#include "protocol/messages/delete_groups_response.h"
#include "protocol/messages/describe_groups_request.h"
#include "protocol/messages/describe_groups_response.h"
#include "protocol/messages/list_groups_request.h"
#include "protocol/messages/list_groups_response.h"
#include "protocol/messages/offset_commit_request.h"
#include "protocol/messages/offset_commit_response.h"
#include "protocol/messages/offset_fetch_request.h"
#include "protocol/messages/offset_fetch_response.h"

namespace kafscale::cli {

namespace {

using client::BrokerConnection;
using client::KafkaErrorStatus;
using DescribedGroup = kafka::DescribeGroupsResponse::DescribedGroup;
using TopicPartition = std::pair<std::string, int32_t>;
using Assignment = std::vector<kafka::ConsumerProtocolAssignment::TopicPartition>;

// OffsetFetch v8 batches groups; OffsetCommit v9 belongs to the new consumer
// protocol (member epochs). This client uses the single-group forms.
constexpr int16_t kOffsetFetchMaxVersion = 7;
constexpr int16_t kOffsetCommitMaxVersion = 8;
// Kafka's reset tool commits as no member of no generation.
constexpr int32_t kNoGeneration = -1;
// A group no broker knows is described as "Dead" with no members.
constexpr std::string_view kDeadState = "Dead";
constexpr std::string_view kEmptyState = "Empty";

// The partitions in a "consumer" protocol assignment (an int16 version, then
// the assignment at that version); empty when the bytes are something else.
Assignment DecodeConsumerAssignment(const std::string& bytes) {
  try {
    kafka::Reader reader(std::make_shared<const std::string>(bytes));
    const int16_t version = reader.ReadInt16("version");
    kafka::ConsumerProtocolAssignment assignment;
    // Later versions only append fields, so they read as the newest known one.
    assignment.Decode(reader, std::clamp(version, kafka::ConsumerProtocolAssignment::kMinVersion,
                                         kafka::ConsumerProtocolAssignment::kMaxVersion));
    return assignment.assigned_partitions;
  } catch (const kafka::DecodeError&) {
    return {};
  }
}

std::string AssignmentText(const Assignment& assignment) {
  std::string text;
  for (const auto& entry : assignment) {
    text += (text.empty() ? "" : " ") + entry.topic + ":";
    for (size_t i = 0; i < entry.partitions.size(); ++i) {
      text += (i ? "," : "") + std::to_string(entry.partitions[i]);
    }
  }
  return text.empty() ? "-" : text;
}

Result<DescribedGroup> DescribeGroup(ClusterClient& client, const std::string& group) {
  DescribedGroup described;
  kafka::DescribeGroupsRequest request;
  request.groups = {group};
  Status status = client.WithRetries([&]() -> Status {
    Result<BrokerConnection*> coordinator = client.Coordinator(group);
    if (!coordinator.ok()) return coordinator.status();
    Result<kafka::DescribeGroupsResponse> response = (*coordinator)->Call<kafka::DescribeGroupsResponse>(request);
    if (!response.ok()) return response.status();
    for (auto& entry : response->groups) {
      if (entry.group_id != group) continue;
      if (Status error = KafkaErrorStatus(entry.error_code, "describing group " + group); !error.ok()) return error;
      described = std::move(entry);
      return Status::OK();
    }
    return Status::Corruption("DescribeGroups response lacks group " + group);
  });
  if (!status.ok()) return status;
  return described;
}

// Committed offsets of every partition the group has one for.
Result<std::map<TopicPartition, int64_t>> FetchCommittedOffsets(ClusterClient& client, const std::string& group) {
  std::map<TopicPartition, int64_t> committed;
  kafka::OffsetFetchRequest request;
  request.group_id = group;
  request.topics.reset();  // all topics
  Status status = client.WithRetries([&]() -> Status {
    Result<BrokerConnection*> coordinator = client.Coordinator(group);
    if (!coordinator.ok()) return coordinator.status();
    Result<kafka::OffsetFetchResponse> response =
        (*coordinator)->Call<kafka::OffsetFetchResponse>(request, kOffsetFetchMaxVersion);
    if (!response.ok()) return response.status();
    if (Status error = KafkaErrorStatus(response->error_code, "fetching offsets of group " + group); !error.ok()) {
      return error;
    }
    committed.clear();
    for (const auto& topic : response->topics) {
      for (const auto& partition : topic.partitions) {
        const std::string where = "fetching the offset of group " + group + " on " + topic.name + "/" +
                                  std::to_string(partition.partition_index);
        if (Status error = KafkaErrorStatus(partition.error_code, where); !error.ok()) return error;
        if (partition.committed_offset >= 0) {
          committed[{topic.name, partition.partition_index}] = partition.committed_offset;
        }
      }
    }
    return Status::OK();
  });
  if (!status.ok()) return status;
  return committed;
}

nlohmann::json OptionalOffset(std::optional<int64_t> offset) {
  return offset ? nlohmann::json(*offset) : nlohmann::json(nullptr);
}

std::string OffsetText(std::optional<int64_t> offset) { return offset ? std::to_string(*offset) : "-"; }

}  // namespace

Result<CommandResult> RunGroupsList(ClusterClient& client) {
  Result<kafka::MetadataResponse> metadata = client.Metadata(std::vector<std::string>{});
  if (!metadata.ok()) return metadata.status();
  // Each coordinator lists only its own groups, so ask every broker.
  std::map<std::string, kafka::ListGroupsResponse::ListedGroup> groups;
  for (const auto& broker : metadata->brokers) {
    Status status = client.WithRetries([&]() -> Status {
      Result<BrokerConnection*> connection = client.Broker(broker.node_id);
      if (!connection.ok()) return connection.status();
      Result<kafka::ListGroupsResponse> response = (*connection)->Call<kafka::ListGroupsResponse>(
          kafka::ListGroupsRequest{});
      if (!response.ok()) return response.status();
      if (Status error = KafkaErrorStatus(response->error_code, "listing groups on " + (*connection)->address());
          !error.ok()) {
        return error;
      }
      for (auto& group : response->groups) groups[group.group_id] = std::move(group);
      return Status::OK();
    });
    if (!status.ok()) return status;
  }
  CommandResult result;
  result.json = nlohmann::json::array();
  Table table{"", {"group", "state", "protocol type"}, {}};
  for (const auto& [id, group] : groups) {
    result.json.push_back({{"group", id}, {"state", group.group_state}, {"protocol_type", group.protocol_type}});
    table.rows.push_back({id, group.group_state.empty() ? "-" : group.group_state,
                          group.protocol_type.empty() ? "-" : group.protocol_type});
  }
  result.tables.push_back(std::move(table));
  return result;
}

Result<CommandResult> RunGroupsDescribe(ClusterClient& client, const std::string& group) {
  Result<DescribedGroup> described = DescribeGroup(client, group);
  if (!described.ok()) return described.status();
  Result<std::map<TopicPartition, int64_t>> committed = FetchCommittedOffsets(client, group);
  if (!committed.ok()) return committed.status();
  if (described->group_state == kDeadState && described->members.empty() && committed->empty()) {
    return Status::NotFound("group " + group + " does not exist");
  }

  CommandResult result;
  Table members{"Members", {"member id", "instance id", "client id", "host", "assignment"}, {}};
  nlohmann::json members_json = nlohmann::json::array();
  std::map<TopicPartition, std::string> owners;
  for (const auto& member : described->members) {
    const Assignment assignment = described->protocol_type == "consumer"
                                      ? DecodeConsumerAssignment(member.member_assignment)
                                      : Assignment{};
    nlohmann::json assignment_json = nlohmann::json::array();
    for (const auto& entry : assignment) {
      assignment_json.push_back({{"topic", entry.topic}, {"partitions", entry.partitions}});
      for (int32_t partition : entry.partitions) owners[{entry.topic, partition}] = member.member_id;
    }
    members_json.push_back({{"member_id", member.member_id},
                            {"group_instance_id", OptionalText(member.group_instance_id)},
                            {"client_id", member.client_id},
                            {"client_host", member.client_host},
                            {"assignment", std::move(assignment_json)}});
    members.rows.push_back({member.member_id, member.group_instance_id.value_or("-"), member.client_id,
                            member.client_host, AssignmentText(assignment)});
  }

  // Lag covers every partition with a committed offset or an owner.
  std::map<std::string, std::set<int32_t>> partitions_by_topic;
  for (const auto& [key, offset] : *committed) partitions_by_topic[key.first].insert(key.second);
  for (const auto& [key, owner] : owners) partitions_by_topic[key.first].insert(key.second);
  Table offsets{"Offsets", {"topic", "partition", "committed offset", "end offset", "lag", "member id"}, {}};
  nlohmann::json offsets_json = nlohmann::json::array();
  for (const auto& [topic, partitions] : partitions_by_topic) {
    // A deleted topic has no end offsets; its rows show "-" rather than failing.
    Result<std::map<int32_t, client::ListedOffset>> ends =
        client.ListOffsets(topic, {partitions.begin(), partitions.end()}, client::kLatestOffsetTimestamp);
    for (int32_t partition : partitions) {
      std::optional<int64_t> committed_offset;
      if (auto found = committed->find({topic, partition}); found != committed->end()) committed_offset = found->second;
      std::optional<int64_t> end_offset;
      if (ends.ok() && ends->contains(partition)) end_offset = ends->at(partition).offset;
      std::optional<int64_t> lag;
      if (committed_offset && end_offset) lag = std::max<int64_t>(0, *end_offset - *committed_offset);
      const auto owner = owners.find({topic, partition});
      const std::optional<std::string> owner_id =
          owner == owners.end() ? std::nullopt : std::optional<std::string>(owner->second);
      offsets_json.push_back({{"topic", topic},
                              {"partition", partition},
                              {"committed_offset", OptionalOffset(committed_offset)},
                              {"end_offset", OptionalOffset(end_offset)},
                              {"lag", OptionalOffset(lag)},
                              {"member_id", OptionalText(owner_id)}});
      offsets.rows.push_back({topic, std::to_string(partition), OffsetText(committed_offset), OffsetText(end_offset),
                              OffsetText(lag), owner_id.value_or("-")});
    }
  }
  result.json = {{"group", group},
                 {"state", described->group_state},
                 {"protocol_type", described->protocol_type},
                 {"protocol", described->protocol_data},
                 {"members", std::move(members_json)},
                 {"offsets", std::move(offsets_json)}};
  result.lines.push_back("Group: " + group);
  result.lines.push_back("State: " + described->group_state);
  result.lines.push_back("Protocol: " + (described->protocol_type.empty() ? "-" : described->protocol_type) +
                         (described->protocol_data.empty() ? "" : " (" + described->protocol_data + ")"));
  result.tables.push_back(std::move(members));
  result.tables.push_back(std::move(offsets));
  return result;
}

Result<CommandResult> RunGroupsResetOffsets(ClusterClient& client, const ResetOffsetsArgs& args) {
  Result<DescribedGroup> described = DescribeGroup(client, args.group);
  if (!described.ok()) return described.status();
  if (described->group_state != kEmptyState && described->group_state != kDeadState) {
    return Status::Conflict("group " + args.group + " is " + described->group_state + " with " +
                            std::to_string(described->members.size()) +
                            " members; reset-offsets needs an empty group (stop its consumers first)");
  }
  Result<std::map<TopicPartition, int64_t>> committed = FetchCommittedOffsets(client, args.group);
  if (!committed.ok()) return committed.status();

  std::map<TopicPartition, int64_t> targets;
  for (const std::string& topic : args.topics) {
    Result<kafka::MetadataResponse::MetadataResponseTopic> metadata = DescribeTopicMetadata(client, topic);
    if (!metadata.ok()) return metadata.status();
    const std::vector<int32_t> existing = PartitionIds(*metadata);
    std::vector<int32_t> partitions = args.partitions.empty() ? existing : args.partitions;
    for (int32_t partition : partitions) {
      if (!std::binary_search(existing.begin(), existing.end(), partition)) {
        return Status::InvalidArgument("topic " + topic + " has no partition " + std::to_string(partition));
      }
    }
    Result<std::map<int32_t, client::ListedOffset>> earliest =
        client.ListOffsets(topic, partitions, client::kEarliestOffsetTimestamp);
    if (!earliest.ok()) return earliest.status();
    Result<std::map<int32_t, client::ListedOffset>> latest =
        client.ListOffsets(topic, partitions, client::kLatestOffsetTimestamp);
    if (!latest.ok()) return latest.status();
    std::map<int32_t, client::ListedOffset> by_time;
    if (args.strategy == ResetStrategy::kTimestamp) {
      Result<std::map<int32_t, client::ListedOffset>> found = client.ListOffsets(topic, partitions, args.value);
      if (!found.ok()) return found.status();
      by_time = std::move(*found);
    }
    for (int32_t partition : partitions) {
      const int64_t low = earliest->at(partition).offset;
      const int64_t high = latest->at(partition).offset;
      int64_t target = low;
      switch (args.strategy) {
        case ResetStrategy::kEarliest: target = low; break;
        case ResetStrategy::kLatest: target = high; break;
        // No record at or after the timestamp: the end, as Kafka's tool does.
        case ResetStrategy::kTimestamp:
          target = by_time[partition].offset < 0 ? high : by_time[partition].offset;
          break;
        // Offsets outside the log are clamped into it, as Kafka's tool does.
        case ResetStrategy::kOffset: target = std::clamp(args.value, low, high); break;
      }
      targets[{topic, partition}] = target;
    }
  }

  if (!args.dry_run) {
    kafka::OffsetCommitRequest request;
    request.group_id = args.group;
    request.generation_id_or_member_epoch = kNoGeneration;
    request.member_id = "";
    for (const auto& [key, offset] : targets) {
      if (request.topics.empty() || request.topics.back().name != key.first) {
        request.topics.emplace_back().name = key.first;
      }
      auto& partition = request.topics.back().partitions.emplace_back();
      partition.partition_index = key.second;
      partition.committed_offset = offset;
      partition.committed_metadata = "";
    }
    Status status = client.WithRetries([&]() -> Status {
      Result<BrokerConnection*> coordinator = client.Coordinator(args.group);
      if (!coordinator.ok()) return coordinator.status();
      Result<kafka::OffsetCommitResponse> response =
          (*coordinator)->Call<kafka::OffsetCommitResponse>(request, kOffsetCommitMaxVersion);
      if (!response.ok()) return response.status();
      for (const auto& topic : response->topics) {
        for (const auto& partition : topic.partitions) {
          const std::string where = "committing the offset of group " + args.group + " on " + topic.name + "/" +
                                    std::to_string(partition.partition_index);
          if (Status error = KafkaErrorStatus(partition.error_code, where); !error.ok()) return error;
        }
      }
      return Status::OK();
    });
    if (!status.ok()) return status;
  }

  CommandResult result;
  Table table{"", {"topic", "partition", "previous offset", "new offset"}, {}};
  nlohmann::json offsets = nlohmann::json::array();
  for (const auto& [key, offset] : targets) {
    std::optional<int64_t> previous;
    if (auto found = committed->find(key); found != committed->end()) previous = found->second;
    offsets.push_back({{"topic", key.first},
                       {"partition", key.second},
                       {"previous_offset", OptionalOffset(previous)},
                       {"new_offset", offset}});
    table.rows.push_back({key.first, std::to_string(key.second), OffsetText(previous), std::to_string(offset)});
  }
  result.json = {{"group", args.group}, {"dry_run", args.dry_run}, {"offsets", std::move(offsets)}};
  result.lines.push_back(args.dry_run ? "dry run: offsets group " + args.group + " would get (nothing committed)"
                                      : "committed new offsets for group " + args.group);
  result.tables.push_back(std::move(table));
  return result;
}

Result<CommandResult> RunGroupsDelete(ClusterClient& client, const std::vector<std::string>& groups) {
  std::vector<std::string> deleted;
  std::string failures;
  for (const std::string& group : groups) {
    kafka::DeleteGroupsRequest request;
    request.groups_names = {group};
    Status status = client.WithRetries([&]() -> Status {
      Result<BrokerConnection*> coordinator = client.Coordinator(group);
      if (!coordinator.ok()) return coordinator.status();
      Result<kafka::DeleteGroupsResponse> response = (*coordinator)->Call<kafka::DeleteGroupsResponse>(request);
      if (!response.ok()) return response.status();
      for (const auto& entry : response->results) {
        if (entry.group_id != group) continue;
        switch (static_cast<kafka::ErrorCode>(entry.error_code)) {
          case kafka::ErrorCode::kGroupIdNotFound:
            return Status::NotFound("group " + group + " does not exist");
          case kafka::ErrorCode::kNonEmptyGroup:
            return Status::Conflict("group " + group + " is not empty (stop its consumers first)");
          default:
            return KafkaErrorStatus(entry.error_code, "deleting group " + group);
        }
      }
      return Status::Corruption("DeleteGroups response lacks group " + group);
    });
    if (status.ok()) {
      deleted.push_back(group);
    } else {
      failures += (failures.empty() ? "" : "; ") + status.message();
    }
  }
  if (!failures.empty()) {
    if (!deleted.empty()) {
      failures += " (deleted:";
      for (const std::string& name : deleted) failures += " " + name;
      failures += ")";
    }
    return Status::InvalidArgument(failures);
  }
  CommandResult result;
  result.json = {{"deleted", deleted}};
  for (const std::string& group : deleted) result.lines.push_back("deleted group " + group);
  return result;
}

}  // namespace kafscale::cli
