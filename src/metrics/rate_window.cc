#include "metrics/rate_window.h"

#include <stdexcept>

namespace kafscale::metrics {

RateWindow::RateWindow(std::chrono::seconds window, SteadyNow now) : now_(std::move(now)), origin_(now_()) {
  if (window.count() < 1) throw std::invalid_argument("rate window must be at least one second");
  buckets_.resize(static_cast<size_t>(window.count()));
}

int64_t RateWindow::CurrentSecond() const {
  return std::chrono::duration_cast<std::chrono::seconds>(now_() - origin_).count();
}

void RateWindow::Record(uint64_t events) {
  const int64_t second = CurrentSecond();
  std::lock_guard lock(mutex_);
  Bucket& bucket = buckets_[static_cast<size_t>(second) % buckets_.size()];
  if (bucket.second != second) bucket = Bucket{second, 0};
  bucket.events += events;
}

double RateWindow::PerSecond() const {
  const int64_t second = CurrentSecond();
  const int64_t window = static_cast<int64_t>(buckets_.size());
  uint64_t total = 0;
  std::lock_guard lock(mutex_);
  for (const Bucket& bucket : buckets_) {
    if (bucket.second > second - window) total += bucket.events;
  }
  return static_cast<double>(total) / static_cast<double>(window);
}

}  // namespace kafscale::metrics
