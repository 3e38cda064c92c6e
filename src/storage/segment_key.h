// Object keys of segments and indexes (DESIGN.md §4):
//   {namespace}/{topic}/{partition}/segment-{base_offset:020d}.kfs
// and the same ending in ".index". Zero-padding makes byte order of keys
// equal offset order, so a listing returns segments oldest first.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kafscale {

enum class SegmentObjectKind { kSegment, kIndex };

// base_offset must be >= 0. Thread-safe.
std::string SegmentKey(std::string_view ns, std::string_view topic, int32_t partition, int64_t base_offset);
std::string IndexKey(std::string_view ns, std::string_view topic, int32_t partition, int64_t base_offset);

// "{ns}/{topic}/{partition}/": the prefix to list one partition's objects.
std::string PartitionKeyPrefix(std::string_view ns, std::string_view topic, int32_t partition);

struct ParsedSegmentKey {
  std::string ns;  // may itself contain '/'
  std::string topic;
  int32_t partition = 0;
  int64_t base_offset = 0;
  SegmentObjectKind kind = SegmentObjectKind::kSegment;
};

// Inverse of SegmentKey/IndexKey. Only the canonical spelling is accepted
// (20 offset digits, partition without leading zeros), so a parsed key
// formats back to the same string.
// Errors: InvalidArgument when `key` is not a segment or index key. Thread-safe.
Status ParseSegmentKey(std::string_view key, ParsedSegmentKey* out);

}  // namespace kafscale
