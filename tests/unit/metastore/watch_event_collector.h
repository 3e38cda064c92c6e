// Collects the events a MetadataStore watch delivers, for tests. Declare it
// before the watch it feeds, so it outlives the callback. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "metastore/metadata_store.h"

namespace kafscale::testing {

class EventCollector {
 public:
  WatchCallback Callback() {
    return [this](const std::vector<WatchEvent>& events) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.insert(events_.end(), events.begin(), events.end());
      cv_.notify_all();
    };
  }

  // Waits until at least `count` events arrived (or a timeout) and returns all so far.
  std::vector<WatchEvent> WaitFor(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return events_.size() >= count; });
    return events_;
  }

  std::vector<WatchEvent> Snapshot() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

  // The values of the events so far, in delivery order.
  std::vector<std::string> Values() {
    std::vector<std::string> values;
    for (const WatchEvent& event : Snapshot()) values.push_back(event.kv.value);
    return values;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WatchEvent> events_;
};

}  // namespace kafscale::testing
