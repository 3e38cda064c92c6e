// The topic-level configuration keys this broker knows, with Kafka's defaults
// and value types, and the validation that CreateTopics / AlterConfigs apply.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kafscale::cluster {

using TopicConfigMap = std::map<std::string, std::string>;

struct TopicConfigDef {
  enum class Type { kLong, kInt, kBool, kString, kList, kDouble };
  const char* name;
  Type type;
  const char* default_value;
  bool enforced;  // false: stored and reported, but the broker does not act on it
  const char* doc;
};

// Every known key, in name order.
const std::vector<TopicConfigDef>& TopicConfigDefs();
const TopicConfigDef* FindTopicConfig(const std::string& name);

// Checks one key/value. Returns an error message, or nullopt when valid.
std::optional<std::string> ValidateTopicConfig(const std::string& name, const std::string& value);

// The effective value of `name` for a topic with `overrides`.
std::string EffectiveTopicConfig(const TopicConfigMap& overrides, const std::string& name);

}  // namespace kafscale::cluster
