#include "apps/bench/bench_target.h"

#include <chrono>
#include <thread>

namespace kafscale::bench {

namespace {

constexpr int kRequestTimeoutMs = 10'000;
constexpr auto kLeaderWait = std::chrono::seconds(30);

// librdkafka's error strings for a failed call, e.g. "Local: Broker transport failure".
std::string ErrorText(rd_kafka_resp_err_t error) { return rd_kafka_err2str(error); }

}  // namespace

Result<KafkaHandle> NewKafkaClient(rd_kafka_type_t type, const std::map<std::string, std::string>& settings,
                                   const std::function<void(rd_kafka_conf_t*)>& customize) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof(error)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status::InvalidArgument(name + "=" + value + ": " + error);
    }
  }
  if (customize) customize(conf);
  // On success rd_kafka_new takes ownership of conf.
  rd_kafka_t* handle = rd_kafka_new(type, conf, error, sizeof(error));
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(std::string("cannot create librdkafka client: ") + error);
  }
  return KafkaHandle(handle);
}

BenchTarget::BenchTarget(KafkaHandle mock_owner, rd_kafka_mock_cluster_t* mock, KafkaHandle control,
                         std::string bootstrap, std::string description)
    : mock_owner_(std::move(mock_owner)),
      mock_(mock),
      control_(std::move(control)),
      bootstrap_(std::move(bootstrap)),
      description_(std::move(description)) {}

BenchTarget::~BenchTarget() {
  control_.reset();
  if (mock_ != nullptr) rd_kafka_mock_cluster_destroy(mock_);
}

Status LearnTopic(rd_kafka_t* client, const std::string& topic) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(client, topic.c_str(), nullptr);
  if (handle == nullptr) return Status::Unavailable("topic " + topic + ": " + ErrorText(rd_kafka_last_error()));
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t error = rd_kafka_metadata(client, 0, handle, &metadata, kRequestTimeoutMs);
  rd_kafka_topic_destroy(handle);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Unavailable("metadata of " + topic + ": " + ErrorText(error));
  rd_kafka_metadata_destroy(metadata);
  return Status::OK();
}

Result<std::unique_ptr<BenchTarget>> BenchTarget::Connect(const std::string& bootstrap, int timeout_ms) {
  Result<KafkaHandle> control = NewKafkaClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap},
                                                                   // Our message names the failure; librdkafka's
                                                                   // per-attempt connect errors would only repeat it.
                                                                   {"log_level", "0"}});
  if (!control.ok()) return control.status();
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t error = rd_kafka_metadata(control->get(), 0, nullptr, &metadata, timeout_ms);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable("cannot reach the brokers at " + bootstrap + " within " +
                               std::to_string(timeout_ms) + " ms: " + ErrorText(error));
  }
  rd_kafka_metadata_destroy(metadata);
  return std::unique_ptr<BenchTarget>(new BenchTarget(nullptr, nullptr, std::move(*control), bootstrap, bootstrap));
}

Result<std::unique_ptr<BenchTarget>> BenchTarget::StartMock(int brokers, int rtt_ms) {
  // The owner never connects anywhere; its "no bootstrap.servers" notice is noise.
  Result<KafkaHandle> owner = NewKafkaClient(RD_KAFKA_PRODUCER, {{"log_level", "4"}});
  if (!owner.ok()) return owner.status();
  rd_kafka_mock_cluster_t* mock = rd_kafka_mock_cluster_new(owner->get(), brokers);
  if (mock == nullptr) return Status::Unavailable("librdkafka could not start its mock cluster");
  if (rtt_ms > 0) {
    const rd_kafka_resp_err_t error = rd_kafka_mock_broker_set_rtt(mock, /*all brokers*/ -1, rtt_ms);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_mock_cluster_destroy(mock);
      return Status::Unavailable("the mock cluster refused a round trip of " + std::to_string(rtt_ms) +
                                 " ms: " + ErrorText(error));
    }
  }
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(mock);
  Result<KafkaHandle> control = NewKafkaClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap}});
  if (!control.ok()) {
    rd_kafka_mock_cluster_destroy(mock);
    return control.status();
  }
  return std::unique_ptr<BenchTarget>(new BenchTarget(std::move(*owner), mock, std::move(*control), bootstrap,
                                                      "mock(" + std::to_string(brokers) + " brokers" +
                                                          (rtt_ms > 0 ? ", " + std::to_string(rtt_ms) +
                                                                            " ms round trip)"
                                                                      : ")")));
}

