#include "metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "metrics/text_format.h"

namespace kafscale::metrics {

namespace {

bool IsNameChar(char c, bool first, bool allow_colon) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
  return letter || (!first && c >= '0' && c <= '9');
}

bool IsValidName(const std::string& name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, allow_colon)) return false;
  }
  return true;
}

}  // namespace

bool IsValidMetricName(const std::string& name) { return IsValidName(name, true); }
bool IsValidLabelName(const std::string& name) { return IsValidName(name, false) && !name.starts_with("__"); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      bucket_counts_(std::make_unique<std::atomic<uint64_t>[]>(upper_bounds_.size() + 1)) {
  if (!std::is_sorted(upper_bounds_.begin(), upper_bounds_.end())) {
    throw std::invalid_argument("histogram bucket bounds must be ascending");
  }
}

void Histogram::Observe(double value) {
  const size_t bucket =
      static_cast<size_t>(std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  bucket_counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::Snapshot() const {
  HistogramSnapshot out;
  out.upper_bounds = upper_bounds_;
  out.cumulative_counts.reserve(upper_bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    running += bucket_counts_[i].load(std::memory_order_relaxed);
    out.cumulative_counts.push_back(running);
  }
  out.sum = sum_.load(std::memory_order_relaxed);
  return out;
}

HistogramSnapshot MakeHistogramSnapshot(const std::vector<double>& upper_bounds, const std::vector<double>& values) {
  Histogram histogram(upper_bounds);
  for (double value : values) histogram.Observe(value);
  return histogram.Snapshot();
}

FamilySnapshot SingleSampleFamily(const std::string& name, const std::string& help, MetricType type, double value) {
  return FamilySnapshot{name, help, type, {Sample{name, {}, value}}};
}

std::vector<double> ExponentialBuckets(double start, double factor, size_t count) {
  std::vector<double> bounds;
  bounds.reserve(count);
  double bound = start;
  for (size_t i = 0; i < count; ++i, bound *= factor) bounds.push_back(bound);
  return bounds;
}

std::vector<double> DecadeBuckets(int first_exponent, int last_exponent, const std::vector<double>& steps) {
  std::vector<double> bounds;
  for (int exponent = first_exponent; exponent <= last_exponent; ++exponent) {
    // An exact power of ten, multiplied or divided once: each bound is the
    // double nearest its decimal value, so it prints as written (0.00015).
    const double power = std::pow(10.0, std::abs(exponent));
    for (double step : steps) bounds.push_back(exponent < 0 ? step / power : step * power);
  }
  return bounds;
}

std::vector<double> RoundStepBuckets(int first_exponent, int last_exponent) {
  return DecadeBuckets(first_exponent, last_exponent, {1, 1.5, 2, 3, 5, 7});
}

void AppendHistogramSamples(FamilySnapshot& family, const Labels& labels, const HistogramSnapshot& histogram) {
  for (size_t i = 0; i < histogram.cumulative_counts.size(); ++i) {
    Labels bucket_labels = labels;
    // The text writer formats "le" like any value; +Inf is spelled by it.
    const double bound =
        i < histogram.upper_bounds.size() ? histogram.upper_bounds[i] : std::numeric_limits<double>::infinity();
    bucket_labels.emplace_back("le", FormatSampleValue(bound));
    family.samples.push_back(
        Sample{family.name + "_bucket", std::move(bucket_labels), static_cast<double>(histogram.cumulative_counts[i])});
  }
  family.samples.push_back(Sample{family.name + "_sum", labels, histogram.sum});
  family.samples.push_back(Sample{family.name + "_count", labels, static_cast<double>(histogram.count())});
}

struct Registry::Entry {
  std::string name;
  std::string help;
  MetricType type;
  std::shared_ptr<void> metric;                   // keeps the metric or family alive
  std::function<void(FamilySnapshot&)> snapshot;  // fills the samples
};

Registry::Registry() = default;
Registry::~Registry() = default;

void Registry::Register(Entry entry) {
  if (!IsValidMetricName(entry.name)) throw std::invalid_argument("invalid metric name: " + entry.name);
  std::lock_guard lock(mutex_);
  for (const auto& existing : entries_) {
    if (existing->name == entry.name) throw std::invalid_argument("metric registered twice: " + entry.name);
  }
  entries_.push_back(std::make_unique<Entry>(std::move(entry)));
}

namespace {

void CheckLabelNames(const std::vector<std::string>& label_names) {
  for (const std::string& label : label_names) {
    if (!IsValidLabelName(label) || label == "le") throw std::invalid_argument("invalid label name: " + label);
  }
}

template <typename Metric, typename Value>
std::function<void(FamilySnapshot&)> ScalarSnapshot(const std::shared_ptr<Metric>& metric, Value read) {
  return [metric, read](FamilySnapshot& family) {
    family.samples.push_back(Sample{family.name, {}, static_cast<double>(read(*metric))});
  };
}

template <typename Metric, typename Value>
std::function<void(FamilySnapshot&)> FamilySamples(const std::shared_ptr<Family<Metric>>& metric_family, Value read) {
  return [metric_family, read](FamilySnapshot& family) {
    metric_family->ForEach([&](const Labels& labels, const Metric& metric) {
      family.samples.push_back(Sample{family.name, labels, static_cast<double>(read(metric))});
    });
  };
}

}  // namespace

Counter& Registry::AddCounter(const std::string& name, const std::string& help) {
  auto counter = std::make_shared<Counter>();
  Register(Entry{name, help, MetricType::kCounter, counter,
                 ScalarSnapshot(counter, [](const Counter& c) { return c.value(); })});
  return *counter;
}

Family<Counter>& Registry::AddCounterFamily(const std::string& name, const std::string& help,
                                            std::vector<std::string> label_names) {
  CheckLabelNames(label_names);
  auto family = std::make_shared<Family<Counter>>(std::move(label_names), [] { return std::make_unique<Counter>(); });
  Register(Entry{name, help, MetricType::kCounter, family,
                 FamilySamples(family, [](const Counter& c) { return c.value(); })});
  return *family;
}

Gauge& Registry::AddGauge(const std::string& name, const std::string& help) {
  auto gauge = std::make_shared<Gauge>();
  Register(
      Entry{name, help, MetricType::kGauge, gauge, ScalarSnapshot(gauge, [](const Gauge& g) { return g.value(); })});
  return *gauge;
}

Family<Gauge>& Registry::AddGaugeFamily(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names) {
  CheckLabelNames(label_names);
  auto family = std::make_shared<Family<Gauge>>(std::move(label_names), [] { return std::make_unique<Gauge>(); });
  Register(
      Entry{name, help, MetricType::kGauge, family, FamilySamples(family, [](const Gauge& g) { return g.value(); })});
  return *family;
}

Histogram& Registry::AddHistogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds) {
  auto histogram = std::make_shared<Histogram>(std::move(upper_bounds));
  Register(Entry{name, help, MetricType::kHistogram, histogram,
                 [histogram](FamilySnapshot& family) { AppendHistogramSamples(family, {}, histogram->Snapshot()); }});
  return *histogram;
}

Family<Histogram>& Registry::AddHistogramFamily(const std::string& name, const std::string& help,
                                                std::vector<std::string> label_names,
                                                std::vector<double> upper_bounds) {
  CheckLabelNames(label_names);
  // Validates the bounds now rather than at the first WithLabels.
  Histogram check(upper_bounds);
  auto family = std::make_shared<Family<Histogram>>(
      std::move(label_names), [upper_bounds] { return std::make_unique<Histogram>(upper_bounds); });
  Register(Entry{name, help, MetricType::kHistogram, family, [family](FamilySnapshot& out) {
                   family->ForEach([&](const Labels& labels, const Histogram& h) {
                     AppendHistogramSamples(out, labels, h.Snapshot());
                   });
                 }});
  return *family;
}

void Registry::AddCollector(Collector collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::vector<FamilySnapshot> Registry::Collect() const {
  std::lock_guard lock(mutex_);
  std::vector<FamilySnapshot> out;
  out.reserve(entries_.size());
  for (const auto& entry : entries_) {
    FamilySnapshot& family = out.emplace_back(FamilySnapshot{entry->name, entry->help, entry->type, {}});
    entry->snapshot(family);
  }
  for (const Collector& collector : collectors_) collector(out);
  return out;
}

}  // namespace kafscale::metrics
