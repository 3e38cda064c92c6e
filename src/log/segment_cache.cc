#include "log/segment_cache.h"

#include <optional>

namespace kafscale::log {

namespace {
// What an entry holds in memory: a flushed buffer grew by appends, so its
// capacity can be up to twice its size.
uint64_t Charge(const LoadedSegment& segment) {
  uint64_t bytes = 0;
  for (const auto& buffer : segment.buffers) bytes += buffer->capacity();
  return bytes;
}
}  // namespace

std::shared_ptr<const LoadedSegment> SegmentCache::Get(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  it->second->last_used = ++uses_;
  return it->second->segment;
}

bool SegmentCache::Contains(const std::string& key) const { return index_.count(key) != 0; }

void SegmentCache::Insert(const std::string& key, std::shared_ptr<const LoadedSegment> segment) {
  if (auto it = index_.find(key); it != index_.end()) EraseEntry(it->second);
  InsertBefore(lru_.begin(), key, std::move(segment), ++uses_);
}

void SegmentCache::Replace(const std::vector<std::string>& replaced, const std::string& key,
                           std::shared_ptr<const LoadedSegment> segment) {
  if (auto it = index_.find(key); it != index_.end()) EraseEntry(it->second);
  std::optional<std::list<Entry>::iterator> newest;
  for (const std::string& old : replaced) {
    auto it = index_.find(old);
    if (it != index_.end() && (!newest || it->second->last_used > (*newest)->last_used)) newest = it->second;
  }
  if (!newest) {
    InsertBefore(lru_.begin(), key, std::move(segment), ++uses_);
    return;
  }
  const uint64_t last_used = (*newest)->last_used;
  // The newest replaced entry goes last, so the position stays valid.
  for (const std::string& old : replaced) {
    auto it = index_.find(old);
    if (it != index_.end() && it->second != *newest) EraseEntry(it->second);
  }
  const auto position = std::next(*newest);
  EraseEntry(*newest);
  InsertBefore(position, key, std::move(segment), last_used);
}

void SegmentCache::InsertBefore(std::list<Entry>::iterator position, const std::string& key,
                                std::shared_ptr<const LoadedSegment> segment, uint64_t last_used) {
  size_ += Charge(*segment);
  index_[key] = lru_.insert(position, Entry{key, std::move(segment), last_used});
  while (size_ > capacity_ && lru_.size() > 1) EraseEntry(std::prev(lru_.end()));
}

void SegmentCache::Erase(const std::string& key) {
  if (auto it = index_.find(key); it != index_.end()) EraseEntry(it->second);
}

void SegmentCache::ErasePrefix(const std::string& prefix) {
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->key.starts_with(prefix)) EraseEntry(it);
    it = next;
  }
}

void SegmentCache::EraseEntry(std::list<Entry>::iterator it) {
  size_ -= Charge(*it->segment);
  index_.erase(it->key);
  lru_.erase(it);
}

}  // namespace kafscale::log