Result<int> BenchTarget::PartitionsWithLeader(const std::string& topic) {
  // Asks for all topics: a request naming the topic would let a broker
  // auto-create it with its default partition count.
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t error = rd_kafka_metadata(control_.get(), 1, nullptr, &metadata, kRequestTimeoutMs);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Unavailable("metadata of " + topic + ": " + ErrorText(error));
  int with_leader = 0;
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& entry = metadata->topics[t];
    if (entry.topic != topic || entry.err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    for (int p = 0; p < entry.partition_cnt; ++p) {
      if (entry.partitions[p].leader >= 0) ++with_leader;
    }
  }
  rd_kafka_metadata_destroy(metadata);
  return with_leader;
}

Status BenchTarget::CreateTopic(const std::string& topic, int partitions) {
  if (mock_ != nullptr) {
    const rd_kafka_resp_err_t error = rd_kafka_mock_topic_create(mock_, topic.c_str(), partitions, 1);
    return error == RD_KAFKA_RESP_ERR_NO_ERROR ? Status::OK()
                                               : Status::Unavailable("mock topic " + topic + ": " + ErrorText(error));
  }
  char error[512];
  rd_kafka_NewTopic_t* new_topic = rd_kafka_NewTopic_new(topic.c_str(), partitions, -1, error, sizeof(error));
  if (new_topic == nullptr) return Status::InvalidArgument(topic + ": " + error);
  rd_kafka_queue_t* replies = rd_kafka_queue_new(control_.get());
  rd_kafka_CreateTopics(control_.get(), &new_topic, 1, nullptr, replies);
  rd_kafka_event_t* event = rd_kafka_queue_poll(replies, kRequestTimeoutMs + 5'000);
  Status status = Status::OK();
  if (event == nullptr) {
    status = Status::Timeout("CreateTopics " + topic + " got no answer");
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = Status::Unavailable("CreateTopics " + topic + ": " + rd_kafka_event_error_string(event));
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    for (size_t i = 0; i < count; ++i) {
      const rd_kafka_resp_err_t topic_error = rd_kafka_topic_result_error(results[i]);
      if (topic_error != RD_KAFKA_RESP_ERR_NO_ERROR && topic_error != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        const char* message = rd_kafka_topic_result_error_string(results[i]);
        status = Status::Unavailable("CreateTopics " + topic + ": " + (message ? message : ErrorText(topic_error)));
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(replies);
  rd_kafka_NewTopic_destroy(new_topic);
  return status;
}

Status BenchTarget::EnsureTopic(const std::string& topic, int partitions) {
  Result<int> existing = PartitionsWithLeader(topic);
  if (!existing.ok()) return existing.status();
  if (*existing == 0) {
    Status created = CreateTopic(topic, partitions);
    if (!created.ok()) return created;
  }
  const int wanted = *existing > 0 ? *existing : partitions;
  const auto deadline = std::chrono::steady_clock::now() + kLeaderWait;
  while (std::chrono::steady_clock::now() < deadline) {
    Result<int> with_leader = PartitionsWithLeader(topic);
    if (!with_leader.ok()) return with_leader.status();
    if (*with_leader >= wanted) return Status::OK();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status::Timeout("partitions of " + topic + " have no leader after 30 s");
}

Result<std::vector<PartitionOffsets>> BenchTarget::Watermarks(const std::string& topic) {
  Result<int> partitions = PartitionsWithLeader(topic);
  if (!partitions.ok()) return partitions.status();
  std::vector<PartitionOffsets> offsets;
  for (int32_t partition = 0; partition < *partitions; ++partition) {
    PartitionOffsets entry{partition, 0, 0};
    const rd_kafka_resp_err_t error = rd_kafka_query_watermark_offsets(
        control_.get(), topic.c_str(), partition, &entry.low, &entry.high, kRequestTimeoutMs);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable("offsets of " + topic + "/" + std::to_string(partition) + ": " + ErrorText(error));
    }
    offsets.push_back(entry);
  }
  return offsets;
}

}  // namespace kafscale::bench
