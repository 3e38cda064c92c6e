// S3HealthTracker: the broker's view of object-store health, from the
// latency and outcome of recent requests over a sliding window (design
// section 8). Healthy, degraded or unavailable; /readyz fails and produce
// is refused while unavailable.
//
// Thread-safety: every method may be called from any thread (the object
// store records from the I/O pool, the HTTP server reads on the core).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/noncopyable.h"
#include "metrics/clock.h"
#include "metrics/registry.h"

namespace kafscale::metrics {

enum class HealthState { kHealthy, kDegraded, kUnavailable };

// "healthy", "degraded", "unavailable" (the original KafScale's label values).
std::string_view HealthStateName(HealthState state);

struct S3HealthOptions {
  std::chrono::seconds window{60};
  // Average latency or error rate over the window at or above which the
  // store is degraded / unavailable.
  std::chrono::milliseconds degraded_latency{500};
  double degraded_error_rate = 0.2;
  std::chrono::milliseconds unavailable_latency{3000};
  double unavailable_error_rate = 0.6;
  // The window rules apply once it holds this many requests, so one slow or
  // failed request after a quiet spell does not flip the state.
  uint64_t min_requests = 5;
  // This many failures in a row make the store unavailable at once, without
  // waiting for the window's error rate to climb.
  uint32_t unavailable_after_consecutive_failures = 3;
  // After the store was unavailable because requests failed, this many
  // successes in a row start a fresh window, so a store that came back is
  // not held degraded by the errors of its outage.
  uint32_t recovery_consecutive_successes = 3;
};

struct S3HealthSnapshot {
  HealthState state = HealthState::kHealthy;
  double average_latency_ms = 0;  // over the window; 0 when it is empty
  double error_rate = 0;          // failed / all requests in the window
  uint64_t requests = 0;          // in the window
  std::chrono::steady_clock::duration in_state_for{};
  std::string reason;  // why the state is what it is, for /readyz
};

class S3HealthTracker : NonCopyable {
 public:
  explicit S3HealthTracker(S3HealthOptions options = {}, SteadyNow now = RealSteadyNow());

  // One finished object-store request. `failed` means the store could not
  // answer (unreachable, timed out, refused our credentials): an answer such
  // as "not found" is a success here.
  void Record(std::chrono::steady_clock::duration latency, bool failed);

  S3HealthSnapshot Snapshot() const;
  HealthState state() const { return Snapshot().state; }

 private:
  struct Bucket {
    int64_t second = -1;
    uint64_t requests = 0;
    uint64_t failures = 0;
    double latency_ms_sum = 0;
  };
  struct Totals {
    uint64_t requests = 0;
    uint64_t failures = 0;
    double latency_ms_sum = 0;
    double average_latency_ms() const { return requests ? latency_ms_sum / static_cast<double>(requests) : 0; }
    double error_rate() const { return requests ? static_cast<double>(failures) / static_cast<double>(requests) : 0; }
  };

  int64_t CurrentSecond() const;
  Totals SumWindow(int64_t second) const;  // requires mutex_
  // Recomputes state_ (and state_since_ on a change). Requires mutex_.
  void Evaluate(int64_t second, std::string* reason) const;

  const S3HealthOptions options_;
  const SteadyNow now_;
  const std::chrono::steady_clock::time_point origin_;
  mutable std::mutex mutex_;
  std::vector<Bucket> buckets_;  // indexed by second modulo the window
  uint32_t consecutive_failures_ = 0;
  uint32_t consecutive_successes_ = 0;
  // Evaluated lazily by readers too, hence mutable.
  mutable HealthState state_ = HealthState::kHealthy;
  mutable std::chrono::steady_clock::time_point state_since_;
  // Set when failed requests made the store unavailable; cleared when a run
  // of successes starts a fresh window.
  mutable bool recovering_from_outage_ = false;
};

// The original KafScale's health gauges: kafscale_s3_health_state{state}
// (1 for the current state, 0 for the others), kafscale_s3_latency_ms_avg,
// kafscale_s3_error_rate and kafscale_s3_state_duration_seconds.
void AppendS3HealthFamilies(const S3HealthSnapshot& snapshot, std::vector<FamilySnapshot>& out);

}  // namespace kafscale::metrics
