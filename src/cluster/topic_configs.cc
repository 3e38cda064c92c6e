#include "cluster/topic_configs.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>

namespace kafscale::cluster {

namespace {
using Type = TopicConfigDef::Type;

const std::vector<TopicConfigDef> kDefs = [] {
  std::vector<TopicConfigDef> defs = {
      {"cleanup.policy", Type::kList, "delete", true, "Only 'delete' is supported; log compaction is not."},
      {"compression.type", Type::kString, "producer", false, "Batches are stored as produced."},
      {"delete.retention.ms", Type::kLong, "86400000", false, ""},
      {"file.delete.delay.ms", Type::kLong, "60000", false, ""},
      {"flush.messages", Type::kLong, "9223372036854775807", false, ""},
      {"flush.ms", Type::kLong, "9223372036854775807", false, ""},
      {"index.interval.bytes", Type::kInt, "4096", false, ""},
      {"local.retention.bytes", Type::kLong, "-2", false, ""},
      {"local.retention.ms", Type::kLong, "-2", false, ""},
      {"max.compaction.lag.ms", Type::kLong, "9223372036854775807", false, ""},
      {"max.message.bytes", Type::kInt, "1048588", true, "Largest record batch accepted."},
      {"message.timestamp.after.max.ms", Type::kLong, "9223372036854775807", false, ""},
      {"message.timestamp.before.max.ms", Type::kLong, "9223372036854775807", false, ""},
      {"message.timestamp.difference.max.ms", Type::kLong, "9223372036854775807", false, ""},
      {"message.timestamp.type", Type::kString, "CreateTime", true, "Only CreateTime is supported."},
      {"min.cleanable.dirty.ratio", Type::kDouble, "0.5", false, ""},
      {"min.compaction.lag.ms", Type::kLong, "0", false, ""},
      {"min.insync.replicas", Type::kInt, "1", false, "Durability comes from the object store."},
      {"preallocate", Type::kBool, "false", false, ""},
      {"retention.bytes", Type::kLong, "-1", false, ""},
      {"retention.ms", Type::kLong, "604800000", false, ""},
      {"segment.bytes", Type::kInt, "1073741824", false, ""},
      {"segment.index.bytes", Type::kInt, "10485760", false, ""},
      {"segment.jitter.ms", Type::kLong, "0", false, ""},
      {"segment.ms", Type::kLong, "604800000", false, ""},
      {"unclean.leader.election.enable", Type::kBool, "false", false, ""},
  };
  return defs;
}();

bool ParsesAsInteger(const std::string& value, int64_t min, int64_t max) {
  int64_t parsed = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  return ec == std::errc() && end == value.data() + value.size() && parsed >= min && parsed <= max;
}
}  // namespace

const std::vector<TopicConfigDef>& TopicConfigDefs() { return kDefs; }

const TopicConfigDef* FindTopicConfig(const std::string& name) {
  auto it = std::find_if(kDefs.begin(), kDefs.end(), [&](const TopicConfigDef& d) { return name == d.name; });
  return it == kDefs.end() ? nullptr : &*it;
}

std::optional<std::string> ValidateTopicConfig(const std::string& name, const std::string& value) {
  const TopicConfigDef* def = FindTopicConfig(name);
  if (def == nullptr) return "unknown topic config '" + name + "'";
  auto invalid = [&](const std::string& expected) {
    return "invalid value '" + value + "' for config '" + name + "': expected " + expected;
  };
  switch (def->type) {
    case Type::kLong:
      if (!ParsesAsInteger(value, INT64_MIN, INT64_MAX)) return invalid("a 64-bit integer");
      break;
    case Type::kInt:
      if (!ParsesAsInteger(value, INT32_MIN, INT32_MAX)) return invalid("a 32-bit integer");
      break;
    case Type::kBool:
      if (value != "true" && value != "false") return invalid("true or false");
      break;
    case Type::kDouble: {
      char* end = nullptr;
      std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0') return invalid("a number");
      break;
    }
    case Type::kString:
    case Type::kList:
      break;
  }
  if (name == "cleanup.policy" && value != "delete") {
    return "cleanup.policy '" + value + "' is not supported: KafScale does not compact logs (use 'delete')";
  }
  if (name == "max.message.bytes" && !ParsesAsInteger(value, 0, INT32_MAX)) return invalid("a non-negative integer");
  if (name == "message.timestamp.type" && value != "CreateTime") {
    return "message.timestamp.type '" + value + "' is not supported: batches keep the producer's timestamps (CreateTime)";
  }
  return std::nullopt;
}

std::string EffectiveTopicConfig(const TopicConfigMap& overrides, const std::string& name) {
  if (auto it = overrides.find(name); it != overrides.end()) return it->second;
  const TopicConfigDef* def = FindTopicConfig(name);
  return def ? def->default_value : "";
}

}  // namespace kafscale::cluster
