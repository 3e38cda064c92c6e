// BenchTarget: the cluster a benchmark runs against, either brokers reached
// through a bootstrap list or librdkafka's in-memory mock cluster, plus the
// librdkafka client plumbing the producer and consumer loads share.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/noncopyable.h"
#include "common/status.h"

namespace kafscale::bench {

struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaHandleDeleter>;

// Creates a librdkafka client of `type` with `settings` (librdkafka property
// names). `customize` may install callbacks on the configuration before the
// client is created. Errors: InvalidArgument for a rejected property or a
// client librdkafka refuses to create. Thread-safe.
Result<KafkaHandle> NewKafkaClient(rd_kafka_type_t type, const std::map<std::string, std::string>& settings,
                                   const std::function<void(rd_kafka_conf_t*)>& customize = {});

// Fetches `topic`'s metadata (its partitions and their leaders) into
// `client`. Errors: Unavailable with librdkafka's reason. Thread-safe.
Status LearnTopic(rd_kafka_t* client, const std::string& topic);

// The offsets of one partition: the first offset and one past the last.
struct PartitionOffsets {
  int32_t partition = 0;
  int64_t low = 0;
  int64_t high = 0;
};

class BenchTarget : NonCopyable {
 public:
  // Checks that the brokers behind `bootstrap` answer a metadata request
  // within `timeout_ms`. Errors: Unavailable naming the bootstrap and
  // librdkafka's reason. Thread-safe (builds its own client).
  static Result<std::unique_ptr<BenchTarget>> Connect(const std::string& bootstrap, int timeout_ms);

  // Starts librdkafka's in-memory mock cluster with `brokers` brokers, living
  // as long as the returned object; each broker holds every response back
  // `rtt_ms` ms (responses stay pipelined). Errors: Unavailable if
  // librdkafka cannot start it or refuses the delay.
  static Result<std::unique_ptr<BenchTarget>> StartMock(int brokers, int rtt_ms);

  ~BenchTarget();

  // Where clients connect ("host:port,...").
  const std::string& bootstrap() const { return bootstrap_; }
  // A name for reports: the bootstrap list, or "mock(N brokers)".
  const std::string& description() const { return description_; }
  bool is_mock() const { return mock_ != nullptr; }

  // Creates `topic` with `partitions` partitions unless it exists (an
  // existing topic keeps its partition count), then waits until every
  // partition has a leader. Errors: the CreateTopics error other than
  // "already exists", or Timeout when leaders do not show up within 30 s.
  // Not thread-safe.
  Status EnsureTopic(const std::string& topic, int partitions);

  // The low and high watermark of every partition of `topic`, in partition
  // order. Errors: Unavailable with librdkafka's reason. Not thread-safe.
  Result<std::vector<PartitionOffsets>> Watermarks(const std::string& topic);

 private:
  BenchTarget(KafkaHandle mock_owner, rd_kafka_mock_cluster_t* mock, KafkaHandle control, std::string bootstrap,
              std::string description);
  // How many partitions of `topic` have a leader (0 if it does not exist).
  Result<int> PartitionsWithLeader(const std::string& topic);
  Status CreateTopic(const std::string& topic, int partitions);

  // For the mock: the client the mock cluster belongs to (librdkafka runs
  // the mock's brokers on its threads), destroyed after the mock; else null.
  KafkaHandle mock_owner_;
  rd_kafka_mock_cluster_t* mock_;
  // A producer client connected to bootstrap_ for metadata, admin requests
  // and watermarks; destroyed before the mock it talks to.
  KafkaHandle control_;
  std::string bootstrap_;
  std::string description_;
};

}  // namespace kafscale::bench
