#include "metrics/s3_health.h"

#include <fmt/format.h>

#include <stdexcept>

namespace kafscale::metrics {

std::string_view HealthStateName(HealthState state) {
  switch (state) {
    case HealthState::kHealthy:
      return "healthy";
    case HealthState::kDegraded:
      return "degraded";
    case HealthState::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

S3HealthTracker::S3HealthTracker(S3HealthOptions options, SteadyNow now)
    : options_(options), now_(std::move(now)), origin_(now_()), state_since_(origin_) {
  if (options_.window.count() < 1) throw std::invalid_argument("S3 health window must be at least one second");
  buckets_.resize(static_cast<size_t>(options_.window.count()));
}

int64_t S3HealthTracker::CurrentSecond() const {
  return std::chrono::duration_cast<std::chrono::seconds>(now_() - origin_).count();
}

S3HealthTracker::Totals S3HealthTracker::SumWindow(int64_t second) const {
  Totals totals;
  const int64_t window = static_cast<int64_t>(buckets_.size());
  for (const Bucket& bucket : buckets_) {
    if (bucket.second <= second - window) continue;
    totals.requests += bucket.requests;
    totals.failures += bucket.failures;
    totals.latency_ms_sum += bucket.latency_ms_sum;
  }
  return totals;
}

void S3HealthTracker::Record(std::chrono::steady_clock::duration latency, bool failed) {
  const int64_t second = CurrentSecond();
  std::lock_guard lock(mutex_);
  if (failed) {
    ++consecutive_failures_;
    consecutive_successes_ = 0;
  } else {
    ++consecutive_successes_;
    consecutive_failures_ = 0;
    if (recovering_from_outage_ && consecutive_successes_ >= options_.recovery_consecutive_successes) {
      for (Bucket& bucket : buckets_) bucket = Bucket{};
      recovering_from_outage_ = false;
    }
  }
  Bucket& bucket = buckets_[static_cast<size_t>(second) % buckets_.size()];
  if (bucket.second != second) bucket = Bucket{second, 0, 0, 0};
  ++bucket.requests;
  if (failed) ++bucket.failures;
  bucket.latency_ms_sum += std::chrono::duration<double, std::milli>(latency).count();
  Evaluate(second, nullptr);
}

void S3HealthTracker::Evaluate(int64_t second, std::string* reason) const {
  const Totals totals = SumWindow(second);
  const double average_ms = totals.average_latency_ms();
  const double error_rate = totals.error_rate();
  const bool enough = totals.requests >= options_.min_requests;
  HealthState state = HealthState::kHealthy;
  if (consecutive_failures_ >= options_.unavailable_after_consecutive_failures ||
      (enough && error_rate >= options_.unavailable_error_rate)) {
    state = HealthState::kUnavailable;
    recovering_from_outage_ = true;
  } else if (enough && average_ms >= static_cast<double>(options_.unavailable_latency.count())) {
    state = HealthState::kUnavailable;
  } else if (enough && (error_rate >= options_.degraded_error_rate ||
                        average_ms >= static_cast<double>(options_.degraded_latency.count()))) {
    state = HealthState::kDegraded;
  }
  if (state != state_) {
    state_ = state;
    state_since_ = now_();
  }
  // Only readers want words; Record skips the formatting.
  if (!reason) return;
  if (consecutive_failures_ >= options_.unavailable_after_consecutive_failures) {
    *reason = fmt::format("the last {} object-store requests failed", consecutive_failures_);
  } else {
    *reason = fmt::format("{:.1f} ms average latency and {:.0f}% errors over {} requests in the last {} s", average_ms,
                          error_rate * 100, totals.requests, options_.window.count());
  }
}

S3HealthSnapshot S3HealthTracker::Snapshot() const {
  const int64_t second = CurrentSecond();
  std::lock_guard lock(mutex_);
  S3HealthSnapshot snapshot;
  Evaluate(second, &snapshot.reason);
  const Totals totals = SumWindow(second);
  snapshot.state = state_;
  snapshot.requests = totals.requests;
  snapshot.average_latency_ms = totals.average_latency_ms();
  snapshot.error_rate = totals.error_rate();
  snapshot.in_state_for = now_() - state_since_;
  return snapshot;
}

void AppendS3HealthFamilies(const S3HealthSnapshot& snapshot, std::vector<FamilySnapshot>& out) {
  FamilySnapshot state{"kafscale_s3_health_state",
                       "1 for the object store's current health state, 0 for the others.",
                       MetricType::kGauge,
                       {}};
  for (HealthState each : {HealthState::kHealthy, HealthState::kDegraded, HealthState::kUnavailable}) {
    state.samples.push_back(
        Sample{state.name, {{"state", std::string(HealthStateName(each))}}, each == snapshot.state ? 1.0 : 0.0});
  }
  out.push_back(std::move(state));
  out.push_back(SingleSampleFamily("kafscale_s3_latency_ms_avg",
                                   "Average object-store request latency in milliseconds over the health window.",
                                   MetricType::kGauge, snapshot.average_latency_ms));
  out.push_back(SingleSampleFamily("kafscale_s3_error_rate",
                                   "Fraction of object-store requests that failed over the health window.",
                                   MetricType::kGauge, snapshot.error_rate));
  out.push_back(SingleSampleFamily("kafscale_s3_state_duration_seconds",
                                   "Seconds spent in the current object-store health state.", MetricType::kGauge,
                                   std::chrono::duration<double>(snapshot.in_state_for).count()));
}

}  // namespace kafscale::metrics
