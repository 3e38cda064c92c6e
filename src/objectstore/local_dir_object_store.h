// LocalDirObjectStore: an ObjectStore in a local directory, laid out like the
// bucket (key "a/b/c" is the file <root>/a/b/c). The embedded mode's durable
// storage.
//
// Crash safety: Put writes a temporary file beside the target, fsyncs it,
// renames it over the target and fsyncs the directory, so after a crash the
// key holds the old object or the new one, never a torn one. PutIfAbsent
// does the same but hard-links the temporary file to the target instead of
// renaming it, which fails (EEXIST) rather than replace an existing object,
// then removes the temporary name. Temporary files
// (names starting with kTempFilePrefix) are never listed and are removed by
// Open. Only one store may use a root directory at a time.
//
// Deleted objects' files are kept (under temporary names) and written over
// by later Puts, up to kMaxRecycledFiles: creating and freeing an inode per
// object was a large part of the embedded broker's CPU (ext4 without a
// journal checks every inode freed in the last 30 s on each create), and
// freeing blocks can cost a synchronous discard per file (the `discard`
// mount option). Up to kMaxRecycledBytes of them keep their blocks; the
// others are emptied, or unlinked when a Get in progress may be reading
// them. A recycled file is written over only once every Get that began
// before it was recycled has finished.
//
// Differences from S3 that callers never meet with KafScale's key layout:
// a key cannot be both an object and a prefix of other keys ("a" and "a/b"),
// because "a" cannot be a file and a directory; Put of the second one is
// InvalidArgument. Deleting objects leaves their (possibly empty) directories.
#pragma once

#include <atomic>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>

#include "common/noncopyable.h"
#include "objectstore/object_store.h"

namespace kafscale {

class LocalDirObjectStore final : public ObjectStore {
 public:
  // Key segments starting with this are the store's temporary files; keys
  // containing such a segment are InvalidArgument.
  static constexpr std::string_view kTempFilePrefix = ".kafscale-tmp.";
  // Objects are written with direct I/O where the file system allows it:
  // body pieces whose memory address and object offset agree modulo this
  // are written from where they lie (but for the part of a block before
  // their first block boundary), the rest through an aligned buffer (one
  // copy).
  static constexpr size_t kDirectIoAlignment = 4096;
  // Bounds on what deleted objects keep for reuse: inodes, and blocks.
  static constexpr size_t kMaxRecycledFiles = 8192;
  static constexpr uint64_t kMaxRecycledBytes = 256ull * 1024 * 1024;

  // Opens the store rooted at `root`, creating the directory if needed and
  // deleting temporary files a crash or an earlier run left behind. It keeps
  // up to `max_recycled_files` deleted objects' files for reuse, up to
  // `max_recycled_bytes` of them with their blocks.
  // Errors: IOError / PermissionDenied when the directory cannot be created
  // or scanned.
  static Result<std::unique_ptr<LocalDirObjectStore>> Open(const std::filesystem::path& root,
                                                            size_t max_recycled_files = kMaxRecycledFiles,
                                                            uint64_t max_recycled_bytes = kMaxRecycledBytes);

  // ObjectStore. Thread-safe: every call works on the file system alone.
  // ETags are empty. List reads the directories under the prefix on each
  // call, so a page costs a walk of those directories.
  Status Put(const std::string& key, const ObjectBody& data) override;
  Status PutIfAbsent(const std::string& key, const ObjectBody& data) override;
  Status Get(const std::string& key, std::string* out, uint64_t offset = 0, uint64_t length = kToEnd) override;
  Status Head(const std::string& key, ObjectInfo* info) override;
  Status List(const std::string& prefix, const std::string& continuation, size_t max_keys,
              ListPage* page) override;
  Status DeleteBatch(const std::vector<std::string>& keys) override;

  const std::filesystem::path& root() const { return root_; }

 private:
  LocalDirObjectStore(std::filesystem::path root, size_t max_recycled_files, uint64_t max_recycled_bytes);

  // Collects (into *keys) the keys of regular files under `dir`, whose key
  // prefix is `dir_key` ("" for the root), that start with `prefix` and sort
  // after `continuation`.
  Status CollectKeys(const std::filesystem::path& dir, const std::string& dir_key, const std::string& prefix,
                     const std::string& continuation, std::vector<std::string>* keys) const;
  // Creates `dir` and missing parents under the root, fsyncing each parent
  // so the new entries are durable.
  Status MakeDirectories(const std::filesystem::path& dir) const;
  std::filesystem::path TempPathFor(const std::filesystem::path& target);
  // Moves a deleted object's file (of `size` bytes) among the recyclable
  // ones; false when they are at their bounds (the caller unlinks it).
  bool Recycle(const std::filesystem::path& path, uint64_t size);
  // Moves a recyclable file to `temp`; false when there is none.
  bool ReuseRecycledFile(const std::filesystem::path& temp);
  // Put (replace_existing) and PutIfAbsent: writes a durable temporary file
  // and moves it into place.
  Status Store(const std::string& key, const ObjectBody& data, bool replace_existing);

  const std::filesystem::path root_;
  const size_t max_recycled_files_;
  const uint64_t max_recycled_bytes_;
  std::atomic<uint64_t> temp_counter_{0};

  // Counts a Get among those in progress while it lives.
  class ReadRegistration : ::kafscale::NonCopyable {
   public:
    explicit ReadRegistration(LocalDirObjectStore& store);
    ~ReadRegistration();

   private:
    LocalDirObjectStore& store_;
    std::multiset<uint64_t>::iterator entry_;
  };

  struct RecycledFile {
    std::filesystem::path path;
    uint64_t size;     // bytes it still holds
    uint64_t recycle;  // the value of recycles_ it was given
  };
  std::mutex recycled_mutex_;
  std::deque<RecycledFile> recycled_;  // oldest first
  uint64_t recycled_bytes_ = 0;
  uint64_t recycles_ = 0;                // files recycled so far
  std::multiset<uint64_t> reads_begun_;  // recycles_ when each Get in progress began
};

}  // namespace kafscale
