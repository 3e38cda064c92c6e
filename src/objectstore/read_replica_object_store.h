// ReadReplicaObjectStore: reads from a replica of the bucket first (one in
// the reader's region, say) and from the primary when the replica cannot
// answer; everything else goes to the primary only.
//
// Why the fallback is always safe: segments and indexes are written once
// under a fresh key and never changed, so a replica can lag (an object not
// copied yet) but never hold different bytes under a key. Listing and
// writes need the authoritative bucket, so they never touch the replica.
#pragma once

#include <string_view>

#include "objectstore/object_store.h"

namespace kafscale {

class ReadReplicaObjectStore final : public ObjectStore {
 public:
  // `primary` and `replica` must outlive this store.
  ReadReplicaObjectStore(ObjectStore& primary, ObjectStore& replica);

  // Get and Head: the replica's answer when it succeeds; after any replica
  // error (NotFound while it lags, a transport failure, ...) the primary's
  // answer, whatever it is. The replica's error is logged at debug level.
  // Put, PutIfAbsent, List, DeleteBatch: the primary's behaviour exactly.
  // Thread-safe as both stores are.
  Status Put(const std::string& key, const ObjectBody& data) override;
  Status PutIfAbsent(const std::string& key, const ObjectBody& data) override;
  Status Get(const std::string& key, std::string* out, uint64_t offset = 0, uint64_t length = kToEnd) override;
  Status Head(const std::string& key, ObjectInfo* info) override;
  Status List(const std::string& prefix, const std::string& continuation, size_t max_keys,
              ListPage* page) override;
  Status DeleteBatch(const std::vector<std::string>& keys) override;

 private:
  // Calls read(replica_), and read(primary_) if that fails; `op` names the
  // call in the log line.
  template <typename Read>
  Status ReplicaFirst(std::string_view op, const std::string& key, const Read& read);

  ObjectStore& primary_;
  ObjectStore& replica_;
};

}  // namespace kafscale
