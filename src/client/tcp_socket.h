// A blocking-style TCP stream for synchronous tools: every call takes a
// deadline and fails with Timeout once it passes, so a silent peer can never
// hang the caller.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/noncopyable.h"
#include "common/status.h"

namespace kafscale::client {

using Clock = std::chrono::steady_clock;

// None of the methods may run concurrently on one socket.
class TcpSocket : NonCopyable {
 public:
  // Resolves `host` and connects to the first address that accepts before
  // `deadline`. Errors: Unavailable when resolution or every connect fails,
  // Timeout when the deadline passes. Thread-safe (no shared state).
  static Result<std::unique_ptr<TcpSocket>> Connect(const std::string& host, int port,
                                                    Clock::time_point deadline);
  ~TcpSocket();

  // "host:port" as given to Connect, for messages.
  const std::string& peer() const { return peer_; }

  // Writes all of `bytes`. Errors: IOError (peer closed, reset), Timeout.
  // A failed write leaves the stream in an unknown state: close it.
  Status WriteAll(std::string_view bytes, Clock::time_point deadline);
  // Reads exactly `size` bytes into `out`. Errors: IOError (including the
  // peer closing first), Timeout.
  Status ReadExactly(char* out, size_t size, Clock::time_point deadline);
  // Reads at least one and at most `capacity` bytes, or returns 0 at end of
  // stream. Errors: IOError, Timeout.
  Result<size_t> ReadSome(char* out, size_t capacity, Clock::time_point deadline);

 private:
  TcpSocket(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {}
  // Waits until the socket is ready for `events` (POLLIN/POLLOUT).
  Status Wait(short events, Clock::time_point deadline, std::string_view doing);

  int fd_;
  std::string peer_;
};

}  // namespace kafscale::client
