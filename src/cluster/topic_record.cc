#include "cluster/topic_record.h"

#include <charconv>

#include "metastore/keys.h"
#include "metastore/proto/kafscale_metadata.pb.h"

namespace kafscale::cluster {

namespace {
// retention.ms etc. have fields of their own in the original format.
int64_t ConfigAsInt64(const TopicConfigMap& configs, const std::string& name) {
  const std::string value = EffectiveTopicConfig(configs, name);
  int64_t parsed = 0;
  std::from_chars(value.data(), value.data() + value.size(), parsed);
  return parsed;
}
}  // namespace

std::string EncodeTopicRecord(const TopicInfo& info) {
  kafscale::metadata::TopicConfig record;
  record.set_name(info.name);
  record.set_partitions(info.partitions);
  record.set_replication_factor(info.replication_factor);
  record.set_retention_ms(ConfigAsInt64(info.configs, "retention.ms"));
  record.set_retention_bytes(ConfigAsInt64(info.configs, "retention.bytes"));
  record.set_segment_bytes(ConfigAsInt64(info.configs, "segment.bytes"));
  record.set_created_at(FormatRfc3339Utc(std::chrono::system_clock::now()));
  for (const auto& [name, value] : info.configs) (*record.mutable_config())[name] = value;
  record.set_topic_id(std::string(reinterpret_cast<const char*>(info.id.bytes.data()), info.id.bytes.size()));
  return record.SerializeAsString();
}

Status DecodeTopicRecord(std::string_view bytes, TopicInfo* info) {
  kafscale::metadata::TopicConfig record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption("not a kafscale.metadata.TopicConfig");
  }
  if (record.topic_id().size() != info->id.bytes.size()) {
    return Status::Corruption("topic " + record.name() + " has no 16-byte topic id");
  }
  info->name = record.name();
  info->partitions = record.partitions();
  info->replication_factor = static_cast<int16_t>(record.replication_factor());
  info->configs.clear();
  for (const auto& [name, value] : record.config()) info->configs[name] = value;
  std::copy(record.topic_id().begin(), record.topic_id().end(), reinterpret_cast<char*>(info->id.bytes.data()));
  return Status::OK();
}

}  // namespace kafscale::cluster
