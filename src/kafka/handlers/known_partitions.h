// OffsetCommit and OffsetDelete answer partitions this cluster does not have
// themselves and hand the rest to the group coordinator; these helpers keep
// track of where the coordinator's answers go in the response.
#pragma once

#include <cstddef>
#include <vector>

#include "cluster/topic_manager.h"
#include "protocol/error_codes.h"

namespace kafscale::kafka {

// Where one partition's answer sits in a response: topics[topic].partitions[partition].
struct ResponseSlot {
  size_t topic = 0;
  size_t partition = 0;
};

// Appends a response entry for every requested topic and partition (same
// order, partition_index set). Partitions of unknown topics, or beyond a
// topic's partition count, are answered UNKNOWN_TOPIC_OR_PARTITION; for each
// other one `known(topic_name, request_partition)` is called and its slot
// returned, in order. Request and response topics are the generated
// messages' (name, partitions with partition_index).
template <typename RequestTopic, typename ResponseTopic, typename OnKnown>
std::vector<ResponseSlot> AnswerUnknownPartitions(const cluster::TopicManager& topics,
                                                  const std::vector<RequestTopic>& requested,
                                                  std::vector<ResponseTopic>& answered, OnKnown&& known) {
  std::vector<ResponseSlot> slots;
  for (const RequestTopic& topic : requested) {
    auto& topic_out = answered.emplace_back();
    topic_out.name = topic.name;
    const cluster::TopicInfo* info = topics.Find(topic.name);
    for (const auto& partition : topic.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = partition.partition_index;
      if (!info || partition.partition_index < 0 || partition.partition_index >= info->partitions) {
        out.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicOrPartition);
        continue;
      }
      known(topic.name, partition);
      slots.push_back({answered.size() - 1, topic_out.partitions.size() - 1});
    }
  }
  return slots;
}

// Writes the coordinator's answers (one per slot, in order) into the response.
template <typename ResponseTopic>
void FillSlots(const std::vector<ResponseSlot>& slots, const std::vector<ErrorCode>& errors,
               std::vector<ResponseTopic>& answered) {
  for (size_t i = 0; i < slots.size(); ++i) {
    answered[slots[i].topic].partitions[slots[i].partition].error_code = static_cast<int16_t>(errors[i]);
  }
}

}  // namespace kafscale::kafka
