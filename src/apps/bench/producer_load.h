// ProducerLoad: one or more librdkafka producers sending fixed-size records
// as fast as allowed (or at a target rate) and measuring acknowledgement
// latency per record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "apps/bench/client_stats.h"
#include "apps/bench/latency_histogram.h"
#include "common/noncopyable.h"
#include "common/status.h"

namespace kafscale::bench {

struct ProducerSettings {
  std::string bootstrap;
  std::string topic;
  int partitions = 1;         // records go round-robin over partitions 0..N-1
  int record_size = 1024;     // value bytes; the first 8 carry the send time
  int producers = 1;          // each its own client and thread
  std::string acks = "all";   // librdkafka "acks": all, 1 or 0
  int linger_ms = 5;
  int batch_size = 1'000'000; // librdkafka "batch.size" in bytes
  std::string compression = "none";
  double rate = 0;            // records/s over all producers; 0 = unlimited
  double duration_s = 10;     // used when records == 0
  uint64_t records = 0;       // total over all producers; 0 = run for duration_s
  bool client_stages = false; // also collect librdkafka's statistics into ProduceReport::client_stages
};

struct ProduceReport {
  uint64_t records = 0;  // acknowledged
  uint64_t bytes = 0;    // value bytes acknowledged
  uint64_t failed = 0;   // delivery errors, and records still unacknowledged after the final flush
  std::string first_error;
  double seconds = 0;    // from the first send to the last acknowledgement
  LatencyHistogram latency_us;  // delivery report time minus produce call time
  std::optional<ClientStagesReport> client_stages;
};

class ProducerLoad : NonCopyable {
 public:
  explicit ProducerLoad(ProducerSettings settings) : settings_(std::move(settings)) {}

  // Runs the load to completion on settings.producers threads and blocks
  // until every record is acknowledged or has failed (at most 60 s after
  // the last send). Errors: InvalidArgument when librdkafka rejects the
  // settings; delivery failures are counted in the report, not returned.
  // Not thread-safe: one Run at a time.
  Result<ProduceReport> Run();

 private:
  ProducerSettings settings_;
};

// Writes the current wall-clock time in microseconds into the first 8 bytes
// of `value` (which has at least 8), and reads it back: the end-to-end
// latency of a record is its consume time minus this. Wall-clock rather
// than steady time so that a consumer in another process could use it.
void StampSendTime(char* value);
int64_t ReadSendTime(const void* value);
int64_t WallClockMicros();

}  // namespace kafscale::bench
