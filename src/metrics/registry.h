// A small metrics registry: counters, gauges and fixed-bucket histograms,
// optionally split by labels, plus collectors that produce samples when
// scraped (for values that live elsewhere, like per-partition offsets).
//
// Thread-safety: recording (Increment, Set, Observe) is lock-free and may
// happen on any thread. Registering, WithLabels and Collect are thread-safe
// too (they take the registry's or the family's mutex). Collectors run on the
// thread that calls Collect.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/noncopyable.h"

namespace kafscale::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge, kHistogram };

// One exposition line: metric name (with any _bucket/_sum/_count suffix),
// labels and value.
struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

// What one metric family looks like at scrape time.
struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<Sample> samples;
};

// A monotonically increasing count.
class Counter : NonCopyable {
 public:
  void Increment(uint64_t amount = 1) { value_.fetch_add(amount, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge : NonCopyable {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double amount) { value_.fetch_add(amount, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative bucket counts as the text format wants them.
struct HistogramSnapshot {
  std::vector<double> upper_bounds;         // ascending, without +Inf
  std::vector<uint64_t> cumulative_counts;  // one per bound, then one for +Inf
  double sum = 0;
  uint64_t count() const { return cumulative_counts.empty() ? 0 : cumulative_counts.back(); }
};

// Observations counted into fixed buckets (upper bounds inclusive, as
// Prometheus defines them).
class Histogram : NonCopyable {
 public:
  // `upper_bounds` must be ascending and finite; +Inf is implied.
  explicit Histogram(std::vector<double> upper_bounds);

  void Observe(double value);
  // Counts read one by one while others may observe: the +Inf bucket is the
  // total of the buckets read, so the snapshot is always self-consistent.
  HistogramSnapshot Snapshot() const;

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> bucket_counts_;  // bounds + 1 (+Inf)
  std::atomic<double> sum_{0};
};

// Builds a snapshot from plain values (for histograms computed at scrape time).
HistogramSnapshot MakeHistogramSnapshot(const std::vector<double>& upper_bounds, const std::vector<double>& values);

// Appends the _bucket, _sum and _count samples of `histogram` to `family`.
void AppendHistogramSamples(FamilySnapshot& family, const Labels& labels, const HistogramSnapshot& histogram);

// A family of one unlabelled sample (for collectors).
FamilySnapshot SingleSampleFamily(const std::string& name, const std::string& help, MetricType type, double value);

// Bucket bounds: `count` bounds from `start`, each `factor` times the last.
std::vector<double> ExponentialBuckets(double start, double factor, size_t count);
// Round bounds: each of `steps` (ascending, in [1, 10)) times every power of
// ten from 10^first_exponent to 10^last_exponent, e.g. steps {1, 2, 5}:
// 0.1, 0.2, 0.5, 1, 2, 5... Adjacent bounds differ by the largest ratio
// between consecutive steps (and from the last step to 10).
std::vector<double> DecadeBuckets(int first_exponent, int last_exponent, const std::vector<double>& steps);
// DecadeBuckets with steps 1, 1.5, 2, 3, 5, 7: at most 1.67x apart, so a
// quantile read from the buckets is within a step of the real one. The
// latency histograms use them.
std::vector<double> RoundStepBuckets(int first_exponent, int last_exponent);

// Children of one metric, one per distinct set of label values.
template <typename Metric>
class Family : NonCopyable {
 public:
  using Factory = std::function<std::unique_ptr<Metric>()>;
  Family(std::vector<std::string> label_names, Factory factory)
      : label_names_(std::move(label_names)), factory_(std::move(factory)) {}

  // The child for `values` (one per label name, in order), created on first
  // use. The reference stays valid as long as the family; callers on hot
  // paths may keep it. A wrong number of values throws
  // std::invalid_argument (a programming error).
  Metric& WithLabels(const std::vector<std::string>& values) {
    if (values.size() != label_names_.size()) throw std::invalid_argument("wrong number of label values");
    std::lock_guard lock(mutex_);
    auto& slot = children_[values];
    if (!slot) slot = factory_();
    return *slot;
  }

  // Calls visit(labels, metric) for every child, in label order.
  template <typename Visit>
  void ForEach(Visit&& visit) const {
    std::lock_guard lock(mutex_);
    for (const auto& [values, metric] : children_) {
      Labels labels;
      for (size_t i = 0; i < label_names_.size(); ++i) {
        labels.emplace_back(label_names_[i], values[i]);
      }
      visit(labels, *metric);
    }
  }

 private:
  const std::vector<std::string> label_names_;
  const Factory factory_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

// Appends families to a scrape. Runs inside Collect, on the scraping thread.
using Collector = std::function<void(std::vector<FamilySnapshot>& out)>;

class Registry : NonCopyable {
 public:
  Registry();
  ~Registry();

  // Each Add* registers a family under a name that must be unique in the
  // registry and follow Prometheus naming ([a-zA-Z_:][a-zA-Z0-9_:]*); either
  // violation throws std::invalid_argument (a programming error). The
  // returned reference lives as long as the registry.
  Counter& AddCounter(const std::string& name, const std::string& help);
  Family<Counter>& AddCounterFamily(const std::string& name, const std::string& help,
                                    std::vector<std::string> label_names);
  Gauge& AddGauge(const std::string& name, const std::string& help);
  Family<Gauge>& AddGaugeFamily(const std::string& name, const std::string& help, std::vector<std::string> label_names);
  Histogram& AddHistogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds);
  Family<Histogram>& AddHistogramFamily(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names, std::vector<double> upper_bounds);

  // Adds a scrape-time source of families. Whatever it captures must stay
  // valid while Collect may run; its family names must not clash with
  // registered ones.
  void AddCollector(Collector collector);

  // Every registered family (in registration order), then every collector's.
  std::vector<FamilySnapshot> Collect() const;

 private:
  struct Entry;
  void Register(Entry entry);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<Collector> collectors_;
};

// True for names matching [a-zA-Z_:][a-zA-Z0-9_:]* (label names: no ':').
bool IsValidMetricName(const std::string& name);
bool IsValidLabelName(const std::string& name);

}  // namespace kafscale::metrics
