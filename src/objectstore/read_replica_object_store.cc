#include "objectstore/read_replica_object_store.h"

#include "common/logging.h"

namespace kafscale {

ReadReplicaObjectStore::ReadReplicaObjectStore(ObjectStore& primary, ObjectStore& replica)
    : primary_(primary), replica_(replica) {}

template <typename Read>
Status ReadReplicaObjectStore::ReplicaFirst(std::string_view op, const std::string& key, const Read& read) {
  Status replica_status = read(replica_);
  if (replica_status.ok()) return replica_status;
  // Debug only: while the replica lags, misses are the normal case.
  if (LogEnabled(LogLevel::kDebug)) {
    LogDebug("read replica could not answer; reading the primary",
             {{"op", op}, {"key", key}, {"error", replica_status.ToString()}});
  }
  return read(primary_);
}

Status ReadReplicaObjectStore::Put(const std::string& key, const ObjectBody& data) { return primary_.Put(key, data); }

Status ReadReplicaObjectStore::PutIfAbsent(const std::string& key, const ObjectBody& data) {
  return primary_.PutIfAbsent(key, data);
}

Status ReadReplicaObjectStore::Get(const std::string& key, std::string* out, uint64_t offset, uint64_t length) {
  auto get = [&](ObjectStore& store) { return store.Get(key, out, offset, length); };
  return ReplicaFirst("get", key, get);
}

Status ReadReplicaObjectStore::Head(const std::string& key, ObjectInfo* info) {
  auto head = [&](ObjectStore& store) { return store.Head(key, info); };
  return ReplicaFirst("head", key, head);
}

Status ReadReplicaObjectStore::List(const std::string& prefix, const std::string& continuation, size_t max_keys,
                                    ListPage* page) {
  return primary_.List(prefix, continuation, max_keys, page);
}

Status ReadReplicaObjectStore::DeleteBatch(const std::vector<std::string>& keys) {
  return primary_.DeleteBatch(keys);
}

}  // namespace kafscale
