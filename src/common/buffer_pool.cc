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
    : max_idle_bytes_(max_idle_bytes), idle_(ClassOf(kMaxPooledBytes) + 1) {}

BufferPool::~BufferPool() {
  for (auto& buffers : idle_) {
    for (std::string* buffer : buffers) delete buffer;
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
    // The smallest idle buffer that is large enough.
    for (size_t candidate = index; candidate < idle_.size() && !buffer; ++candidate) {
      if (idle_[candidate].empty()) continue;
      buffer = idle_[candidate].back();
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
    if (ClassCapacity(index) == capacity && capacity <= max_idle_bytes_) {
      std::vector<std::string*> dropped;
      {
        std::lock_guard lock(mutex_);
        // The buffer just released is the likeliest to be asked for again
        // (a size in use right now): room is made in the class holding the
        // most idle bytes.
        while (idle_bytes_ + capacity > max_idle_bytes_) {
          size_t fullest = 0;
          for (size_t i = 1; i < idle_.size(); ++i) {
            if (idle_[i].size() * ClassCapacity(i) > idle_[fullest].size() * ClassCapacity(fullest)) fullest = i;
          }
          dropped.push_back(idle_[fullest].front());
          idle_[fullest].erase(idle_[fullest].begin());
          idle_bytes_ -= dropped.back()->capacity();
        }
        idle_[index].push_back(buffer);
        idle_bytes_ += capacity;
      }
      for (std::string* old : dropped) delete old;  // freeing unmaps: not under the lock
      return;
    }
  }
  delete buffer;
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
