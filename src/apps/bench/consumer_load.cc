#include "apps/bench/consumer_load.h"

#include <chrono>

#include "apps/bench/producer_load.h"

namespace kafscale::bench {

namespace {

constexpr int kPollMs = 100;

}  // namespace

ConsumerLoad::ConsumerLoad(KafkaHandle consumer, size_t partitions, bool measure_end_to_end)
    : consumer_(std::move(consumer)), measure_end_to_end_(measure_end_to_end), next_offsets_(partitions, 0) {}

Result<std::unique_ptr<ConsumerLoad>> ConsumerLoad::Start(const std::string& bootstrap, const std::string& topic,
                                                          const std::vector<PartitionOffsets>& from,
                                                          bool measure_end_to_end) {
  // librdkafka's assign() needs a group id although nothing joins the group
  // or commits; a unique one keeps runs from seeing each other's state.
  const std::string group =
      "kafscale-bench-" + std::to_string(WallClockMicros()) + "-" + (measure_end_to_end ? "e2e" : "catchup");
  Result<KafkaHandle> client = NewKafkaClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                                                  {"group.id", group},
                                                                  {"enable.auto.commit", "false"},
                                                                  {"enable.auto.offset.store", "false"},
                                                                  {"enable.partition.eof", "false"},
                                                                  // Records deleted before they were read (the
                                                                  // mock keeps only 5 MB per partition) end the
                                                                  // run as incomplete instead of being skipped.
                                                                  {"auto.offset.reset", "error"}});
  if (!client.ok()) return client.status();
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(static_cast<int>(from.size()));
  for (const PartitionOffsets& range : from) {
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), range.partition)->offset = range.low;
  }
  const rd_kafka_resp_err_t error = rd_kafka_assign(client->get(), assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::InvalidArgument(std::string("assigning ") + topic + ": " + rd_kafka_err2str(error));
  }

  std::unique_ptr<ConsumerLoad> load(new ConsumerLoad(std::move(*client), from.size(), measure_end_to_end));
  for (const PartitionOffsets& range : from) load->next_offsets_[static_cast<size_t>(range.partition)] = range.low;
  load->started_ = std::chrono::steady_clock::now();
  load->reader_ = std::thread([raw = load.get()] { raw->ReadLoop(); });
  return load;
}

ConsumerLoad::~ConsumerLoad() {
  stop_ = true;
  if (reader_.joinable()) reader_.join();
  if (consumer_) rd_kafka_consumer_close(consumer_.get());
}

void ConsumerLoad::FinishAt(const std::vector<PartitionOffsets>& until) {
  std::lock_guard<std::mutex> lock(end_offsets_mutex_);
  end_offsets_.assign(next_offsets_.size(), 0);
  for (const PartitionOffsets& range : until) {
    if (static_cast<size_t>(range.partition) < end_offsets_.size()) {
      end_offsets_[static_cast<size_t>(range.partition)] = range.high;
    }
  }
  end_offsets_known_ = true;
}

bool ConsumerLoad::TakeEndOffsets(std::vector<int64_t>& end_offsets) {
  if (!end_offsets_known_) return false;
  std::lock_guard<std::mutex> lock(end_offsets_mutex_);
  end_offsets = end_offsets_;
  return true;
}

void ConsumerLoad::ReadLoop() {
  std::vector<int64_t> end_offsets;
  // Partitions not yet at their end offset; known once the ends are.
  size_t unfinished = next_offsets_.size();
  bool ends_applied = false;
  while (!stop_) {
    if (!ends_applied && TakeEndOffsets(end_offsets)) {
      ends_applied = true;
      unfinished = 0;
      for (size_t p = 0; p < next_offsets_.size(); ++p) unfinished += next_offsets_[p] < end_offsets[p] ? 1 : 0;
    }
    if (ends_applied && unfinished == 0) {
      report_.complete = true;
      done_ = true;
      return;
    }
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_.get(), kPollMs);
    if (message == nullptr) continue;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Transient fetch errors are retried by librdkafka; keep the first for the report.
      if (report_.first_error.empty()) report_.first_error = rd_kafka_message_errstr(message);
      const bool log_start_passed_us = message->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET;
      rd_kafka_message_destroy(message);
      if (log_start_passed_us) break;  // records were deleted unread: the run cannot complete
      continue;
    }
    const size_t partition = static_cast<size_t>(message->partition);
    ++report_.records;
    report_.bytes += message->len;
    if (measure_end_to_end_ && message->len >= sizeof(int64_t)) {
      report_.end_to_end_us.Record(WallClockMicros() - ReadSendTime(message->payload));
    }
    report_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    if (partition < next_offsets_.size()) {
      const bool was_unfinished = ends_applied && next_offsets_[partition] < end_offsets[partition];
      next_offsets_[partition] = message->offset + 1;
      if (was_unfinished && next_offsets_[partition] >= end_offsets[partition]) --unfinished;
    }
    rd_kafka_message_destroy(message);
  }
  done_ = true;
}

ConsumeReport ConsumerLoad::Wait(double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(timeout_s));
  while (!done_ && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop_ = true;
  reader_.join();
  return std::move(report_);
}

}  // namespace kafscale::bench
