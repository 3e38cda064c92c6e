// Consumer-protocol bytes for group tests, built with the generated codecs
// the way Kafka consumers build them (int16 version, then the message).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "protocol/messages/consumer_protocol_assignment.h"
#include "protocol/messages/consumer_protocol_subscription.h"
#include "protocol/wire.h"

namespace kafscale::group {

inline std::string SubscriptionBytes(const std::vector<std::string>& topics, int16_t version = 1) {
  kafka::ConsumerProtocolSubscription subscription;
  subscription.topics = topics;
  kafka::Writer writer;
  writer.WriteInt16(version);
  subscription.Encode(writer, version);
  return writer.FinishFlat();
}

inline std::string AssignmentBytes(const std::vector<std::pair<std::string, std::vector<int32_t>>>& assigned) {
  kafka::ConsumerProtocolAssignment assignment;
  for (const auto& [topic, partitions] : assigned) assignment.assigned_partitions.push_back({topic, partitions});
  kafka::Writer writer;
  writer.WriteInt16(1);
  assignment.Encode(writer, 1);
  return writer.FinishFlat();
}

}  // namespace kafscale::group
