// Small coroutine helpers shared by the broker's single-threaded core: run
// blocking store calls on a pool, and wait for events with a deadline.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <string>
#include <type_traits>
#include <vector>

#include "common/noncopyable.h"

namespace kafscale {

namespace detail {
template <typename Fn>
boost::asio::awaitable<std::invoke_result_t<Fn&>> Invoke(Fn* fn) {
  co_return (*fn)();
}
}  // namespace detail

// Runs `fn` on `pool` and resumes the caller on its own executor with the
// result. `fn` must not touch state owned by the caller's executor; its result
// type must be default-constructible (Status, std::pair<Status, T>, ...).
// `fn` is taken by reference and must be a named object: g++ 12 destroys
// lambda temporaries inside a co_await expression twice.
template <typename Fn>
boost::asio::awaitable<std::invoke_result_t<Fn&>> RunBlocking(boost::asio::thread_pool& pool, Fn& fn) {
  co_return co_await boost::asio::co_spawn(pool, detail::Invoke(&fn), boost::asio::use_awaitable);
}

// Suspends the calling coroutine for `duration`.
inline boost::asio::awaitable<void> SleepFor(std::chrono::steady_clock::duration duration) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, duration);
  boost::system::error_code ec;
  co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

class AsyncEvent;

// The message of `thrown` (what() for a std::exception) for logs and close
// reasons.
std::string DescribeException(std::exception_ptr thrown);

// Completion handler for co_spawn of a task the broker cannot work without
// (flushing, compaction, ownership, membership). An exception escaping such
// a task would otherwise vanish into asio::detached and leave, say, every
// later flush waiting for its turn forever: instead it is logged with
// `task` and the process aborts. Everything acknowledged is already in the
// object and metadata stores, and a restarted broker recovers from them.
struct AbortOnException {
  const char* task;
  void operator()(std::exception_ptr thrown) const;
};

// Runs every function of `fns` on `pool` at once and resumes the caller on
// its own executor when all have returned. Same rules for `fns` as for
// RunBlocking (named, must not touch the caller's state).
template <typename Fn>
boost::asio::awaitable<void> RunAllBlocking(boost::asio::thread_pool& pool, std::vector<Fn>& fns);

// A level-triggered event for coroutines on one executor (not thread-safe):
// Wait() returns once Set() has been called or the deadline passes.
class AsyncEvent : NonCopyable {
 public:
  explicit AsyncEvent(const boost::asio::any_io_executor& executor) : timer_(executor) {
    timer_.expires_at(boost::asio::steady_timer::time_point::max());
  }
  void Set() {
    set_ = true;
    timer_.cancel();
  }
  bool is_set() const { return set_; }
  // Returns true if the event was set, false on timeout.
  boost::asio::awaitable<bool> Wait(std::chrono::steady_clock::time_point deadline) {
    if (set_) co_return true;
    timer_.expires_at(deadline);
    boost::system::error_code ec;
    co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    co_return set_;
  }
  boost::asio::awaitable<void> Wait() {
    co_await Wait(boost::asio::steady_timer::time_point::max());
  }

 private:
  boost::asio::steady_timer timer_;
  bool set_ = false;
};

// Wakes every AsyncEvent registered with it (many waiters, one executor).
// A waiter that times out must Remove itself; NotifyAll forgets all waiters.
class AsyncNotifier : NonCopyable {
 public:
  void Add(AsyncEvent* event) { waiters_.push_back(event); }
  void Remove(AsyncEvent* event) { std::erase(waiters_, event); }
  void NotifyAll() {
    auto waiters = std::move(waiters_);
    waiters_.clear();
    for (AsyncEvent* event : waiters) event->Set();
  }

 private:
  std::vector<AsyncEvent*> waiters_;
};

template <typename Fn>
boost::asio::awaitable<void> RunAllBlocking(boost::asio::thread_pool& pool, std::vector<Fn>& fns) {
  auto executor = co_await boost::asio::this_coro::executor;
  AsyncEvent done(executor);
  size_t remaining = fns.size();
  for (Fn& fn : fns) {
    boost::asio::post(pool, [&fn, &remaining, &done, executor] {
      fn();
      boost::asio::post(executor, [&remaining, &done] {
        if (--remaining == 0) done.Set();
      });
    });
  }
  if (remaining > 0) co_await done.Wait();
}

// Starts every coroutine of `tasks` on the current executor at once and
// returns when all have finished; rethrows the first exception any threw.
inline boost::asio::awaitable<void> AwaitAll(std::vector<boost::asio::awaitable<void>> tasks) {
  auto executor = co_await boost::asio::this_coro::executor;
  AsyncEvent done(executor);
  size_t remaining = tasks.size();
  std::exception_ptr failure;
  for (boost::asio::awaitable<void>& task : tasks) {
    boost::asio::co_spawn(executor, std::move(task), [&remaining, &done, &failure](std::exception_ptr thrown) {
      if (thrown && !failure) failure = thrown;
      if (--remaining == 0) done.Set();
    });
  }
  if (remaining > 0) co_await done.Wait();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace kafscale
