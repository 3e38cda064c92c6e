// InstrumentedObjectStore: wraps any ObjectStore and records every call's
// outcome, latency and bytes in metrics, and feeds the S3 health tracker.
#pragma once

#include <chrono>

#include "metrics/registry.h"
#include "metrics/s3_health.h"
#include "metrics/store_metrics.h"
#include "objectstore/object_store.h"

namespace kafscale {

// The metric families of every instrumented object store in a registry:
//   kafscale_object_store_requests_total{op}, _errors_total{op,code},
//   _request_duration_seconds{op}, kafscale_object_store_bytes_total{op}
// with op one of put, put_if_absent, get, head, list, delete_batch. A
// PutIfAbsent that finds the key taken counts in errors_total with code
// already_exists (a fenced-off upload is worth seeing) but not against the
// store's health. Register once per registry; thread-safe.
class ObjectStoreMetrics : NonCopyable {
 public:
  explicit ObjectStoreMetrics(metrics::Registry& registry);

 private:
  friend class InstrumentedObjectStore;
  metrics::StoreMetrics calls_;
  metrics::Family<metrics::Counter>& bytes_;
  metrics::Counter& put_bytes_;
  metrics::Counter& put_if_absent_bytes_;
  metrics::Counter& get_bytes_;
};

class InstrumentedObjectStore final : public ObjectStore {
 public:
  // `inner`, `metrics` and `health` (nullable: no health tracking) must
  // outlive this store. Thread-safe as `inner` is.
  InstrumentedObjectStore(ObjectStore& inner, ObjectStoreMetrics& metrics, metrics::S3HealthTracker* health);

  // Whether a call that ended with `status` means the store could not serve
  // it (unreachable, timed out, refused our credentials), as opposed to an
  // answer such as "not found". Such calls count against the store's health.
  static bool IsStoreFailure(const Status& status);

  // ObjectStore: exactly the inner store's behaviour.
  Status Put(const std::string& key, const ObjectBody& data) override;
  Status PutIfAbsent(const std::string& key, const ObjectBody& data) override;
  Status Get(const std::string& key, std::string* out, uint64_t offset = 0, uint64_t length = kToEnd) override;
  Status Head(const std::string& key, ObjectInfo* info) override;
  Status List(const std::string& prefix, const std::string& continuation, size_t max_keys, ListPage* page) override;
  Status DeleteBatch(const std::vector<std::string>& keys) override;

 private:
  // Indexes the op labels ObjectStoreMetrics registers, in the same order.
  enum Op : size_t { kPut, kPutIfAbsent, kGet, kHead, kList, kDeleteBatch };
  using PutFunction = Status (ObjectStore::*)(const std::string&, const ObjectBody&);
  // Put and PutIfAbsent: calls `put` of the inner store and records it as
  // `op`, counting the bytes of a successful upload in `stored_bytes`.
  Status Upload(Op op, PutFunction put, metrics::Counter& stored_bytes, const std::string& key,
                const ObjectBody& data);
  // Records the call that began at `started` and returns its status.
  Status Finish(Op op, std::chrono::steady_clock::time_point started, Status status);

  ObjectStore& inner_;
  ObjectStoreMetrics& metrics_;
  metrics::S3HealthTracker* health_;
};

}  // namespace kafscale
