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

// The memory a cache entry takes: its buffers' capacity (a flushed buffer
// grew by appends, so its capacity can be up to twice its size).
uint64_t CacheCharge(const LoadedSegment& segment);

class SegmentCache : NonCopyable {
 public:
  explicit SegmentCache(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

  std::shared_ptr<const LoadedSegment> Get(const std::string& key);
  // Whether `key` is cached, without making it more recently used.
  bool Contains(const std::string& key) const;
  // Inserts or replaces; evicts beyond capacity, least recently used first.
  // Entries kept for compaction (WAL ranges this broker will rewrite into a
  // segment) go only after every other entry: evicting one makes the
  // compactor read it back from the store, while any other entry is read
  // again only if a reader asks for it. The entry just inserted stays.
  void Insert(const std::string& key, std::shared_ptr<const LoadedSegment> segment,
              bool keep_for_compaction = false);
  // Moves `key`, if cached and kept for compaction, among the other entries
  // as the most recently used (its partition is no longer this broker's to
  // compact).
  void StopKeeping(const std::string& key);
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
    bool keep_for_compaction = false;
  };
  using Lru = std::list<Entry>;  // front = most recently used
  Lru& ListOf(const Entry& entry) { return entry.keep_for_compaction ? kept_for_compaction_ : others_; }
  void EraseEntry(Lru::iterator it);

  uint64_t capacity_;
  uint64_t size_ = 0;
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  Lru others_;
  Lru kept_for_compaction_;
  std::unordered_map<std::string, Lru::iterator> index_;
};

}  // namespace kafscale::log
