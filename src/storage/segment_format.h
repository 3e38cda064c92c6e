// KafScale segment objects (`.kfs`, DESIGN.md §4, big-endian):
//   header, 32 bytes: magic "KAFS", u16 version 1, u16 flags 0, i64 base
//     offset, i32 message count, i64 created (unix ms), u32 reserved 0;
//   body: record batches (magic 2) back to back, base offsets assigned;
//   footer, 16 bytes: u32 CRC32C of the body, i64 last offset, magic "END!".
// Segments are immutable: built once, uploaded, then only read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/index_format.h"
#include "storage/pieced_object.h"
#include "storage/record_batch.h"

namespace kafscale {

inline constexpr uint32_t kSegmentMagic = 0x4B414653;        // "KAFS"
inline constexpr uint32_t kSegmentFooterMagic = 0x454E4421;  // "END!"
inline constexpr uint16_t kSegmentVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 32;
inline constexpr size_t kSegmentFooterSize = 16;

// A finished segment and its index. The .kfs object is the pieces: header
// (kSegmentHeaderSize bytes), the batches, trailer (the footer,
// kSegmentFooterSize bytes). The body pieces point into the batches given to
// SegmentBuilder::Add, so a large body is never copied; those bytes must
// outlive this object.
struct EncodedSegment : PiecedObject {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int32_t message_count = 0;
  std::string index;  // the .index object
  std::vector<IndexEntry> index_entries;
};

// Collects batches for one segment. Not thread-safe; one builder per flush.
class SegmentBuilder {
 public:
  explicit SegmentBuilder(int32_t index_interval = kDefaultIndexInterval);

  // Appends one or more whole batches, back to back, whose base offsets are
  // already assigned. The bytes are referenced, not copied: they must outlive
  // the builder and Finish's result.
  // Errors (nothing is added): InvalidArgument when the framing is bad
  // (truncated batch, wrong magic), offsets do not ascend past the previous
  // batch's last offset, or the segment would exceed 2 GiB (index positions
  // are i32).
  Status Add(std::string_view batches);

  bool empty() const { return batches_.empty(); }
  // Size the .kfs object would have now.
  size_t segment_size() const { return kSegmentHeaderSize + body_size_ + kSegmentFooterSize; }

  // Encodes header, footer and index over the batches added so far.
  // Errors: InvalidArgument when no batch was added.
  Result<EncodedSegment> Finish(int64_t created_unix_ms) const;

 private:
  int32_t index_interval_;
  std::vector<std::string_view> batches_;
  std::vector<BatchLocation> locations_;  // positions relative to the body
  size_t body_size_ = 0;
};

struct SegmentView {
  int64_t base_offset = 0;
  int32_t message_count = 0;
  int64_t created_unix_ms = 0;
  int64_t last_offset = 0;
  uint32_t body_crc = 0;
  std::string_view data;               // the whole .kfs object
  std::string_view body;               // the batches
  std::vector<BatchLocation> batches;  // positions are absolute in `data`

  std::string_view Batch(size_t i) const { return data.substr(batches[i].position, batches[i].size); }
  // Index of the first batch whose last offset is >= `offset` (the batch that
  // holds it, or the first after it); batches.size() when there is none.
  size_t FindBatch(int64_t offset) const;
};

// Parses and checks a whole .kfs object: header magic and version, footer
// magic, body CRC32C, batch framing, header base offset and message count and
// footer last offset consistent with the batches. The view points into
// `data`, which must outlive it.
// Errors: Corruption naming the problem; never a partial view to serve.
// Thread-safe.
Status ParseSegment(std::string_view data, SegmentView* out);

}  // namespace kafscale
