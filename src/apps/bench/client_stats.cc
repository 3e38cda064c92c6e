#include "apps/bench/client_stats.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace kafscale::bench {

namespace {

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

}  // namespace

Status ClientStagesSummary::Add(std::string_view json) {
  // Only "brokers" matters; the per-partition "topics" part is most of a
  // document at many partitions, so it is dropped while parsing.
  const nlohmann::json::parser_callback_t skip_topics = [](int depth, nlohmann::json::parse_event_t event,
                                                           nlohmann::json& parsed) {
    return !(depth == 1 && event == nlohmann::json::parse_event_t::key && parsed == "topics");
  };
  const nlohmann::json document = nlohmann::json::parse(json, skip_topics, /*allow_exceptions=*/false);
  if (!document.is_object() || !document.contains("brokers") || !document["brokers"].is_object()) {
    ++unreadable_;
    return Status::InvalidArgument("not a librdkafka statistics document (no \"brokers\" object)");
  }
  // Everything is read before anything is kept: a field of an unexpected
  // type throws, and the document then counts as unreadable as a whole.
  struct BrokerWindow {
    std::string key;  // client/broker
    uint64_t produce_requests = 0;
    StageWindow queued, send_wait, round_trip;
  };
  std::vector<BrokerWindow> windows;
  int64_t ts_us = 0;
  try {
    const std::string client = document.value("name", "");
    ts_us = document.value("ts", int64_t{0});
    const auto stage = [](const nlohmann::json& broker, const char* name) {
      const nlohmann::json window = broker.value(name, nlohmann::json::object());
      return StageWindow{window.value("cnt", uint64_t{0}), window.value("p50", 0.0) / 1000.0,
                         window.value("p99", 0.0) / 1000.0};
    };
    for (const auto& [name, broker] : document["brokers"].items()) {
      if (!broker.is_object() || broker.value("nodeid", -1) < 0) continue;
      const nlohmann::json requests = broker.value("req", nlohmann::json::object());
      windows.push_back(BrokerWindow{client + "/" + name, requests.value("Produce", uint64_t{0}),
                                     stage(broker, "int_latency"), stage(broker, "outbuf_latency"),
                                     stage(broker, "rtt")});
    }
  } catch (const nlohmann::json::exception& e) {
    ++unreadable_;
    return Status::InvalidArgument(std::string("unreadable librdkafka statistics document: ") + e.what());
  }
  for (const BrokerWindow& window : windows) {
    RequestCount& count = produce_requests_[window.key];
    // A window counts when Produce requests went out in it: the first
    // windows, while the client only fetches metadata, time no records.
    const bool produced = window.produce_requests > count.last;
    if (count.first_ts_us == 0 && produced) {
      count.first_ts_us = ts_us;
      count.first = window.produce_requests;
    }
    count.last_ts_us = ts_us;
    count.last = window.produce_requests;
    if (!produced) continue;
    ++windows_;
    queued_.Add(window.queued);
    send_wait_.Add(window.send_wait);
    round_trip_.Add(window.round_trip);
  }
  return Status::OK();
}

ClientStagesReport ClientStagesSummary::Report() const {
  const auto summarize = [](const Windows& windows) {
    StageSummary stage;
    stage.p50_ms = Median(windows.p50_ms);
    stage.p99_ms = Median(windows.p99_ms);
    if (!windows.p99_ms.empty()) stage.worst_p99_ms = *std::max_element(windows.p99_ms.begin(), windows.p99_ms.end());
    return stage;
  };
  ClientStagesReport report;
  report.windows = windows_;
  report.unreadable_documents = unreadable_;
  report.queued = summarize(queued_);
  report.send_wait = summarize(send_wait_);
  report.round_trip = summarize(round_trip_);
  for (const auto& [key, count] : produce_requests_) {
    if (count.first_ts_us != 0 && count.last_ts_us > count.first_ts_us) {
      report.produce_requests_per_s +=
          static_cast<double>(count.last - count.first) * 1e6 / static_cast<double>(count.last_ts_us - count.first_ts_us);
    }
  }
  return report;
}

ClientStagesCollector::ClientStagesCollector() : parser_([this] { Parse(); }) {}

ClientStagesCollector::~ClientStagesCollector() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  parser_.join();
}

void ClientStagesCollector::Add(std::string json) {
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(json));
  }
  changed_.notify_all();
}

ClientStagesReport ClientStagesCollector::Finish() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return pending_.empty() && !busy_; });
  return summary_.Report();
}

void ClientStagesCollector::Parse() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;
    std::string json = std::move(pending_.front());
    pending_.pop_front();
    busy_ = true;
    lock.unlock();
    // An unreadable document is counted in the report; it costs one window.
    (void)summary_.Add(json);
    lock.lock();
    busy_ = false;
    changed_.notify_all();
  }
}

}  // namespace kafscale::bench
