// PeriodicProbe: asks a store a cheap question every interval on the I/O
// pool, so its health is known even when no traffic reaches it. Through an
// instrumented store the answers also feed its metrics and health tracker.
// As a HealthCheck it is ready while the latest probe succeeded (see
// ProbeOptions::judge_answers) and none has been waiting longer than the
// timeout.
//
// Threading: construct, Start, Stop and Check on the executor given; the
// probe function runs on the pool.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/noncopyable.h"
#include "common/status.h"
#include "http/health.h"

namespace kafscale::http {

struct ProbeOptions {
  std::chrono::milliseconds interval{2000};
  // A probe still unanswered after this long makes the check fail.
  std::chrono::milliseconds timeout{5000};
  // When false, only a probe hanging past the timeout fails the check: what
  // the store answers is judged elsewhere (the object store's answers by its
  // health tracker, which a hanging store never reaches).
  bool judge_answers = true;
};

class PeriodicProbe final : public HealthCheck, NonCopyable {
 public:
  // `probe` runs on `pool` and returns OK when the store answered; it must
  // be safe to call from a pool thread. `pool` must outlive this object.
  PeriodicProbe(std::string name, boost::asio::any_io_executor executor, boost::asio::thread_pool& pool,
                std::function<Status()> probe, ProbeOptions options = {});

  // Starts probing at once, then every interval.
  void Start();
  // Stops after the probe in flight, if any. The object must stay alive
  // until that probe has returned (the broker stops its pool first).
  void Stop();

  std::string name() const override { return name_; }
  CheckResult Check() const override;

 private:
  boost::asio::awaitable<void> Loop();

  const std::string name_;
  boost::asio::any_io_executor executor_;
  boost::asio::thread_pool& pool_;
  std::function<Status()> probe_;
  const ProbeOptions options_;
  boost::asio::steady_timer timer_;
  bool stopping_ = false;
  std::optional<Status> last_status_;  // nullopt until the first answer
  std::optional<std::chrono::steady_clock::time_point> waiting_since_;
};

}  // namespace kafscale::http
