// A synchronous client for a whole Kafka cluster: bootstraps from a list of
// servers, learns brokers and partition leaders from Metadata, finds group
// coordinators, and routes partition requests to their leaders, refreshing
// metadata and retrying on retriable errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/broker_connection.h"
#include "common/noncopyable.h"
#include "common/status.h"
#include "protocol/messages/metadata_response.h"

namespace kafscale::client {

struct HostPort {
  std::string host;
  int port = 0;
  bool operator==(const HostPort&) const = default;
};

// Parses "host:port[,host:port...]"; IPv6 hosts in brackets ("[::1]:9092").
// Errors: InvalidArgument naming the bad entry. Thread-safe.
Result<std::vector<HostPort>> ParseBootstrapServers(std::string_view list);

struct ClientOptions {
  std::vector<HostPort> bootstrap;
  ConnectionOptions connection;
  // Attempts of one partition or group request before its retriable error
  // is returned; metadata is refreshed between attempts.
  int max_attempts = 8;
  std::chrono::milliseconds retry_backoff{250};
};

// Special timestamps of ListOffsets.
inline constexpr int64_t kLatestOffsetTimestamp = -1;
inline constexpr int64_t kEarliestOffsetTimestamp = -2;

struct ListedOffset {
  // -1 when a timestamp query matched no record (every record is older).
  int64_t offset = -1;
  int64_t timestamp = -1;
};

struct FetchedPartition {
  int64_t high_watermark = 0;
  int64_t log_start_offset = -1;
  // Record batches as the broker sent them; the last one may be cut short.
  std::string records;
};

// Not thread-safe: one thread uses a client at a time. Connections are owned
// by the client; pointers it returns stay valid until the next call that may
// reconnect (any method of this class).
class ClusterClient : NonCopyable {
 public:
  explicit ClusterClient(ClientOptions options);

  // A connection to any live broker, preferring one already open.
  // Errors: Unavailable naming every server tried.
  Result<BrokerConnection*> AnyBroker();

  // A connection to broker `node_id` as last reported by Metadata.
  // Errors: NotFound for an unknown id, network errors.
  Result<BrokerConnection*> Broker(int32_t node_id);

  // Metadata for the named topics, or every topic when `topics` is nullopt;
  // never auto-creates topics. Refreshes the broker and leader tables.
  // Errors: network and protocol errors (per-topic errors are in the response).
  Result<kafka::MetadataResponse> Metadata(const std::optional<std::vector<std::string>>& topics);

  // Node ids and addresses of the brokers from the last Metadata.
  const std::map<int32_t, HostPort>& brokers() const { return brokers_; }

  // The leader's connection, from cached metadata or a refresh.
  // Errors: NotFound for an unknown topic or partition, Unavailable while the
  // partition has no leader, network errors.
  Result<BrokerConnection*> Leader(const std::string& topic, int32_t partition);

  // The group's coordinator (FindCoordinator), cached per group.
  // Errors: Unavailable while none is available, network errors.
  Result<BrokerConnection*> Coordinator(const std::string& group);

  // Forgets a group's cached coordinator, after NOT_COORDINATOR and the like.
  void ForgetCoordinator(const std::string& group) { coordinators_.erase(group); }

  // Runs `attempt` (a callable returning Status) until it succeeds, fails
  // with a non-retriable error, or max_attempts is reached; between attempts
  // it forgets cached leaders, drops broken connections and sleeps.
  template <typename Attempt>
  Status WithRetries(Attempt&& attempt) {
    Status status;
    for (int i = 0; i < options_.max_attempts; ++i) {
      status = attempt();
      if (status.ok() || !status.IsRetriable()) return status;
      PrepareRetry();
    }
    return status;
  }

  // Offsets for `timestamp` (or kLatestOffsetTimestamp /
  // kEarliestOffsetTimestamp) of each partition, one request per leader.
  // Errors: the first partition error after retries, network errors.
  Result<std::map<int32_t, ListedOffset>> ListOffsets(const std::string& topic,
                                                      const std::vector<int32_t>& partitions,
                                                      int64_t timestamp);

  // Appends record batches to a partition; returns the base offset assigned.
  // acks: -1 all, 1 leader; 0 is not supported (no response to wait for).
  Result<int64_t> Produce(const std::string& topic, int32_t partition, const std::string& batches,
                          int16_t acks);

  // Reads batches from `offset`, waiting up to max_wait for any data.
  // Errors: OFFSET_OUT_OF_RANGE and other partition errors, network errors.
  Result<FetchedPartition> Fetch(const std::string& topic, int32_t partition, int64_t offset,
                                 int32_t max_bytes, std::chrono::milliseconds max_wait);

 private:
  void PrepareRetry();
  // The leader's node id, from cached metadata or a refresh (errors as Leader).
  Result<int32_t> LeaderId(const std::string& topic, int32_t partition);
  Result<BrokerConnection*> Connect(std::unique_ptr<BrokerConnection>& slot, const HostPort& address);
  void RememberMetadata(const kafka::MetadataResponse& metadata);

  ClientOptions options_;
  // Connections opened to bootstrap servers, by index in options_.bootstrap.
  std::vector<std::unique_ptr<BrokerConnection>> bootstrap_connections_;
  std::map<int32_t, std::unique_ptr<BrokerConnection>> broker_connections_;
  std::map<int32_t, HostPort> brokers_;
  std::map<std::pair<std::string, int32_t>, int32_t> leaders_;
  std::map<std::string, int32_t> coordinators_;
};

}  // namespace kafscale::client
