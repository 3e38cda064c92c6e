#include "objectstore/instrumented_object_store.h"

namespace kafscale {

using Clock = std::chrono::steady_clock;

ObjectStoreMetrics::ObjectStoreMetrics(metrics::Registry& registry)
    : calls_(registry, "kafscale_object_store", "Object-store", {"put", "put_if_absent", "get", "head", "list", "delete_batch"}),
      bytes_(registry.AddCounterFamily("kafscale_object_store_bytes_total",
                                       "Object bytes uploaded (put, put_if_absent) and downloaded (get).",
                                       {"op"})),
      put_bytes_(bytes_.WithLabels({"put"})),
      put_if_absent_bytes_(bytes_.WithLabels({"put_if_absent"})),
      get_bytes_(bytes_.WithLabels({"get"})) {}

InstrumentedObjectStore::InstrumentedObjectStore(ObjectStore& inner, ObjectStoreMetrics& metrics,
                                                 metrics::S3HealthTracker* health)
    : inner_(inner), metrics_(metrics), health_(health) {}

bool InstrumentedObjectStore::IsStoreFailure(const Status& status) {
  return status.IsRetriable() || status.code() == Status::Code::kPermissionDenied;
}

Status InstrumentedObjectStore::Finish(Op op, Clock::time_point started, Status status) {
  const Clock::duration elapsed = Clock::now() - started;
  metrics_.calls_.Record(op, status, elapsed);
  if (health_) health_->Record(elapsed, IsStoreFailure(status));
  return status;
}

Status InstrumentedObjectStore::Put(const std::string& key, const ObjectBody& data) {
  return Upload(kPut, &ObjectStore::Put, metrics_.put_bytes_, key, data);
}

Status InstrumentedObjectStore::PutIfAbsent(const std::string& key, const ObjectBody& data) {
  return Upload(kPutIfAbsent, &ObjectStore::PutIfAbsent, metrics_.put_if_absent_bytes_, key, data);
}

Status InstrumentedObjectStore::Upload(Op op, PutFunction put, metrics::Counter& stored_bytes, const std::string& key,
                                       const ObjectBody& data) {
  const Clock::time_point started = Clock::now();
  Status status = (inner_.*put)(key, data);
  if (status.ok()) stored_bytes.Increment(data.size());
  return Finish(op, started, std::move(status));
}

Status InstrumentedObjectStore::Get(const std::string& key, std::string* out, uint64_t offset, uint64_t length) {
  const Clock::time_point started = Clock::now();
  Status status = inner_.Get(key, out, offset, length);
  if (status.ok()) metrics_.get_bytes_.Increment(out->size());
  return Finish(kGet, started, std::move(status));
}

Status InstrumentedObjectStore::Head(const std::string& key, ObjectInfo* info) {
  const Clock::time_point started = Clock::now();
  return Finish(kHead, started, inner_.Head(key, info));
}

Status InstrumentedObjectStore::List(const std::string& prefix, const std::string& continuation, size_t max_keys,
                                     ListPage* page) {
  const Clock::time_point started = Clock::now();
  return Finish(kList, started, inner_.List(prefix, continuation, max_keys, page));
}

Status InstrumentedObjectStore::DeleteBatch(const std::vector<std::string>& keys) {
  const Clock::time_point started = Clock::now();
  return Finish(kDeleteBatch, started, inner_.DeleteBatch(keys));
}

}  // namespace kafscale
