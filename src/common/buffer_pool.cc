#include "common/buffer_pool.h"

#include <algorithm>

namespace kafscale {

namespace {

// Process-wide idle bound: part of the broker's fixed memory overhead.
constexpr size_t kSharedIdleBytes = 32 * 1024 * 1024;

}  // namespace

struct BufferPool::Return {
  BufferPool* pool;
  void operator()(std::string* buffer) const { pool->Release(buffer); }
};

BufferPool::BufferPool(size_t max_idle_bytes)
    : own_idle_bytes_(max_idle_bytes), max_idle_bytes_(max_idle_bytes), idle_(ClassOf(kMaxPooledBytes) + 1) {}

BufferPool::~BufferPool() {
  for (auto& buffers : idle_) {
    for (const Idle& idle : buffers) delete idle.buffer;
  }
}

size_t BufferPool::ClassCapacity(size_t index) {
  const size_t base = index % 2 == 0 ? kMinPooledBytes : kMinPooledBytes * 3 / 2;
  return base << (index / 2);
}

size_t BufferPool::ClassOf(size_t capacity) {
  size_t index = 0;
  while (ClassCapacity(index) < capacity) ++index;
  return index;
}

std::shared_ptr<std::string> BufferPool::Acquire(size_t size, size_t capacity) {
  const size_t wanted = std::max(size, capacity);
  if (wanted < kMinPooledBytes || wanted > kMaxPooledBytes) {
    auto buffer = std::make_shared<std::string>();
    buffer->reserve(wanted);
    buffer->resize(size);
    return buffer;
  }
  const size_t index = ClassOf(wanted);
  std::string* buffer = nullptr;
  {
    std::lock_guard lock(mutex_);
    // The smallest idle buffer that is large enough, but of at most the next
    // class: a much larger one would hold memory (and cache charge, by
    // capacity) for nothing.
    for (size_t candidate = index; candidate < std::min(idle_.size(), index + 2) && !buffer; ++candidate) {
      if (idle_[candidate].empty()) continue;
      buffer = idle_[candidate].back().buffer;
      idle_[candidate].pop_back();
      idle_bytes_ -= buffer->capacity();
    }
  }
  if (buffer == nullptr) {
    buffer = new std::string();
    buffer->reserve(ClassCapacity(index));
  }
  // Shrinking keeps the bytes; growing writes only past the old size.
  buffer->resize(size);
  return std::shared_ptr<std::string>(buffer, Return{this});
}

void BufferPool::Release(std::string* buffer) {
  const size_t capacity = buffer->capacity();
  if (capacity >= kMinPooledBytes && capacity <= kMaxPooledBytes) {
    const size_t index = ClassOf(capacity);
    // A buffer that grew past its class (an append beyond the capacity asked
    // for) still serves its exact class only if it fills it.
    if (ClassCapacity(index) == capacity) {
      std::vector<std::string*> dropped;
      {
        std::lock_guard lock(mutex_);
        if (capacity <= max_idle_bytes_) {
          dropped = MakeRoom(capacity);
          idle_[index].push_back(Idle{++releases_, buffer});
          idle_bytes_ += capacity;
          buffer = nullptr;
        }
      }
      for (std::string* old : dropped) delete old;  // freeing unmaps: not under the lock
    }
  }
  delete buffer;
}

std::vector<std::string*> BufferPool::MakeRoom(size_t incoming) {
  // The buffer just released is the likeliest to be asked for again (a size
  // in use right now); the one idle longest is the least likely (its size
  // went out of use, or the pool holds more of it than bursts of demand
  // take), so it makes room.
  std::vector<std::string*> dropped;
  while (idle_bytes_ + incoming > max_idle_bytes_ && idle_bytes_ > 0) {
    std::deque<Idle>* oldest = nullptr;
    for (std::deque<Idle>& buffers : idle_) {
      if (!buffers.empty() && (!oldest || buffers.front().released < oldest->front().released)) oldest = &buffers;
    }
    dropped.push_back(oldest->front().buffer);
    oldest->pop_front();
    idle_bytes_ -= dropped.back()->capacity();
  }
  return dropped;
}

void BufferPool::LendSpareBytes(size_t spare_bytes) {
  std::vector<std::string*> dropped;
  {
    std::lock_guard lock(mutex_);
    max_idle_bytes_ = std::max(own_idle_bytes_, spare_bytes);
    dropped = MakeRoom(0);
  }
  for (std::string* old : dropped) delete old;
}

size_t BufferPool::idle_bytes() const {
  std::lock_guard lock(mutex_);
  return idle_bytes_;
}

BufferPool& BufferPool::Shared() {
  static BufferPool* pool = new BufferPool(kSharedIdleBytes);
  return *pool;
}

}  // namespace kafscale
