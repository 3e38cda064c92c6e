// Events per second over a sliding window of whole seconds (the original
// KafScale's kafscale_produce_rps and kafscale_fetch_rps). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include "common/noncopyable.h"
#include "metrics/clock.h"

namespace kafscale::metrics {

class RateWindow : NonCopyable {
 public:
  // `window` must be at least one second.
  explicit RateWindow(std::chrono::seconds window, SteadyNow now = RealSteadyNow());

  void Record(uint64_t events = 1);
  // Events in the window (the current second included) divided by its length.
  double PerSecond() const;

 private:
  struct Bucket {
    int64_t second = -1;
    uint64_t events = 0;
  };
  int64_t CurrentSecond() const;

  const SteadyNow now_;
  const std::chrono::steady_clock::time_point origin_;
  mutable std::mutex mutex_;
  std::vector<Bucket> buckets_;  // indexed by second modulo the window; guarded by mutex_
};

}  // namespace kafscale::metrics
