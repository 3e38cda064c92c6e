// WriteQueue: lets coroutines on one executor take turns, first come first
// served, so that a group's store writes land in the order they were issued
// (two pipelined OffsetCommits must not overtake each other on the I/O pool).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>

#include "common/async.h"
#include "common/noncopyable.h"

namespace kafscale::group {

// Not thread-safe: every call runs on the executor given at construction.
class WriteQueue : NonCopyable {
 public:
  explicit WriteQueue(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // Returns once every earlier caller of Acquire has called Release. The
  // caller must then call Release exactly once (WriteTurn does it).
  boost::asio::awaitable<void> Acquire();
  void Release();

 private:
  boost::asio::any_io_executor executor_;
  uint64_t next_ticket_ = 0;
  uint64_t serving_ = 0;
  AsyncNotifier turn_changed_;
};

// Releases an acquired turn when it goes out of scope.
class WriteTurn : NonCopyable {
 public:
  explicit WriteTurn(WriteQueue& queue) : queue_(queue) {}
  ~WriteTurn() { queue_.Release(); }

 private:
  WriteQueue& queue_;
};

}  // namespace kafscale::group
