#include "kafka/handlers/config_resources.h"

#include <algorithm>

namespace kafscale::kafka {

namespace {
int8_t KafkaConfigType(cluster::TopicConfigDef::Type type) {
  using Type = cluster::TopicConfigDef::Type;
  switch (type) {
    case Type::kBool: return 1;
    case Type::kString: return 2;
    case Type::kInt: return 3;
    case Type::kLong: return 5;
    case Type::kDouble: return 6;
    case Type::kList: return 7;
  }
  return 0;
}
}  // namespace

std::vector<ConfigEntry> DescribeTopicConfigs(const cluster::TopicInfo& topic,
                                              const std::optional<std::vector<std::string>>& keys) {
  std::vector<ConfigEntry> out;
  for (const cluster::TopicConfigDef& def : cluster::TopicConfigDefs()) {
    if (keys.has_value() && !keys->empty() && std::find(keys->begin(), keys->end(), def.name) == keys->end()) {
      continue;
    }
    ConfigEntry entry;
    entry.name = def.name;
    auto it = topic.configs.find(def.name);
    const bool overridden = it != topic.configs.end();
    entry.value = overridden ? it->second : std::string(def.default_value);
    entry.source = overridden ? kConfigSourceTopicOverride : kConfigSourceDefault;
    entry.type = KafkaConfigType(def.type);
    entry.documentation = def.doc;
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace kafscale::kafka
