// Shared by the config APIs (DescribeConfigs, AlterConfigs,
// IncrementalAlterConfigs) and CreateTopics: the view of a topic's configs
// in Kafka's terms.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cluster/topic_manager.h"

namespace kafscale::kafka {

// Kafka's ConfigResource.Type values.
constexpr int8_t kResourceTypeTopic = 2;
constexpr int8_t kResourceTypeBroker = 4;

// Kafka's ConfigSource values.
constexpr int8_t kConfigSourceTopicOverride = 1;  // DYNAMIC_TOPIC_CONFIG
constexpr int8_t kConfigSourceDefault = 5;        // DEFAULT_CONFIG

struct ConfigEntry {
  std::string name;
  std::optional<std::string> value;
  int8_t source = kConfigSourceDefault;
  int8_t type = 0;  // Kafka's ConfigType: 1 BOOLEAN, 2 STRING, 3 INT, 5 LONG, 6 DOUBLE, 7 LIST
  std::string documentation;
};

// Every known config of `topic` (or only `keys` when given), in name order.
std::vector<ConfigEntry> DescribeTopicConfigs(const cluster::TopicInfo& topic,
                                              const std::optional<std::vector<std::string>>& keys);

}  // namespace kafscale::kafka
