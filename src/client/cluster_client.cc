#include "client/cluster_client.h"

#include <charconv>
#include <thread>

#include "client/kafka_error.h"
#include "protocol/messages/fetch_request.h"
#include "protocol/messages/fetch_response.h"
#include "protocol/messages/find_coordinator_request.h"
#include "protocol/messages/find_coordinator_response.h"
#include "protocol/messages/list_offsets_request.h"
#include "protocol/messages/list_offsets_response.h"
#include "protocol/messages/metadata_request.h"
#include "protocol/messages/produce_request.h"
#include "protocol/messages/produce_response.h"

namespace kafscale::client {

namespace {

// Highest versions whose fields this client fills: FindCoordinator v4 batches
// keys, Fetch v13 addresses topics by id.
constexpr int16_t kFindCoordinatorMaxVersion = 3;
constexpr int16_t kFetchMaxVersion = 12;

Result<HostPort> ParseHostPort(std::string_view entry) {
  const std::string text(entry);
  std::string_view host;
  std::string_view port_text;
  if (!entry.empty() && entry.front() == '[') {
    const size_t close = entry.find(']');
    if (close == std::string_view::npos || close + 1 >= entry.size() || entry[close + 1] != ':') {
      return Status::InvalidArgument("bad server address \"" + text + "\" (want [ipv6]:port)");
    }
    host = entry.substr(1, close - 1);
    port_text = entry.substr(close + 2);
  } else {
    const size_t colon = entry.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument("bad server address \"" + text + "\" (want host:port)");
    }
    host = entry.substr(0, colon);
    port_text = entry.substr(colon + 1);
  }
  int port = 0;
  const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty() || error != std::errc() || end != port_text.data() + port_text.size() || port <= 0 ||
      port > 65535) {
    return Status::InvalidArgument("bad server address \"" + text + "\" (want host:port, port 1-65535)");
  }
  return HostPort{std::string(host), port};
}

std::string PartitionName(const std::string& topic, int32_t partition) {
  return topic + "/" + std::to_string(partition);
}

}  // namespace

