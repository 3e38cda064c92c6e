#include <algorithm>

#include "apps/cli/commands.h"
#include "apps/cli/http_get.h"

namespace kafscale::cli {

namespace {

// /readyz check names of the two stores, as the broker reports them.
constexpr const char* kObjectStoreCheck = "object_store";
constexpr const char* kMetadataStoreCheck = "metadata_store";

struct ComponentHealth {
  std::string component;
  std::string status;  // "ok", "failing" or "unknown"
  std::string reason;
};

// S3 and etcd health (and any other readiness check) from the broker's
// /readyz: {"ready":bool,"checks":{name:{"ok":bool,"reason":text}}}.
std::vector<ComponentHealth> ReadHealth(const std::string& metrics_url, std::chrono::milliseconds timeout) {
  auto unknown = [](const std::string& why) {
    return std::vector<ComponentHealth>{{"s3", "unknown", why}, {"etcd", "unknown", why}};
  };
  if (metrics_url.empty()) return unknown("no --metrics-url given");
  std::string url = metrics_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  Result<HttpReply> reply = HttpGet(url + "/readyz", timeout);
  if (!reply.ok()) return unknown(reply.status().message());
  const nlohmann::json body = nlohmann::json::parse(reply->body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("checks") || !body["checks"].is_object()) {
    return unknown("/readyz answered HTTP " + std::to_string(reply->status) + " without readiness checks");
  }
  std::vector<ComponentHealth> health;
  auto add = [&](const std::string& component, const std::string& check) {
    const nlohmann::json& checks = body["checks"];
    if (!checks.contains(check) || !checks[check].is_object()) {
      health.push_back({component, "unknown", "/readyz has no \"" + check + "\" check"});
      return;
    }
    const nlohmann::json& entry = checks[check];
    const bool ok = entry.value("ok", false);
    health.push_back({component, ok ? "ok" : "failing", entry.value("reason", "")});
  };
  add("s3", kObjectStoreCheck);
  add("etcd", kMetadataStoreCheck);
  for (const auto& [name, entry] : body["checks"].items()) {
    if (name != kObjectStoreCheck && name != kMetadataStoreCheck) add(name, name);
  }
  return health;
}

}  // namespace

Result<CommandResult> RunClusterStatus(ClusterClient& client, const std::string& metrics_url,
                                       std::chrono::milliseconds timeout) {
  Result<kafka::MetadataResponse> metadata = client.Metadata(std::nullopt);
  if (!metadata.ok()) return metadata.status();

  CommandResult result;
  Table brokers{"Brokers", {"id", "host", "port", "rack", "reachable"}, {}};
  nlohmann::json brokers_json = nlohmann::json::array();
  auto sorted_brokers = metadata->brokers;
  std::sort(sorted_brokers.begin(), sorted_brokers.end(),
            [](const auto& a, const auto& b) { return a.node_id < b.node_id; });
  for (const auto& broker : sorted_brokers) {
    const bool reachable = client.Broker(broker.node_id).ok();
    brokers_json.push_back({{"node_id", broker.node_id},
                            {"host", broker.host},
                            {"port", broker.port},
                            {"rack", OptionalText(broker.rack)},
                            {"reachable", reachable},
                            {"controller", broker.node_id == metadata->controller_id}});
    brokers.rows.push_back({std::to_string(broker.node_id) + (broker.node_id == metadata->controller_id ? "*" : ""),
                            broker.host, std::to_string(broker.port), broker.rack.value_or("-"),
                            reachable ? "yes" : "no"});
  }

  Table owners{"Partition owners", {"topic", "partition", "leader", "leader epoch"}, {}};
  nlohmann::json topics_json = nlohmann::json::array();
  auto topics = metadata->topics;
  std::erase_if(topics, [](const auto& t) { return t.error_code != 0 || !t.name; });
  std::sort(topics.begin(), topics.end(), [](const auto& a, const auto& b) { return *a.name < *b.name; });
  for (auto& topic : topics) {
    std::sort(topic.partitions.begin(), topic.partitions.end(),
              [](const auto& a, const auto& b) { return a.partition_index < b.partition_index; });
    nlohmann::json partitions = nlohmann::json::array();
    for (const auto& partition : topic.partitions) {
      partitions.push_back({{"partition", partition.partition_index},
                            {"leader", partition.leader_id},
                            {"leader_epoch", partition.leader_epoch}});
      owners.rows.push_back({*topic.name, std::to_string(partition.partition_index),
                             std::to_string(partition.leader_id), std::to_string(partition.leader_epoch)});
    }
    topics_json.push_back({{"topic", *topic.name}, {"partitions", std::move(partitions)}});
  }

  Table health_table{"Health", {"component", "status", "reason"}, {}};
  nlohmann::json health_json = nlohmann::json::object();
  for (const ComponentHealth& entry : ReadHealth(metrics_url, timeout)) {
    health_json[entry.component] = {{"status", entry.status}, {"reason", entry.reason}};
    health_table.rows.push_back({entry.component, entry.status, entry.reason});
  }

  result.json = {{"cluster_id", OptionalText(metadata->cluster_id)},
                 {"controller_id", metadata->controller_id},
                 {"brokers", std::move(brokers_json)},
                 {"topics", std::move(topics_json)},
                 {"health", std::move(health_json)}};
  result.lines.push_back("Cluster ID: " + metadata->cluster_id.value_or("-"));
  result.lines.push_back("Controller: " + std::to_string(metadata->controller_id));
  result.tables.push_back(std::move(brokers));
  result.tables.push_back(std::move(owners));
  result.tables.push_back(std::move(health_table));
  return result;
}

}  // namespace kafscale::cli
