#include "group/consumer_protocol.h"

#include <algorithm>
#include <memory>

#include "protocol/messages/consumer_protocol_assignment.h"
#include "protocol/messages/consumer_protocol_subscription.h"
#include "protocol/wire.h"

namespace kafscale::group {

namespace {

// Both messages start with an int16 version. Versions newer than the schema
// only append fields, so they are read as the newest known version, as
// Kafka's own ConsumerProtocol does.
template <typename Message>
std::optional<Message> DecodeVersioned(std::string_view bytes) {
  auto owner = std::make_shared<const std::string>(bytes);
  kafka::Reader reader(owner);
  Message message;
  try {
    const int16_t version = reader.ReadInt16("version");
    if (version < Message::kMinVersion) return std::nullopt;
    message.Decode(reader, std::min(version, Message::kMaxVersion));
  } catch (const kafka::DecodeError&) {
    return std::nullopt;
  }
  return message;
}

}  // namespace

std::optional<std::vector<std::string>> DecodeSubscribedTopics(std::string_view metadata) {
  auto subscription = DecodeVersioned<kafka::ConsumerProtocolSubscription>(metadata);
  if (!subscription) return std::nullopt;
  return std::move(subscription->topics);
}

std::optional<std::vector<TopicPartitions>> DecodeAssignedPartitions(std::string_view assignment) {
  if (assignment.empty()) return std::vector<TopicPartitions>{};
  auto decoded = DecodeVersioned<kafka::ConsumerProtocolAssignment>(assignment);
  if (!decoded) return std::nullopt;
  std::vector<TopicPartitions> out;
  for (auto& assigned : decoded->assigned_partitions) {
    out.push_back({std::move(assigned.topic), std::move(assigned.partitions)});
  }
  return out;
}

}  // namespace kafscale::group
