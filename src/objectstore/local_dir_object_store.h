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
// Differences from S3 that callers never meet with KafScale's key layout:
// a key cannot be both an object and a prefix of other keys ("a" and "a/b"),
// because "a" cannot be a file and a directory; Put of the second one is
// InvalidArgument. Deleting objects leaves their (possibly empty) directories.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>

#include "objectstore/object_store.h"

namespace kafscale {

class LocalDirObjectStore final : public ObjectStore {
 public:
  // Key segments starting with this are the store's temporary files; keys
  // containing such a segment are InvalidArgument.
  static constexpr std::string_view kTempFilePrefix = ".kafscale-tmp.";

  // Opens the store rooted at `root`, creating the directory if needed and
  // deleting temporary files a crash left behind.
  // Errors: IOError / PermissionDenied when the directory cannot be created
  // or scanned.
  static Result<std::unique_ptr<LocalDirObjectStore>> Open(const std::filesystem::path& root);

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
  explicit LocalDirObjectStore(std::filesystem::path root);

  // Collects (into *keys) the keys of regular files under `dir`, whose key
  // prefix is `dir_key` ("" for the root), that start with `prefix` and sort
  // after `continuation`.
  Status CollectKeys(const std::filesystem::path& dir, const std::string& dir_key, const std::string& prefix,
                     const std::string& continuation, std::vector<std::string>* keys) const;
  // Creates `dir` and missing parents under the root, fsyncing each parent
  // so the new entries are durable.
  Status MakeDirectories(const std::filesystem::path& dir) const;
  std::filesystem::path TempPathFor(const std::filesystem::path& target);
  // Put (replace_existing) and PutIfAbsent: writes a durable temporary file
  // and moves it into place.
  Status Store(const std::string& key, const ObjectBody& data, bool replace_existing);

  const std::filesystem::path root_;
  std::atomic<uint64_t> temp_counter_{0};
};

}  // namespace kafscale
