#include "http/periodic_probe.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/async.h"

namespace kafscale::http {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

PeriodicProbe::PeriodicProbe(std::string name, asio::any_io_executor executor, asio::thread_pool& pool,
                             std::function<Status()> probe, ProbeOptions options)
    : name_(std::move(name)),
      executor_(executor),
      pool_(pool),
      probe_(std::move(probe)),
      options_(options),
      timer_(executor) {}

void PeriodicProbe::Start() {
  asio::co_spawn(
      executor_, [this]() { return Loop(); }, AbortOnException{"store probe"});
}

void PeriodicProbe::Stop() {
  stopping_ = true;
  timer_.cancel();
}

asio::awaitable<void> PeriodicProbe::Loop() {
  while (!stopping_) {
    waiting_since_ = Clock::now();
    Status status = co_await RunBlocking(pool_, probe_);
    waiting_since_.reset();
    last_status_ = std::move(status);
    if (stopping_) co_return;
    timer_.expires_after(options_.interval);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

CheckResult PeriodicProbe::Check() const {
  if (waiting_since_) {
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *waiting_since_);
    if (waited > options_.timeout) {
      return CheckResult{false, "no answer for " + std::to_string(waited.count()) + " ms"};
    }
  }
  if (!options_.judge_answers) {
    return CheckResult{true, "probes answer within " + std::to_string(options_.timeout.count()) + " ms"};
  }
  if (!last_status_) return CheckResult{false, "not probed yet"};
  if (!last_status_->ok()) return CheckResult{false, "last probe failed: " + last_status_->ToString()};
  return CheckResult{true, "answering"};
}

}  // namespace kafscale::http
