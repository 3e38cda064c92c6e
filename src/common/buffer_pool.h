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
#include <cstdint>
#include <deque>
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

  // Keeps at most `max_idle_bytes` of capacity in idle buffers (or what
  // LendSpareBytes grants, if more).
  explicit BufferPool(size_t max_idle_bytes);
  ~BufferPool();

  // A buffer of `size` bytes (contents unspecified) whose capacity is at
  // least `capacity`, so that appends up to it never reallocate. It returns
  // to the pool when its last reference goes (when pooled: its capacity is
  // within [kMinPooledBytes, kMaxPooledBytes]). The pool must outlive it.
  std::shared_ptr<std::string> Acquire(size_t size, size_t capacity = 0);

  // Memory another budget leaves unused right now: idle buffers may occupy
  // it instead of the bound given to the constructor when it is larger.
  // Lowering it frees the buffers idle longest at once. At max rate demand
  // comes in bursts larger than any fixed bound worth paying for when idle,
  // and each buffer the pool cannot hand out costs a fault per 4 KiB page.
  void LendSpareBytes(size_t spare_bytes);

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
  // Drops the buffers idle longest until `incoming` more bytes fit within
  // the bound; returns them, to be freed outside the lock.
  std::vector<std::string*> MakeRoom(size_t incoming);

  struct Idle {
    uint64_t released;  // sequence number of the release
    std::string* buffer;
  };

  const size_t own_idle_bytes_;
  size_t max_idle_bytes_;  // the larger of own_idle_bytes_ and the bytes lent
  mutable std::mutex mutex_;
  std::vector<std::deque<Idle>> idle_;  // by class, oldest release first
  size_t idle_bytes_ = 0;
  uint64_t releases_ = 0;
};

}  // namespace kafscale
