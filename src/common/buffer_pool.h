// BufferPool: recycles large byte buffers (request frames, partitions'
// append buffers, object reads). glibc maps every allocation above 128 KiB
// afresh (the broker sets it so to keep RSS bounded), and the kernel then
// zeroes and maps each page on first touch: on a busy broker that page
// faulting cost more CPU than the produce path itself. Buffers handed back
// here are reused while still mapped, up to a bound on idle bytes.
//
// Thread-safe. Buffers may be released on any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/noncopyable.h"

namespace kafscale {

class BufferPool : NonCopyable {
 public:
  // Smaller buffers come from the heap, where malloc reuses memory anyway;
  // larger ones are rare and too big to keep idle.
  static constexpr size_t kMinPooledBytes = 64 * 1024;
  static constexpr size_t kMaxPooledBytes = 16 * 1024 * 1024;

  // Keeps at most `max_idle_bytes` of capacity in idle buffers.
  explicit BufferPool(size_t max_idle_bytes);
  ~BufferPool();

  // A buffer of `size` bytes (contents unspecified) whose capacity is at
  // least `capacity`, so that appends up to it never reallocate. It returns
  // to the pool when its last reference goes (when pooled: its capacity is
  // within [kMinPooledBytes, kMaxPooledBytes]). The pool must outlive it.
  std::shared_ptr<std::string> Acquire(size_t size, size_t capacity = 0);

  // Capacity of the buffers waiting to be reused.
  size_t idle_bytes() const;

  // The process's pool, never destroyed (buffers outlive static objects).
  static BufferPool& Shared();

 private:
  struct Return;
  // Classes are 64 KiB x 2^k and 96 KiB x 2^k: at most 50 % slack.
  static size_t ClassOf(size_t capacity);
  static size_t ClassCapacity(size_t index);
  void Release(std::string* buffer);

  const size_t max_idle_bytes_;
  mutable std::mutex mutex_;
  std::vector<std::vector<std::string*>> idle_;  // by class
  size_t idle_bytes_ = 0;
};

}  // namespace kafscale
