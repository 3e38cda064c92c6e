// MemoryObjectStore: an ObjectStore kept in a map, for unit tests. Follows
// the full ObjectStore contract (key rules, range rules, ordering, pagination)
// so code tested against it behaves the same on S3 or a local directory.
#pragma once

#include <map>
#include <mutex>

#include "objectstore/object_store.h"

namespace kafscale {

class MemoryObjectStore final : public ObjectStore {
 public:
  MemoryObjectStore() = default;

  // ObjectStore. Thread-safe (one mutex); nothing is ever durable. ETags are
  // "<n>" where n counts the Puts this store has taken, so an overwrite
  // always changes the ETag.
  Status Put(const std::string& key, const ObjectBody& data) override;
  Status PutIfAbsent(const std::string& key, const ObjectBody& data) override;
  Status Get(const std::string& key, std::string* out, uint64_t offset = 0, uint64_t length = kToEnd) override;
  Status Head(const std::string& key, ObjectInfo* info) override;
  Status List(const std::string& prefix, const std::string& continuation, size_t max_keys,
              ListPage* page) override;
  Status DeleteBatch(const std::vector<std::string>& keys) override;

 private:
  struct StoredObject {
    std::string data;
    std::string etag;
  };

  std::mutex mutex_;
  std::map<std::string, StoredObject> objects_;  // guarded by mutex_
  uint64_t puts_ = 0;                            // guarded by mutex_
};

}  // namespace kafscale
