// LatencyHistogram: a fixed-size log-linear histogram of latencies in
// microseconds with percentile queries. Header-only so the unit test
// (tests/unit/bench) links nothing of the tool.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

namespace kafscale::bench {

// Values below 2^kLinearBits are counted exactly; above that each power of
// two is split into 2^(kLinearBits-1) equal buckets, so a reported percentile
// is at most 1/64 (1.6%) above the true sample. Memory is fixed (about
// 18 KiB) however many samples are recorded, which matters at millions of
// records per run.
class LatencyHistogram {
 public:
  static constexpr int kLinearBits = 7;
  // Latencies are clamped to 2^40 us (about 12 days).
  static constexpr int kMaxValueBits = 40;

  // Counts one latency; negative values (clock steps) count as 0.
  // Not thread-safe: each thread records into its own histogram and the
  // results are merged with Merge().
  void Record(int64_t micros) {
    const uint64_t value = static_cast<uint64_t>(std::clamp<int64_t>(micros, 0, kMaxValue));
    ++counts_[BucketOf(value)];
    ++count_;
    max_ = std::max(max_, value);
    sum_ += value;
  }

  // Adds every sample of `other` to this histogram. Not thread-safe.
  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
    sum_ += other.sum_;
  }

  // The nearest-rank percentile: the smallest recorded bucket value v such
  // that at least `percent`% of the samples are <= v, reported as the
  // bucket's upper bound but never above the largest sample. `percent` is
  // clamped to [0, 100]; 0 for an empty histogram.
  int64_t Percentile(double percent) const {
    if (count_ == 0) return 0;
    const double clamped = std::clamp(percent, 0.0, 100.0);
    const uint64_t rank =
        std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(clamped / 100.0 * static_cast<double>(count_))));
    uint64_t seen = 0;
    for (size_t bucket = 0; bucket < counts_.size(); ++bucket) {
      seen += counts_[bucket];
      if (seen >= rank) return static_cast<int64_t>(std::min(UpperBoundOf(bucket), max_));
    }
    return static_cast<int64_t>(max_);
  }

  uint64_t count() const { return count_; }
  int64_t max() const { return static_cast<int64_t>(max_); }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_); }

 private:
  static constexpr int64_t kMaxValue = int64_t{1} << kMaxValueBits;
  static constexpr uint64_t kHalfLinear = uint64_t{1} << (kLinearBits - 1);
  // One past the bucket of kMaxValue (shift kMaxValueBits - kLinearBits + 1,
  // top bits kHalfLinear).
  static constexpr size_t kBucketCount = (kMaxValueBits - kLinearBits + 2) * kHalfLinear + 1;

  // How many low bits a value loses in its bucket: 0 for the exact range.
  static int ShiftOf(uint64_t value) {
    const int highest_bit = std::bit_width(value) - 1;
    return std::max(0, highest_bit - (kLinearBits - 1));
  }
  // Buckets of consecutive powers of two follow each other without gaps:
  // value >> shift lies in [kHalfLinear, 2 * kHalfLinear) once shift > 0.
  static size_t BucketOf(uint64_t value) {
    const int shift = ShiftOf(value);
    return static_cast<size_t>(shift) * kHalfLinear + (value >> shift);
  }
  static uint64_t UpperBoundOf(size_t bucket) {
    if (bucket < 2 * kHalfLinear) return bucket;
    const uint64_t shift = bucket / kHalfLinear - 1;
    const uint64_t top_bits = bucket - shift * kHalfLinear;
    return ((top_bits + 1) << shift) - 1;
  }

  std::array<uint64_t, kBucketCount> counts_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
  uint64_t sum_ = 0;
};

}  // namespace kafscale::bench
