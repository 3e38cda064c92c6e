#include "metrics/broker_metrics.h"

#include <string>

namespace kafscale::metrics {

namespace {

constexpr std::chrono::seconds kRateWindow{10};
constexpr std::string_view kProduceApi = "Produce";
constexpr std::string_view kFetchApi = "Fetch";

// 0.1 ms .. 70 s: from a cached fetch to a long poll or a slow upload.
std::vector<double> RequestSecondsBuckets() { return RoundStepBuckets(-4, 1); }
// 1 ms .. 70 s: produce waits for an upload, so it is rarely under 1 ms.
std::vector<double> ProduceMillisecondsBuckets() { return RoundStepBuckets(0, 4); }

}  // namespace

BrokerMetrics::BrokerMetrics(Registry& registry, SteadyNow now)
    : now_(std::move(now)),
      started_(now_()),
      requests_(registry.AddCounterFamily("kafscale_requests_total",
                                          "Kafka requests by API and the first error code of the answer "
                                          "(NONE when it had none).",
                                          {"api", "error"})),
      durations_(registry.AddHistogramFamily("kafscale_request_duration_seconds",
                                             "Time from reading a Kafka request to having its answer, by API.", {"api"},
                                             RequestSecondsBuckets())),
      produce_latency_ms_(registry.AddHistogram("kafscale_produce_latency_ms",
                                                "Produce request latency in milliseconds (acknowledged after "
                                                "the upload).",
                                                ProduceMillisecondsBuckets())),
      produce_bytes_(registry.AddCounter("kafscale_produce_bytes_total", "Record-batch bytes accepted by Produce.")),
      produce_records_(registry.AddCounter("kafscale_produce_records_total", "Records accepted by Produce.")),
      fetch_bytes_(registry.AddCounter("kafscale_fetch_bytes_total", "Record-batch bytes returned by Fetch.")),
      fetch_records_(registry.AddCounter("kafscale_fetch_records_total", "Records returned by Fetch.")),
      produce_rate_(kRateWindow, now_),
      fetch_rate_(kRateWindow, now_) {
  registry.AddCollector([this](std::vector<FamilySnapshot>& out) {
    out.push_back(SingleSampleFamily("kafscale_produce_rps", "Produce requests per second over the last 10 seconds.",
                                     MetricType::kGauge, produce_rate_.PerSecond()));
    out.push_back(SingleSampleFamily("kafscale_fetch_rps", "Fetch requests per second over the last 10 seconds.",
                                     MetricType::kGauge, fetch_rate_.PerSecond()));
    out.push_back(SingleSampleFamily("kafscale_broker_uptime_seconds", "Seconds since the broker started.",
                                     MetricType::kGauge, std::chrono::duration<double>(now_() - started_).count()));
  });
}

void BrokerMetrics::RecordRequest(std::string_view api, std::string_view error,
                                  std::chrono::steady_clock::duration elapsed) {
  const std::string api_label(api);
  requests_.WithLabels({api_label, std::string(error)}).Increment();
  const double seconds = std::chrono::duration<double>(elapsed).count();
  durations_.WithLabels({api_label}).Observe(seconds);
  if (api == kProduceApi) {
    produce_latency_ms_.Observe(seconds * 1000);
    produce_rate_.Record();
  } else if (api == kFetchApi) {
    fetch_rate_.Record();
  }
}

void BrokerMetrics::RecordProduced(uint64_t bytes, uint64_t records) {
  produce_bytes_.Increment(bytes);
  produce_records_.Increment(records);
}

void BrokerMetrics::RecordFetched(uint64_t bytes, uint64_t records) {
  fetch_bytes_.Increment(bytes);
  fetch_records_.Increment(records);
}

}  // namespace kafscale::metrics
