#include "metrics/store_metrics.h"

namespace kafscale::metrics {

std::string_view StatusCodeLabel(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "ok";
    case Status::Code::kNotFound:
      return "not_found";
    case Status::Code::kAlreadyExists:
      return "already_exists";
    case Status::Code::kCorruption:
      return "corruption";
    case Status::Code::kInvalidArgument:
      return "invalid_argument";
    case Status::Code::kIOError:
      return "io_error";
    case Status::Code::kUnavailable:
      return "unavailable";
    case Status::Code::kTimeout:
      return "timeout";
    case Status::Code::kConflict:
      return "conflict";
    case Status::Code::kPermissionDenied:
      return "permission_denied";
    case Status::Code::kAborted:
      return "aborted";
  }
  return "unknown";
}

StoreMetrics::StoreMetrics(Registry& registry, const std::string& prefix, const std::string& what,
                           std::vector<std::string> operations)
    : operations_(std::move(operations)),
      errors_(registry.AddCounterFamily(prefix + "_errors_total",
                                        what + " calls that failed, by operation and status code (not found "
                                               "is an answer and is not counted).",
                                        {"op", "code"})) {
  Family<Counter>& requests =
      registry.AddCounterFamily(prefix + "_requests_total", what + " calls by operation.", {"op"});
  // 0.1 ms .. 70 s: local disk to a slow remote store.
  Family<Histogram>& durations = registry.AddHistogramFamily(
      prefix + "_request_duration_seconds", what + " call latency by operation.", {"op"}, RoundStepBuckets(-4, 1));
  for (const std::string& op : operations_) {
    per_operation_.push_back(PerOperation{&requests.WithLabels({op}), &durations.WithLabels({op})});
  }
}

void StoreMetrics::Record(size_t op, const Status& status, std::chrono::steady_clock::duration elapsed) {
  const PerOperation& metrics = per_operation_[op];
  metrics.requests->Increment();
  metrics.duration->Observe(std::chrono::duration<double>(elapsed).count());
  if (!status.ok() && !status.IsNotFound()) {
    errors_.WithLabels({operations_[op], std::string(StatusCodeLabel(status.code()))}).Increment();
  }
}

}  // namespace kafscale::metrics
