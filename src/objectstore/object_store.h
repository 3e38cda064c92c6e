// ObjectStore: the narrow interface to durable blob storage (S3 or a local
// directory laid out like S3). Segments and indexes live here.
//
// Thread-safety: every implementation is safe to call from many threads at
// once. Calls block the calling thread; the broker runs them on its I/O pool,
// never on the network thread.
// Keys: '/'-separated, no leading '/', no ".." segments, at most 1024 bytes.
// Errors: NotFound when the object does not exist; PermissionDenied for bad
// credentials; Unavailable/Timeout/IOError for retriable transport trouble;
// InvalidArgument for a bad key or range; Corruption when the store detects
// that an object's bytes are damaged.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/noncopyable.h"
#include "common/status.h"

namespace kafscale {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // opaque; may be empty for stores without ETags
};

struct ListPage {
  std::vector<ObjectInfo> objects;  // in ascending byte order of key
  // Non-empty when more keys follow; pass it back to List to continue.
  std::string next_continuation;
};

class ObjectStore : NonCopyable {
 public:
  static constexpr uint64_t kToEnd = std::numeric_limits<uint64_t>::max();

  virtual ~ObjectStore() = default;

  // Stores `data` under `key`, replacing any existing object atomically: a
  // reader sees the old object or the new one, never a mix. When OK is
  // returned the object is durable (it survives a crash of this process or
  // machine).
  virtual Status Put(const std::string& key, std::string_view data) = 0;

  // Reads bytes [offset, offset+length) of `key` into *out (replacing its
  // contents). length == kToEnd reads to the end. A range that extends past
  // the end is cut at the end; an offset past the end is InvalidArgument.
  virtual Status Get(const std::string& key, std::string* out, uint64_t offset = 0,
                     uint64_t length = kToEnd) = 0;

  // Fills *info for `key` without reading the body.
  virtual Status Head(const std::string& key, ObjectInfo* info) = 0;

  // Lists up to max_keys objects whose key starts with `prefix`, in ascending
  // key order, continuing from `continuation` (empty for the first page).
  virtual Status List(const std::string& prefix, const std::string& continuation,
                      size_t max_keys, ListPage* page) = 0;

  // Deletes every key in `keys`; keys that do not exist are not an error.
  virtual Status DeleteBatch(const std::vector<std::string>& keys) = 0;
};

// Lists every key under `prefix`, following continuations.
Status ListAll(ObjectStore& store, const std::string& prefix, std::vector<ObjectInfo>* out);

}  // namespace kafscale
