// Requests, errors and latency of one storage backend by operation, shared
// by the instrumented object-store and metadata-store decorators.
// Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/noncopyable.h"
#include "common/status.h"
#include "metrics/registry.h"

namespace kafscale::metrics {

// "not_found", "unavailable", ...: a Status code as a label value.
std::string_view StatusCodeLabel(Status::Code code);

class StoreMetrics : NonCopyable {
 public:
  // Registers, for prefix P ("kafscale_object_store"):
  //   P_requests_total{op}, P_errors_total{op,code},
  //   P_request_duration_seconds{op}
  // `what` names the store in help texts. `operations` are the op label
  // values; Record's `op` indexes them.
  StoreMetrics(Registry& registry, const std::string& prefix, const std::string& what,
               std::vector<std::string> operations);

  // One finished call. NotFound is an answer, not an error, so it is not
  // counted in P_errors_total.
  void Record(size_t op, const Status& status, std::chrono::steady_clock::duration elapsed);

  const std::string& operation(size_t op) const { return operations_[op]; }

 private:
  struct PerOperation {
    Counter* requests;
    Histogram* duration;
  };
  const std::vector<std::string> operations_;
  Family<Counter>& errors_;
  std::vector<PerOperation> per_operation_;
};

}  // namespace kafscale::metrics
