// ConsumerLoad: one librdkafka consumer reading given offset ranges of a
// topic on its own thread, for the end-to-end latency of a running produce
// load or the catch-up rate of a backlog.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apps/bench/bench_target.h"
#include "apps/bench/latency_histogram.h"
#include "common/noncopyable.h"
#include "common/status.h"

namespace kafscale::bench {

struct ConsumeReport {
  uint64_t records = 0;
  uint64_t bytes = 0;    // value bytes
  double seconds = 0;    // from Start to the last record read
  bool complete = false; // every partition reached its end offset before Wait's timeout
  std::string first_error;
  LatencyHistogram end_to_end_us;  // filled only when measuring end-to-end latency
};

class ConsumerLoad : NonCopyable {
 public:
  // Starts a consumer of `topic` at `bootstrap` that reads every partition
  // in `from` starting at its `low` offset (no group membership, nothing
  // committed). With `measure_end_to_end` each record's value must start
  // with the send time written by StampSendTime. Errors: InvalidArgument
  // when librdkafka rejects the settings or the assignment.
  static Result<std::unique_ptr<ConsumerLoad>> Start(const std::string& bootstrap, const std::string& topic,
                                                     const std::vector<PartitionOffsets>& from,
                                                     bool measure_end_to_end);

  // Stops the consumer if it is still running.
  ~ConsumerLoad();

  // Tells the consumer where to stop: each partition's `high` offset in
  // `until`. Call once. Thread-safe.
  void FinishAt(const std::vector<PartitionOffsets>& until);

  // Blocks until every partition reached its end offset or `timeout_s`
  // passed (the report then says complete = false), and returns what was
  // read. Call once, after FinishAt, from the thread that called Start.
  ConsumeReport Wait(double timeout_s);

 private:
  ConsumerLoad(KafkaHandle consumer, size_t partitions, bool measure_end_to_end);
  void ReadLoop();
  // Applies the end offsets once FinishAt has published them; false until then.
  bool TakeEndOffsets(std::vector<int64_t>& end_offsets);

  KafkaHandle consumer_;
  const bool measure_end_to_end_;
  // Offsets below this per partition are still to be read.
  std::vector<int64_t> next_offsets_;
  std::mutex end_offsets_mutex_;
  std::vector<int64_t> end_offsets_;  // guarded by end_offsets_mutex_
  std::atomic<bool> end_offsets_known_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};  // every partition reached its end
  ConsumeReport report_;  // written by the read thread until it is joined
  std::chrono::steady_clock::time_point started_;
  std::thread reader_;
};

}  // namespace kafscale::bench
