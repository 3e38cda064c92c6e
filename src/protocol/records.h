// Records: the record-batch bytes of a produce or fetch, kept as slices of
// shared buffers so they travel from socket to storage and back without
// copies.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kafscale::kafka {

// Bytes that the slice keeps alive: `owner` holds the buffer `bytes` points
// into (a request frame, a cached segment's buffers); copying a slice shares
// the buffer, never the bytes.
struct SharedSlice {
  std::shared_ptr<const void> owner;
  std::string_view bytes;
};

// The value of a `records` field: the concatenation of its slices, in order.
// The slices are immutable shared data, so a Records may be read from several
// threads at once; mutating the vector needs the usual external locking.
struct Records {
  std::vector<SharedSlice> slices;

  // Total bytes across all slices.
  size_t size() const;
  // One contiguous copy of the bytes; for code that must parse across slices.
  std::string Flatten() const;
  // Equal when the byte contents are equal, however they are sliced.
  bool operator==(const Records& other) const;

  // Records that own `bytes` (one slice, or none when empty).
  static Records FromString(std::string bytes);
};

}  // namespace kafscale::kafka