Result<std::vector<HostPort>> ParseBootstrapServers(std::string_view list) {
  std::vector<HostPort> servers;
  while (true) {
    const size_t comma = list.find(',');
    const std::string_view entry = list.substr(0, comma);
    Result<HostPort> server = ParseHostPort(entry);
    if (!server.ok()) return server.status();
    servers.push_back(std::move(*server));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return servers;
}

ClusterClient::ClusterClient(ClientOptions options) : options_(std::move(options)) {
  bootstrap_connections_.resize(options_.bootstrap.size());
}

Result<BrokerConnection*> ClusterClient::Connect(std::unique_ptr<BrokerConnection>& slot,
                                                 const HostPort& address) {
  if (slot && slot->usable()) return slot.get();
  slot.reset();
  Result<std::unique_ptr<BrokerConnection>> opened =
      BrokerConnection::Open(address.host, address.port, options_.connection);
  if (!opened.ok()) return opened.status();
  slot = std::move(*opened);
  return slot.get();
}

Result<BrokerConnection*> ClusterClient::AnyBroker() {
  for (auto& connection : bootstrap_connections_) {
    if (connection && connection->usable()) return connection.get();
  }
  for (auto& [node_id, connection] : broker_connections_) {
    if (connection && connection->usable()) return connection.get();
  }
  std::string failures;
  for (size_t i = 0; i < options_.bootstrap.size(); ++i) {
    Result<BrokerConnection*> connection = Connect(bootstrap_connections_[i], options_.bootstrap[i]);
    if (connection.ok()) return connection;
    failures += (failures.empty() ? "" : "; ") + connection.status().message();
  }
  for (const auto& [node_id, address] : brokers_) {
    Result<BrokerConnection*> connection = Broker(node_id);
    if (connection.ok()) return connection;
    failures += "; " + connection.status().message();
  }
  return Status::Unavailable("no broker reachable: " + (failures.empty() ? "no servers given" : failures));
}

Result<BrokerConnection*> ClusterClient::Broker(int32_t node_id) {
  const auto address = brokers_.find(node_id);
  if (address == brokers_.end()) {
    return Status::NotFound("broker " + std::to_string(node_id) + " is not in the cluster metadata");
  }
  return Connect(broker_connections_[node_id], address->second);
}

Result<kafka::MetadataResponse> ClusterClient::Metadata(
    const std::optional<std::vector<std::string>>& topics) {
  Result<BrokerConnection*> connection = AnyBroker();
  if (!connection.ok()) return connection.status();
  kafka::MetadataRequest request;
  request.allow_auto_topic_creation = false;
  if (topics) {
    request.topics.emplace();
    for (const std::string& name : *topics) {
      kafka::MetadataRequest::MetadataRequestTopic topic;
      topic.name = name;
      request.topics->push_back(std::move(topic));
    }
  } else {
    request.topics.reset();
  }
  Result<kafka::MetadataResponse> response = (*connection)->Call<kafka::MetadataResponse>(request);
  if (response.ok()) RememberMetadata(*response);
  return response;
}

void ClusterClient::RememberMetadata(const kafka::MetadataResponse& metadata) {
  for (const auto& broker : metadata.brokers) {
    const HostPort address{broker.host, broker.port};
    auto known = brokers_.find(broker.node_id);
    if (known != brokers_.end() && !(known->second == address)) broker_connections_.erase(broker.node_id);
    brokers_[broker.node_id] = address;
  }
  for (const auto& topic : metadata.topics) {
    if (topic.error_code != 0 || !topic.name) continue;
    for (const auto& partition : topic.partitions) {
      const auto key = std::make_pair(*topic.name, partition.partition_index);
      if (partition.error_code == 0 && partition.leader_id >= 0) {
        leaders_[key] = partition.leader_id;
      } else {
        leaders_.erase(key);
      }
    }
  }
}

Result<int32_t> ClusterClient::LeaderId(const std::string& topic, int32_t partition) {
  const auto key = std::make_pair(topic, partition);
  if (!leaders_.contains(key)) {
    Result<kafka::MetadataResponse> metadata = Metadata(std::vector<std::string>{topic});
    if (!metadata.ok()) return metadata.status();
    for (const auto& entry : metadata->topics) {
      if (entry.name != topic) continue;
      if (Status error = KafkaErrorStatus(entry.error_code, "topic " + topic); !error.ok()) return error;
      bool listed = false;
      for (const auto& p : entry.partitions) listed = listed || p.partition_index == partition;
      if (!listed) return Status::NotFound("topic " + topic + " has no partition " + std::to_string(partition));
    }
    if (!leaders_.contains(key)) {
      return Status::Unavailable("partition " + PartitionName(topic, partition) + " has no leader");
    }
  }
  return leaders_.at(key);
}

Result<BrokerConnection*> ClusterClient::Leader(const std::string& topic, int32_t partition) {
  Result<int32_t> leader = LeaderId(topic, partition);
  if (!leader.ok()) return leader.status();
  return Broker(*leader);
}

Result<BrokerConnection*> ClusterClient::Coordinator(const std::string& group) {
  if (auto cached = coordinators_.find(group); cached != coordinators_.end()) {
    Result<BrokerConnection*> connection = Broker(cached->second);
    if (connection.ok()) return connection;
    coordinators_.erase(cached);
  }
  Result<BrokerConnection*> connection = AnyBroker();
  if (!connection.ok()) return connection.status();
  kafka::FindCoordinatorRequest request;
  request.key = group;
  request.key_type = 0;  // group
  Result<kafka::FindCoordinatorResponse> response =
      (*connection)->Call<kafka::FindCoordinatorResponse>(request, kFindCoordinatorMaxVersion);
  if (!response.ok()) return response.status();
  if (Status error = KafkaErrorStatus(response->error_code, "finding the coordinator of group " + group,
                                      response->error_message);
      !error.ok()) {
    return error;
  }
  brokers_[response->node_id] = HostPort{response->host, response->port};
  coordinators_[group] = response->node_id;
  return Broker(response->node_id);
}

void ClusterClient::PrepareRetry() {
  leaders_.clear();
  coordinators_.clear();
  std::erase_if(broker_connections_, [](const auto& entry) { return !entry.second || !entry.second->usable(); });
  for (auto& connection : bootstrap_connections_) {
    if (connection && !connection->usable()) connection.reset();
  }
  std::this_thread::sleep_for(options_.retry_backoff);
}

Result<std::map<int32_t, ListedOffset>> ClusterClient::ListOffsets(const std::string& topic,
                                                                   const std::vector<int32_t>& partitions,
                                                                   int64_t timestamp) {
  std::map<int32_t, ListedOffset> offsets;
  Status status = WithRetries([&]() -> Status {
    // One request per leader for the partitions not answered yet; answers
    // kept from earlier attempts are not asked again.
    std::map<int32_t, std::vector<int32_t>> by_leader;
    for (int32_t partition : partitions) {
      if (offsets.contains(partition)) continue;
      Result<int32_t> leader = LeaderId(topic, partition);
      if (!leader.ok()) return leader.status();
      by_leader[*leader].push_back(partition);
    }
    Status retriable;
    for (const auto& [leader_id, ids] : by_leader) {
      Result<BrokerConnection*> leader = Broker(leader_id);
      if (!leader.ok()) return leader.status();
      kafka::ListOffsetsRequest request;
      request.replica_id = -1;
      auto& topic_request = request.topics.emplace_back();
      topic_request.name = topic;
      for (int32_t partition : ids) {
        auto& partition_request = topic_request.partitions.emplace_back();
        partition_request.partition_index = partition;
        partition_request.timestamp = timestamp;
      }
      Result<kafka::ListOffsetsResponse> response = (*leader)->Call<kafka::ListOffsetsResponse>(request);
      if (!response.ok()) return response.status();
      for (const auto& t : response->topics) {
        for (const auto& p : t.partitions) {
          const Status error =
              KafkaErrorStatus(p.error_code, "listing offsets of " + PartitionName(topic, p.partition_index));
          if (error.ok()) {
            offsets[p.partition_index] = ListedOffset{p.offset, p.timestamp};
          } else if (error.IsRetriable()) {
            retriable = error;
          } else {
            return error;
          }
        }
      }
    }
    if (!retriable.ok()) return retriable;
    for (int32_t partition : partitions) {
      if (!offsets.contains(partition)) {
        return Status::Corruption("ListOffsets response lacks " + PartitionName(topic, partition));
      }
    }
    return Status::OK();
  });
  if (!status.ok()) return status;
  return offsets;
}

Result<int64_t> ClusterClient::Produce(const std::string& topic, int32_t partition, const std::string& batches,
                                       int16_t acks) {
  int64_t base_offset = -1;
  Status status = WithRetries([&]() -> Status {
    Result<BrokerConnection*> leader = Leader(topic, partition);
    if (!leader.ok()) return leader.status();
    kafka::ProduceRequest request;
    request.acks = acks;
    request.timeout_ms = static_cast<int32_t>(options_.connection.request_timeout.count());
    request.topic_data.emplace_back();
    request.topic_data.back().name = topic;
    request.topic_data.back().partition_data.emplace_back();
    request.topic_data.back().partition_data.back().index = partition;
    request.topic_data.back().partition_data.back().records = kafka::Records::FromString(batches);
    Result<kafka::ProduceResponse> response = (*leader)->Call<kafka::ProduceResponse>(request);
    if (!response.ok()) return response.status();
    for (const auto& t : response->responses) {
      for (const auto& p : t.partition_responses) {
        if (p.index != partition) continue;
        if (Status error =
                KafkaErrorStatus(p.error_code, "producing to " + PartitionName(topic, partition), p.error_message);
            !error.ok()) {
          return error;
        }
        base_offset = p.base_offset;
        return Status::OK();
      }
    }
    return Status::Corruption("Produce response lacks " + PartitionName(topic, partition));
  });
  if (!status.ok()) return status;
  return base_offset;
}

Result<FetchedPartition> ClusterClient::Fetch(const std::string& topic, int32_t partition, int64_t offset,
                                              int32_t max_bytes, std::chrono::milliseconds max_wait) {
  FetchedPartition fetched;
  Status status = WithRetries([&]() -> Status {
    Result<BrokerConnection*> leader = Leader(topic, partition);
    if (!leader.ok()) return leader.status();
    kafka::FetchRequest request;
    request.replica_id = -1;
    request.max_wait_ms = static_cast<int32_t>(max_wait.count());
    request.min_bytes = 1;
    request.max_bytes = max_bytes;
    request.topics.emplace_back();
    request.topics.back().topic = topic;
    request.topics.back().partitions.emplace_back();
    request.topics.back().partitions.back().partition = partition;
    request.topics.back().partitions.back().fetch_offset = offset;
    request.topics.back().partitions.back().partition_max_bytes = max_bytes;
    Result<kafka::FetchResponse> response = (*leader)->Call<kafka::FetchResponse>(request, kFetchMaxVersion);
    if (!response.ok()) return response.status();
    if (Status error = KafkaErrorStatus(response->error_code, "fetching " + PartitionName(topic, partition));
        !error.ok()) {
      return error;
    }
    for (const auto& t : response->responses) {
      for (const auto& p : t.partitions) {
        if (t.topic != topic || p.partition_index != partition) continue;
        if (Status error = KafkaErrorStatus(p.error_code, "fetching " + PartitionName(topic, partition) +
                                                              " at offset " + std::to_string(offset));
            !error.ok()) {
          return error;
        }
        fetched.high_watermark = p.high_watermark;
        fetched.log_start_offset = p.log_start_offset;
        fetched.records = p.records ? p.records->Flatten() : std::string();
        return Status::OK();
      }
    }
    return Status::Corruption("Fetch response lacks " + PartitionName(topic, partition));
  });
  if (!status.ok()) return status;
  return fetched;
}

}  // namespace kafscale::client
