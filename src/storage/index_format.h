// The sparse offset index stored next to each segment as `.index` (DESIGN.md
// §4, big-endian): a 16-byte header (magic "IDX\0", u16 version 1, i32 entry
// count, i32 interval, u16 reserved 0) then entries of i64 offset + i32
// absolute byte position of a batch start in the `.kfs` file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kafscale {

inline constexpr uint32_t kIndexMagic = 0x49445800;  // "IDX\0"
inline constexpr uint16_t kIndexVersion = 1;
inline constexpr size_t kIndexHeaderSize = 16;
inline constexpr size_t kIndexEntrySize = 12;
inline constexpr int32_t kDefaultIndexInterval = 100;

struct IndexEntry {
  int64_t offset = 0;    // base offset of the batch
  int32_t position = 0;  // where that batch starts in the .kfs file

  bool operator==(const IndexEntry&) const = default;
};

// Decides which batches get an entry: the first always, then the next batch
// once at least `interval` messages have gone by since the last entry.
// Not thread-safe.
class IndexBuilder {
 public:
  // An interval below 1 is treated as 1 (an entry per batch).
  explicit IndexBuilder(int32_t interval = kDefaultIndexInterval);

  // Notes a batch of `message_count` records at `position`, in file order.
  void AddBatch(int64_t base_offset, int32_t position, int32_t message_count);

  const std::vector<IndexEntry>& entries() const { return entries_; }
  int32_t interval() const { return interval_; }

  // The .index object bytes.
  std::string Encode() const;

 private:
  int32_t interval_;
  int64_t messages_since_entry_ = 0;
  std::vector<IndexEntry> entries_;
};

struct IndexView {
  int32_t interval = 0;
  std::vector<IndexEntry> entries;  // at least one; offsets and positions strictly ascending

  // The position to start reading at to find `offset`: that of the last entry
  // whose offset is <= `offset`, or of the first entry when `offset` precedes
  // them all. The batch holding `offset` (or the first after it) starts there
  // or later; read forward, skipping batches whose last offset is smaller.
  int32_t FindPosition(int64_t offset) const;
};

// Parses and checks an .index object: magic, version, size matching the entry
// count, at least one entry, interval >= 1, entries strictly ascending in
// offset and position, positions past the segment header.
// Errors: Corruption naming the problem. Thread-safe.
Status ParseIndex(std::string_view data, IndexView* out);

}  // namespace kafscale
