// Reading the "consumer" protocol's embedded messages (ConsumerProtocolSubscription
// in JoinGroup metadata, ConsumerProtocolAssignment in SyncGroup assignments).
// The broker never needs them to run a group; it reads them to answer
// OffsetDelete and to store readable group records. Pure, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "group/requests.h"

namespace kafscale::group {

// The protocol type of Kafka consumers.
inline constexpr std::string_view kConsumerProtocolType = "consumer";

struct TopicPartitions {
  std::string topic;
  std::vector<int32_t> partitions;
};

// Topics named by a subscription; nullopt if `metadata` is not one.
std::optional<std::vector<std::string>> DecodeSubscribedTopics(std::string_view metadata);
// Partitions named by an assignment (empty bytes: nothing assigned);
// nullopt if `assignment` is not one.
std::optional<std::vector<TopicPartitions>> DecodeAssignedPartitions(std::string_view assignment);

}  // namespace kafscale::group
