#include <algorithm>
#include <thread>

#include "apps/cli/commands.h"
#include "client/kafka_error.h"
#include "protocol/error_codes.h"
#include "protocol/messages/create_topics_request.h"
#include "protocol/messages/create_topics_response.h"
#include "protocol/messages/delete_topics_request.h"
#include "protocol/messages/delete_topics_response.h"
#include "protocol/messages/describe_configs_request.h"
#include "protocol/messages/describe_configs_response.h"
#include "protocol/messages/incremental_alter_configs_request.h"
#include "protocol/messages/incremental_alter_configs_response.h"

namespace kafscale::cli {

namespace {

using client::BrokerConnection;
using client::KafkaErrorStatus;

constexpr int8_t kTopicResourceType = 2;
// DeleteTopics v6 names topics by id; this client names them.
constexpr int16_t kDeleteTopicsMaxVersion = 5;
constexpr int8_t kConfigSet = 0;
constexpr int8_t kConfigDelete = 1;

// Kafka sends admin requests to the controller; KafScale brokers all accept
// them, so any broker does when no controller is known.
Result<BrokerConnection*> AdminBroker(ClusterClient& client) {
  Result<kafka::MetadataResponse> metadata = client.Metadata(std::vector<std::string>{});
  if (!metadata.ok()) return metadata.status();
  if (metadata->controller_id >= 0) {
    Result<BrokerConnection*> controller = client.Broker(metadata->controller_id);
    if (controller.ok()) return controller;
  }
  return client.AnyBroker();
}

const char* ConfigSourceName(int8_t source) {
  switch (source) {
    case 1: return "topic";
    case 2: return "broker (dynamic)";
    case 3: return "broker (dynamic default)";
    case 4: return "broker (static)";
    case 5: return "default";
    case 6: return "broker logger";
    default: return "unknown";
  }
}

}  // namespace

Result<kafka::MetadataResponse::MetadataResponseTopic> DescribeTopicMetadata(ClusterClient& client,
                                                                             const std::string& topic) {
  Result<kafka::MetadataResponse::MetadataResponseTopic> found =
      Status::NotFound("topic " + topic + " does not exist");
  Status status = client.WithRetries([&]() -> Status {
    Result<kafka::MetadataResponse> metadata = client.Metadata(std::vector<std::string>{topic});
    if (!metadata.ok()) return metadata.status();
    for (auto& entry : metadata->topics) {
      if (entry.name != topic) continue;
      if (entry.error_code == kafka::ToWire(kafka::ErrorCode::kUnknownTopicOrPartition)) {
        return Status::NotFound("topic " + topic + " does not exist");
      }
      if (Status error = KafkaErrorStatus(entry.error_code, "topic " + topic); !error.ok()) return error;
      found = std::move(entry);
      return Status::OK();
    }
    return Status::NotFound("topic " + topic + " does not exist");
  });
  if (!status.ok()) return status;
  return found;
}

std::vector<int32_t> PartitionIds(const kafka::MetadataResponse::MetadataResponseTopic& topic) {
  std::vector<int32_t> ids;
  for (const auto& partition : topic.partitions) ids.push_back(partition.partition_index);
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<std::vector<TopicConfig>> DescribeTopicConfigs(ClusterClient& client, const std::string& topic) {
  kafka::DescribeConfigsRequest request;
  auto& resource = request.resources.emplace_back();
  resource.resource_type = kTopicResourceType;
  resource.resource_name = topic;
  resource.configuration_keys.reset();  // all
  std::vector<TopicConfig> configs;
  Status status = client.WithRetries([&]() -> Status {
    Result<BrokerConnection*> broker = client.AnyBroker();
    if (!broker.ok()) return broker.status();
    Result<kafka::DescribeConfigsResponse> response = (*broker)->Call<kafka::DescribeConfigsResponse>(request);
    if (!response.ok()) return response.status();
    for (auto& entry : response->results) {
      if (entry.error_code == kafka::ToWire(kafka::ErrorCode::kUnknownTopicOrPartition)) {
        return Status::NotFound("topic " + topic + " does not exist");
      }
      if (Status error = KafkaErrorStatus(entry.error_code, "describing configs of " + topic, entry.error_message);
          !error.ok()) {
        return error;
      }
      configs = std::move(entry.configs);
    }
    return Status::OK();
  });
  if (!status.ok()) return status;
  return configs;
}

Status CreateTopic(ClusterClient& client, const TopicsCreateArgs& args, std::chrono::milliseconds timeout) {
  kafka::CreateTopicsRequest request;
  request.timeout_ms = static_cast<int32_t>(timeout.count());
  auto& topic = request.topics.emplace_back();
  topic.name = args.topic;
  topic.num_partitions = args.partitions;
  topic.replication_factor = args.replication_factor;
  for (const auto& [name, value] : args.configs) {
    auto& config = topic.configs.emplace_back();
    config.name = name;
    config.value = value;
  }
  Status status = client.WithRetries([&]() -> Status {
    Result<BrokerConnection*> broker = AdminBroker(client);
    if (!broker.ok()) return broker.status();
    Result<kafka::CreateTopicsResponse> response = (*broker)->Call<kafka::CreateTopicsResponse>(request);
    if (!response.ok()) return response.status();
    for (const auto& result : response->topics) {
      if (result.name != args.topic) continue;
      if (result.error_code == kafka::ToWire(kafka::ErrorCode::kTopicAlreadyExists)) {
        return Status::AlreadyExists("topic " + args.topic + " already exists");
      }
      return KafkaErrorStatus(result.error_code, "creating topic " + args.topic, result.error_message);
    }
    return Status::Corruption("CreateTopics response lacks topic " + args.topic);
  });
  if (!status.ok()) return status;
  // Produce and fetch need leaders; wait for metadata to show them all.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    Result<kafka::MetadataResponse::MetadataResponseTopic> metadata = DescribeTopicMetadata(client, args.topic);
    if (metadata.ok() && static_cast<int32_t>(metadata->partitions.size()) == args.partitions &&
        std::all_of(metadata->partitions.begin(), metadata->partitions.end(),
                    [](const auto& p) { return p.error_code == 0 && p.leader_id >= 0; })) {
      return Status::OK();
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Timeout("topic " + args.topic + " was created but its partitions have no leaders yet");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Result<CommandResult> RunTopicsList(ClusterClient& client) {
  Result<kafka::MetadataResponse> metadata = client.Metadata(std::nullopt);
  if (!metadata.ok()) return metadata.status();
  std::vector<const kafka::MetadataResponse::MetadataResponseTopic*> topics;
  for (const auto& topic : metadata->topics) {
    if (topic.error_code == 0 && topic.name) topics.push_back(&topic);
  }
  std::sort(topics.begin(), topics.end(), [](auto* a, auto* b) { return *a->name < *b->name; });
  CommandResult result;
  result.json = nlohmann::json::array();
  Table table{"", {"topic", "partitions"}, {}};
  for (const auto* topic : topics) {
    result.json.push_back({{"name", *topic->name},
                           {"partitions", topic->partitions.size()},
                           {"internal", topic->is_internal}});
    table.rows.push_back({*topic->name, std::to_string(topic->partitions.size())});
  }
  result.tables.push_back(std::move(table));
  return result;
}

Result<CommandResult> RunTopicsCreate(ClusterClient& client, const TopicsCreateArgs& args,
                                      std::chrono::milliseconds timeout) {
  if (Status status = CreateTopic(client, args, timeout); !status.ok()) return status;
  CommandResult result;
  result.json = {{"topic", args.topic},
                 {"partitions", args.partitions},
                 {"replication_factor", args.replication_factor},
                 {"configs", args.configs}};
  result.lines.push_back("created topic " + args.topic + " with " + std::to_string(args.partitions) +
                         (args.partitions == 1 ? " partition" : " partitions"));
  return result;
}

Result<CommandResult> RunTopicsDescribe(ClusterClient& client, const std::string& topic) {
  Result<kafka::MetadataResponse::MetadataResponseTopic> metadata = DescribeTopicMetadata(client, topic);
  if (!metadata.ok()) return metadata.status();
  const std::vector<int32_t> ids = PartitionIds(*metadata);
  Result<std::map<int32_t, client::ListedOffset>> earliest =
      client.ListOffsets(topic, ids, client::kEarliestOffsetTimestamp);
  if (!earliest.ok()) return earliest.status();
  Result<std::map<int32_t, client::ListedOffset>> latest =
      client.ListOffsets(topic, ids, client::kLatestOffsetTimestamp);
  if (!latest.ok()) return latest.status();

  Result<std::vector<TopicConfig>> configs = DescribeTopicConfigs(client, topic);
  if (!configs.ok()) return configs.status();

  CommandResult result;
  Table partitions{"Partitions", {"partition", "leader", "leader epoch", "start offset", "end offset"}, {}};
  nlohmann::json partitions_json = nlohmann::json::array();
  std::vector<const kafka::MetadataResponse::MetadataResponsePartition*> sorted;
  for (const auto& partition : metadata->partitions) sorted.push_back(&partition);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->partition_index < b->partition_index; });
  for (const auto* partition : sorted) {
    const int64_t start = earliest->at(partition->partition_index).offset;
    const int64_t end = latest->at(partition->partition_index).offset;
    partitions_json.push_back({{"partition", partition->partition_index},
                               {"leader", partition->leader_id},
                               {"leader_epoch", partition->leader_epoch},
                               {"start_offset", start},
                               {"end_offset", end}});
    partitions.rows.push_back({std::to_string(partition->partition_index), std::to_string(partition->leader_id),
                               std::to_string(partition->leader_epoch), std::to_string(start),
                               std::to_string(end)});
  }
  Table config_table{"Configs", {"name", "value", "source"}, {}};
  nlohmann::json configs_json = nlohmann::json::object();
  for (const TopicConfig& config : *configs) {
    const std::string shown = config.is_sensitive ? "(sensitive)" : config.value.value_or("");
    configs_json[config.name] = config.is_sensitive ? nlohmann::json(nullptr) : OptionalText(config.value);
    config_table.rows.push_back({config.name, shown, ConfigSourceName(config.config_source)});
  }
  result.json = {{"name", topic},
                 {"topic_id", metadata->topic_id.ToBase64()},
                 {"partitions", std::move(partitions_json)},
                 {"configs", std::move(configs_json)}};
  result.lines.push_back("Topic: " + topic);
  result.lines.push_back("Topic ID: " + metadata->topic_id.ToBase64());
  result.tables.push_back(std::move(partitions));
  result.tables.push_back(std::move(config_table));
  return result;
}

Result<CommandResult> RunTopicsDelete(ClusterClient& client, const std::vector<std::string>& topics,
                                      std::chrono::milliseconds timeout) {
  kafka::DeleteTopicsRequest request;
  request.topic_names = topics;
  request.timeout_ms = static_cast<int32_t>(timeout.count());
  std::vector<std::string> deleted;
  std::vector<std::string> failures;
  Status status = client.WithRetries([&]() -> Status {
    Result<BrokerConnection*> broker = AdminBroker(client);
    if (!broker.ok()) return broker.status();
    Result<kafka::DeleteTopicsResponse> response =
        (*broker)->Call<kafka::DeleteTopicsResponse>(request, kDeleteTopicsMaxVersion);
    if (!response.ok()) return response.status();
    deleted.clear();
    failures.clear();
    for (const auto& entry : response->responses) {
      const std::string name = entry.name.value_or("?");
      if (entry.error_code == kafka::ToWire(kafka::ErrorCode::kUnknownTopicOrPartition)) {
        failures.push_back("topic " + name + " does not exist");
      } else if (Status error = KafkaErrorStatus(entry.error_code, "deleting topic " + name, entry.error_message);
                 !error.ok()) {
        failures.push_back(error.message());
      } else {
        deleted.push_back(name);
      }
    }
    return Status::OK();
  });
  if (!status.ok()) return status;
  if (!failures.empty()) {
    std::string message;
    for (const std::string& failure : failures) message += (message.empty() ? "" : "; ") + failure;
    if (!deleted.empty()) {
      message += " (deleted:";
      for (const std::string& name : deleted) message += " " + name;
      message += ")";
    }
    return Status::InvalidArgument(message);
  }
  CommandResult result;
  result.json = {{"deleted", deleted}};
  for (const std::string& name : deleted) result.lines.push_back("deleted topic " + name);
  return result;
}

Result<CommandResult> RunTopicsAlterConfig(ClusterClient& client, const TopicsAlterConfigArgs& args) {
  kafka::IncrementalAlterConfigsRequest request;
  auto& resource = request.resources.emplace_back();
  resource.resource_type = kTopicResourceType;
  resource.resource_name = args.topic;
  for (const auto& [name, value] : args.set) {
    auto& config = resource.configs.emplace_back();
    config.name = name;
    config.config_operation = kConfigSet;
    config.value = value;
  }
  for (const std::string& name : args.remove) {
    auto& config = resource.configs.emplace_back();
    config.name = name;
    config.config_operation = kConfigDelete;
    config.value.reset();
  }
  Status status = client.WithRetries([&]() -> Status {
    Result<BrokerConnection*> broker = AdminBroker(client);
    if (!broker.ok()) return broker.status();
    Result<kafka::IncrementalAlterConfigsResponse> response =
        (*broker)->Call<kafka::IncrementalAlterConfigsResponse>(request);
    if (!response.ok()) return response.status();
    for (const auto& entry : response->responses) {
      if (entry.error_code == kafka::ToWire(kafka::ErrorCode::kUnknownTopicOrPartition)) {
        return Status::NotFound("topic " + args.topic + " does not exist");
      }
      if (Status error = KafkaErrorStatus(entry.error_code, "altering configs of " + args.topic, entry.error_message);
          !error.ok()) {
        return error;
      }
    }
    return Status::OK();
  });
  if (!status.ok()) return status;
  CommandResult result;
  result.json = {{"topic", args.topic}, {"set", args.set}, {"deleted", args.remove}};
  for (const auto& [name, value] : args.set) result.lines.push_back("set " + name + "=" + value + " on " + args.topic);
  for (const std::string& name : args.remove) result.lines.push_back("reset " + name + " on " + args.topic);
  return result;
}

}  // namespace kafscale::cli
