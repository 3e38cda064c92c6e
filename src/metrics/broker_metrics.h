// The Kafka front end's instruments: requests by API and outcome, their
// latency, and produce/fetch traffic. Thread-safe (see registry.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "common/noncopyable.h"
#include "metrics/rate_window.h"
#include "metrics/registry.h"

namespace kafscale::metrics {

class BrokerMetrics : NonCopyable {
 public:
  // Registers the families below in `registry`, plus a collector for the
  // request rates and uptime; this object must outlive every later Collect.
  //   kafscale_requests_total{api,error}            counter
  //   kafscale_request_duration_seconds{api}        histogram
  //   kafscale_produce_latency_ms                   histogram (original KafScale name)
  //   kafscale_produce_bytes_total, kafscale_produce_records_total,
  //   kafscale_fetch_bytes_total, kafscale_fetch_records_total   counters
  //   kafscale_produce_rps, kafscale_fetch_rps      gauges (10 s window)
  //   kafscale_broker_uptime_seconds                gauge
  explicit BrokerMetrics(Registry& registry, SteadyNow now = RealSteadyNow());

  // One answered (or refused) request. `api` is the API name ("Produce"),
  // `error` the Kafka error name of its first error ("NONE" when none).
  void RecordRequest(std::string_view api, std::string_view error, std::chrono::steady_clock::duration elapsed);
  // Record-batch bytes and records accepted by Produce / returned by Fetch.
  void RecordProduced(uint64_t bytes, uint64_t records);
  void RecordFetched(uint64_t bytes, uint64_t records);

 private:
  const SteadyNow now_;
  const std::chrono::steady_clock::time_point started_;
  Family<Counter>& requests_;
  Family<Histogram>& durations_;
  Histogram& produce_latency_ms_;
  Counter& produce_bytes_;
  Counter& produce_records_;
  Counter& fetch_bytes_;
  Counter& fetch_records_;
  RateWindow produce_rate_;
  RateWindow fetch_rate_;
};

}  // namespace kafscale::metrics
