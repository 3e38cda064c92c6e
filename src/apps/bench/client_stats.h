// ClientStages: where a produce latency goes inside librdkafka, from its own
// statistics (`statistics.interval.ms`). Per broker it times how long records
// wait in the client before a request carries them (int_latency, linger
// included), how long a built request waits to be sent (outbuf_latency) and
// the request's round trip (rtt: the broker plus the network plus the
// client's receiving thread). Splitting a produce p99 this way shows how
// much of it is the client's own.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/noncopyable.h"
#include "common/status.h"

namespace kafscale::bench {

// One stage over a run: librdkafka gives percentiles per statistics window,
// which cannot be merged into the run's, so the report keeps the median of
// the windows' p50 and the median and the worst of their p99.
struct StageSummary {
  double p50_ms = 0;
  double p99_ms = 0;
  double worst_p99_ms = 0;
};

struct ClientStagesReport {
  int windows = 0;               // statistics windows (per broker connection) with Produce requests
  StageSummary queued;           // int_latency: produce call until a request carries the record
  StageSummary send_wait;        // outbuf_latency: request built until written to the socket
  StageSummary round_trip;       // rtt: request sent until its response is read
  double produce_requests_per_s = 0;
  int unreadable_documents = 0;  // not statistics documents (skipped)
};

// Accumulates librdkafka statistics documents (any number of clients).
// Not thread-safe.
class ClientStagesSummary {
 public:
  // Adds one statistics document. Brokers that are only bootstrap entries
  // (nodeid -1), windows without Produce requests and stages that timed
  // nothing are skipped. Errors:
  // InvalidArgument when `json` is not a statistics document (also counted
  // in the report).
  Status Add(std::string_view json);
  ClientStagesReport Report() const;

 private:
  // One stage in one statistics window of one broker connection.
  struct StageWindow {
    uint64_t samples = 0;
    double p50_ms = 0;
    double p99_ms = 0;
  };
  struct Windows {
    std::vector<double> p50_ms;
    std::vector<double> p99_ms;
    void Add(const StageWindow& window) {
      if (window.samples == 0) return;  // nothing timed: its percentiles read 0
      p50_ms.push_back(window.p50_ms);
      p99_ms.push_back(window.p99_ms);
    }
  };
  // First and latest (ts microseconds, cumulative Produce requests) per client and broker.
  struct RequestCount {
    int64_t first_ts_us = 0;
    uint64_t first = 0;
    int64_t last_ts_us = 0;
    uint64_t last = 0;
  };
  Windows queued_;
  Windows send_wait_;
  Windows round_trip_;
  std::map<std::string, RequestCount> produce_requests_;
  int windows_ = 0;
  int unreadable_ = 0;
};

// Parses statistics documents on its own thread so that the polling thread,
// which also serves the delivery reports being timed, only copies them.
class ClientStagesCollector : NonCopyable {
 public:
  static constexpr int kIntervalMs = 1000;

  ClientStagesCollector();
  ~ClientStagesCollector();

  // Queues one document (from a stats callback). Thread-safe.
  void Add(std::string json);
  // Waits until every queued document is parsed and returns the summary.
  // Thread-safe; call after the clients are done.
  ClientStagesReport Finish();

 private:
  void Parse();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> pending_;  // guarded by mutex_
  bool busy_ = false;                // a document is being parsed; guarded by mutex_
  bool stopping_ = false;            // guarded by mutex_
  ClientStagesSummary summary_;      // touched by the parsing thread, and by Finish once it is idle
  std::thread parser_;
};

}  // namespace kafscale::bench
