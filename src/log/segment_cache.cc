#include "log/segment_cache.h"

namespace kafscale::log {

uint64_t CacheCharge(const LoadedSegment& segment) {
  uint64_t bytes = 0;
  for (const auto& buffer : segment.buffers) bytes += buffer->capacity();
  return bytes;
}

std::shared_ptr<const LoadedSegment> SegmentCache::Get(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  Lru& list = ListOf(*it->second);
  list.splice(list.begin(), list, it->second);
  return it->second->segment;
}

bool SegmentCache::Contains(const std::string& key) const { return index_.count(key) != 0; }

void SegmentCache::Insert(const std::string& key, std::shared_ptr<const LoadedSegment> segment,
                          bool keep_for_compaction) {
  if (auto it = index_.find(key); it != index_.end()) EraseEntry(it->second);
  size_ += CacheCharge(*segment);
  Lru& list = keep_for_compaction ? kept_for_compaction_ : others_;
  list.push_front(Entry{key, std::move(segment), keep_for_compaction});
  index_[key] = list.begin();
  const Entry* inserted = &list.front();
  while (size_ > capacity_) {
    Lru& victims = others_.empty() || (others_.size() == 1 && &others_.front() == inserted) ? kept_for_compaction_
                                                                                           : others_;
    if (victims.empty() || &victims.back() == inserted) break;
    EraseEntry(std::prev(victims.end()));
  }
}

void SegmentCache::StopKeeping(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end() || !it->second->keep_for_compaction) return;
  it->second->keep_for_compaction = false;
  others_.splice(others_.begin(), kept_for_compaction_, it->second);
}

void SegmentCache::Erase(const std::string& key) {
  if (auto it = index_.find(key); it != index_.end()) EraseEntry(it->second);
}

void SegmentCache::ErasePrefix(const std::string& prefix) {
  for (Lru* list : {&others_, &kept_for_compaction_}) {
    for (auto it = list->begin(); it != list->end();) {
      auto next = std::next(it);
      if (it->key.starts_with(prefix)) EraseEntry(it);
      it = next;
    }
  }
}

void SegmentCache::EraseEntry(Lru::iterator it) {
  size_ -= CacheCharge(*it->segment);
  index_.erase(it->key);
  ListOf(*it).erase(it);
}

}  // namespace kafscale::log
