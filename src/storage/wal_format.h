// KafScale write-ahead objects (`.wal`): one object per broker per flush,
// holding the record batches of every partition that had unflushed data, plus
// an index of where each partition's batches sit. All integers big-endian:
//   header, 16 bytes: magic "KWAL", u16 version 1, u16 flags 0, i64 created
//     (unix ms);
//   body: ranges in order; a range is one partition's record batches
//     (magic 2, base offsets assigned) from this flush. Ranges may be
//     separated by zero bytes (see WalBuilder's range alignment); readers go
//     by the index;
//   index: i32 range count, then per range: u16 topic length, topic bytes,
//     i32 partition, i64 base offset, i64 last offset, u64 position (absolute
//     byte offset in the object), u64 length;
//   footer, 16 bytes: u32 CRC32C of header + body + index, u64 index position,
//     magic "END!".
// A reader either parses the whole object (ParseWalIndex) or, knowing a
// range from the index, reads just that range and checks it on its own with
// ParseWalRange, which verifies every batch's own CRC32C.
// WAL objects are immutable: built once, uploaded, then only read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/pieced_object.h"
#include "storage/record_batch.h"

namespace kafscale {

inline constexpr uint32_t kWalMagic = 0x4B57414C;        // "KWAL"
inline constexpr uint32_t kWalFooterMagic = 0x454E4421;  // "END!", as in segments
inline constexpr uint16_t kWalVersion = 1;
inline constexpr size_t kWalHeaderSize = 16;
inline constexpr size_t kWalFooterSize = 16;
// An index entry's size without its topic bytes.
inline constexpr size_t kWalIndexEntryFixedSize = 38;

// One partition's batches in a WAL object, as the index records them.
struct WalRange {
  std::string topic;
  int32_t partition = 0;
  int64_t base_offset = 0;  // of the first batch
  int64_t last_offset = 0;  // of the last record of the last batch
  uint64_t position = 0;    // absolute byte offset in the object
  uint64_t length = 0;      // bytes

  bool operator==(const WalRange&) const = default;
};

// A finished WAL object (its trailer is the index and footer) and its index.
struct EncodedWal : PiecedObject {
  std::vector<WalRange> ranges;  // in body order
};

// Collects the batches of one flush. Not thread-safe; one builder per flush.
class WalBuilder {
 public:
  // Largest range alignment (the zero bytes padding to it are static).
  static constexpr size_t kMaxRangeAlignment = 4096;

  // With a `range_alignment` (a power of two up to kMaxRangeAlignment; 0:
  // none), a range whose first batches fill at least 16 alignments starts,
  // after zero bytes, at an object offset congruent to their memory address
  // modulo the alignment: a store writing with direct I/O can then take such
  // ranges straight from memory instead of copying them
  // (LocalDirObjectStore). Smaller ranges stay back to back, where padding
  // would cost more than the copy.
  explicit WalBuilder(size_t range_alignment = 0);

  // Appends whole batches of one partition, back to back, whose base offsets
  // are already assigned. Consecutive calls for the same partition extend its
  // range; a partition cannot come back once another one was added, so each
  // partition has one range. The bytes are referenced, not copied: they must
  // outlive the builder and Finish's result.
  // Errors (nothing is added): InvalidArgument when `batches` is empty or its
  // framing is bad (truncated batch, wrong magic), offsets do not ascend past
  // the partition's previous batch, the topic is empty or longer than 65535
  // bytes, the partition is negative, or the partition already has a range
  // that is not the last one.
  Status Add(std::string_view topic, int32_t partition, std::string_view batches);

  bool empty() const { return ranges_.empty(); }
  // Size the .wal object would have now.
  size_t size() const { return kWalHeaderSize + body_size_ + index_size_ + kWalFooterSize; }

  // Encodes the object over the batches added so far.
  // Errors: InvalidArgument when no batch was added.
  Result<EncodedWal> Finish(int64_t created_unix_ms) const;

 private:
  const size_t range_alignment_;
  std::vector<std::string_view> pieces_;  // the body, in order (padding included)
  std::vector<WalRange> ranges_;          // positions absolute in the object
  std::set<std::pair<std::string, int32_t>> partitions_;  // those with a range
  size_t body_size_ = 0;
  size_t index_size_ = 4;  // the range count
};

// Parses and checks a whole .wal object: header magic and version, footer
// magic, CRC32C, the index inside the object and ending at the footer, at
// least one range, every range non-empty, inside the body and with
// base offset <= last offset, no two ranges overlapping or of the same
// partition. Does not look at the batches (the CRC covers them); see
// ParseWalRange. Replaces *ranges (in index order) only on success.
// Errors: Corruption naming the problem. Thread-safe.
Status ParseWalIndex(std::string_view object, std::vector<WalRange>* ranges);

// Checks one range's bytes on their own, e.g. those of a ranged read of
// [expected.position, expected.position + expected.length): the size equals
// expected.length, batch framing, every batch's CRC32C, offsets ascending,
// the first batch's base offset and the last batch's last offset equal to
// expected's. Replaces *batches (positions relative to range_bytes) only on
// success.
// Errors: Corruption naming the range (topic-partition and base offset) and
// the problem. Thread-safe.
Status ParseWalRange(std::string_view range_bytes, const WalRange& expected, std::vector<BatchLocation>* batches);

// Object keys of WAL objects: "{namespace}/~wal/{broker_id}/{name}.wal".
// Segment keys are "{namespace}/{topic}/{partition}/segment-...", and a Kafka
// topic name is made of [a-zA-Z0-9._-] only, so no topic is "~wal": WAL keys
// never fall under a topic's key prefix, and ParseSegmentKey rejects them
// (their suffix is neither ".kfs" nor ".index").
// broker_id must be >= 0; name must be non-empty and free of '/'. Thread-safe.
std::string WalObjectKey(std::string_view ns, int32_t broker_id, std::string_view name);

// "{ns}/~wal/": the prefix to list every broker's WAL objects.
std::string AllWalKeysPrefix(std::string_view ns);
// "{ns}/~wal/{broker_id}/": the prefix to list one broker's WAL objects.
std::string WalKeyPrefix(std::string_view ns, int32_t broker_id);

struct ParsedWalKey {
  std::string ns;  // may itself contain '/'
  int32_t broker_id = 0;
  std::string name;
};

// Inverse of WalObjectKey: true when `key` is a WAL key, spelled canonically
// (broker id without sign or leading zeros), filling *out; false (and *out
// unspecified) otherwise. Thread-safe.
bool ParseWalKey(std::string_view key, ParsedWalKey* out);

}  // namespace kafscale
