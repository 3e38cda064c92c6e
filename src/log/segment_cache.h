// A bounded LRU cache of verified segments and WAL ranges, keyed by object
// key (and position, for WAL ranges). Runs on the
// broker's core executor (not thread-safe). Entries are shared: a fetch
// response keeps the bytes it references alive after eviction.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/noncopyable.h"

namespace kafscale::log {

// One record batch inside a loaded segment.
struct StoredBatch {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t max_timestamp = 0;
  std::string_view bytes;  // points into one of the owning segment's buffers
};

// The verified batches of a segment object or WAL range, in memory.
struct LoadedSegment {
  // Every buffer the batches point into: the object as read, or the buffers
  // the batches were appended to (a compacted segment keeps those of the WAL
  // ranges it was made from instead of a copy).
  std::vector<std::shared_ptr<const std::string>> buffers;
  std::vector<StoredBatch> batches;  // in offset order
  int64_t base_offset() const { return batches.empty() ? 0 : batches.front().base_offset; }
  int64_t last_offset() const { return batches.empty() ? -1 : batches.back().last_offset; }
};

class SegmentCache : NonCopyable {
 public:
  explicit SegmentCache(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

  std::shared_ptr<const LoadedSegment> Get(const std::string& key);
  // Whether `key` is cached, without making it more recently used.
  bool Contains(const std::string& key) const;
  // Inserts or replaces; evicts least recently used entries beyond capacity.
  void Insert(const std::string& key, std::shared_ptr<const LoadedSegment> segment);
  // Inserts `segment` under `key` in place of the entries under `replaced`
  // (a compacted segment made of those WAL ranges): it takes the recency of
  // the most recently used of them instead of becoming the most recently
  // used entry, so that rewriting data does not make it look freshly read and
  // push out data not yet rewritten. Most recently used when none of them is
  // cached. Evicts as Insert does.
  void Replace(const std::vector<std::string>& replaced, const std::string& key,
               std::shared_ptr<const LoadedSegment> segment);
  // Drops `key` if cached.
  void Erase(const std::string& key);
  // Drops every key starting with `prefix`.
  void ErasePrefix(const std::string& prefix);

  // Memory held by the entries (their buffers' capacity).
  uint64_t size_bytes() const { return size_; }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const LoadedSegment> segment;
    uint64_t last_used = 0;  // uses_ when it was inserted or last read
  };
  void EraseEntry(std::list<Entry>::iterator it);
  // Adds the entry before `position` in the list, then evicts beyond capacity.
  void InsertBefore(std::list<Entry>::iterator position, const std::string& key,
                    std::shared_ptr<const LoadedSegment> segment, uint64_t last_used);

  uint64_t capacity_;
  uint64_t size_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  uint64_t uses_ = 0;  // inserts and hits so far: orders entries by recency
  std::list<Entry> lru_;  // front = most recently used
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace kafscale::log
