// ObjectStore: the narrow interface to durable blob storage (S3 or a local
// directory laid out like S3). Segments and indexes live here.
//
// Thread-safety: every implementation is safe to call from many threads at
// once. Calls block the calling thread; the broker runs them on its I/O pool,
// never on the network thread.
// Keys: '/'-separated, no leading '/', no ".." segments, at most 1024 bytes
// (the full rules are ValidateObjectKey's, below).
// Errors: NotFound when the object does not exist; AlreadyExists when
// PutIfAbsent finds one; PermissionDenied for bad credentials;
// Unavailable/Timeout/IOError for retriable transport trouble;
// InvalidArgument for a bad key or range; Corruption when the store detects
// that an object's bytes are damaged.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
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

// The bytes of an object to upload: pieces stored back to back, so that a
// caller holding them in several buffers (a write-ahead object's batches, a
// segment's header, batches and footer) need not copy them into one first.
// Refers to the pieces and to the span of them; owns neither.
class ObjectBody {
 public:
  // One contiguous piece.
  ObjectBody(std::string_view bytes) : single_(bytes), is_single_(true), size_(bytes.size()) {}
  ObjectBody(const std::string& bytes) : ObjectBody(std::string_view(bytes)) {}
  ObjectBody(const char* bytes) : ObjectBody(std::string_view(bytes)) {}
  explicit ObjectBody(std::span<const std::string_view> pieces);

  std::span<const std::string_view> pieces() const {
    return is_single_ ? std::span<const std::string_view>(&single_, 1) : many_;
  }
  uint64_t size() const { return size_; }
  // The bytes in one buffer: the only piece itself, or a copy into *storage.
  std::string_view Contiguous(std::string* storage) const;
  // A copy of the bytes.
  std::string Flatten() const;

 private:
  std::string_view single_;
  std::span<const std::string_view> many_;
  bool is_single_ = false;
  uint64_t size_ = 0;
};

// Reads an ObjectBody's bytes in order, across its pieces. Must not outlive
// the body.
class ObjectBodyReader {
 public:
  explicit ObjectBodyReader(const ObjectBody& body) : pieces_(body.pieces()) {}
  // Copies up to `capacity` next bytes into `buffer`; returns how many (0 at
  // the end).
  size_t Read(char* buffer, size_t capacity);
  // Up to `max` next bytes as they lie, without copying (at most the rest
  // of the current piece); empty at the end.
  std::string_view ReadPiece(size_t max = std::numeric_limits<size_t>::max());
  // Moves to byte `position` of the body; false (and the position is the
  // end) when it lies past the end.
  bool Seek(uint64_t position);

 private:
  std::span<const std::string_view> pieces_;
  size_t next_ = 0;    // piece
  size_t offset_ = 0;  // in that piece
};

class ObjectStore : NonCopyable {
 public:
  static constexpr uint64_t kToEnd = std::numeric_limits<uint64_t>::max();

  virtual ~ObjectStore() = default;

  // Stores `data` under `key`, replacing any existing object atomically: a
  // reader sees the old object or the new one, never a mix. When OK is
  // returned the object is durable (it survives a crash of this process or
  // machine).
  virtual Status Put(const std::string& key, const ObjectBody& data) = 0;

  // Stores `data` under `key` only if no object exists there, atomically:
  // of any number of racing callers exactly one gets OK. AlreadyExists
  // (naming the key) when an object is there, which is left unchanged;
  // otherwise Put's errors, and OK means durable as for Put. Segments are
  // uploaded with this so a paused former partition owner (a zombie) can
  // never replace a segment a newer owner has committed.
  virtual Status PutIfAbsent(const std::string& key, const ObjectBody& data) = 0;

  // Reads bytes [offset, offset+length) of `key` into *out (replacing its
  // contents). length == kToEnd reads to the end. A range that extends past
  // the end is cut at the end; an offset past the end is InvalidArgument, and
  // so is an offset equal to the size of a non-empty object (S3 answers 416
  // there). Offset 0 of an empty object reads nothing and is OK.
  virtual Status Get(const std::string& key, std::string* out, uint64_t offset = 0,
                     uint64_t length = kToEnd) = 0;

  // Fills *info for `key` without reading the body.
  virtual Status Head(const std::string& key, ObjectInfo* info) = 0;

  // Lists up to max_keys objects whose key starts with `prefix`, in ascending
  // key order, continuing from `continuation` (empty for the first page).
  // `continuation` may be page->next_continuation itself. max_keys == 0 is
  // InvalidArgument; a store may return fewer than max_keys (S3 stops at
  // 1,000) and sets next_continuation only when more keys follow.
  virtual Status List(const std::string& prefix, const std::string& continuation,
                      size_t max_keys, ListPage* page) = 0;

  // Deletes every key in `keys`; keys that do not exist are not an error. If
  // any key is invalid the call is InvalidArgument and deletes nothing.
  virtual Status DeleteBatch(const std::vector<std::string>& keys) = 0;
};

inline constexpr size_t kMaxObjectKeyBytes = 1024;
// Page size ListAll asks for; S3 never returns more than this per request.
inline constexpr size_t kListPageKeys = 1000;

// Lists every key under `prefix` into *out (replacing its contents), following
// continuations. Errors: whatever List returns; *out is then unspecified.
// Thread-safe as the store is.
Status ListAll(ObjectStore& store, const std::string& prefix, std::vector<ObjectInfo>* out);

// Checks `key` against the key rules above: non-empty, at most
// kMaxObjectKeyBytes, no leading '/', no empty, "." or ".." segment (so no
// trailing '/' or "//"), no NUL byte. Every store rejects such keys with the
// InvalidArgument this returns, so behaviour is the same on S3 and on disk.
// Thread-safe.
Status ValidateObjectKey(std::string_view key);

}  // namespace kafscale
