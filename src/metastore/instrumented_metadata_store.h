// InstrumentedMetadataStore: wraps any MetadataStore and records every
// call's outcome and latency in metrics:
//   kafscale_metadata_store_requests_total{op}, _errors_total{op,code},
//   _request_duration_seconds{op}
// with op one of get, range, put, delete, txn, grant_lease, keep_alive,
// revoke_lease, watch. A watch is timed while it is set up, not while it runs.
#pragma once

#include <chrono>

#include "metastore/metadata_store.h"
#include "metrics/registry.h"
#include "metrics/store_metrics.h"

namespace kafscale {

class InstrumentedMetadataStore final : public MetadataStore {
 public:
  // Registers the families above in `registry` (so once per registry).
  // `inner` and `registry` must outlive this store. Thread-safe as `inner` is.
  InstrumentedMetadataStore(MetadataStore& inner, metrics::Registry& registry);

  // MetadataStore: exactly the inner store's behaviour.
  Status Get(const std::string& key, KeyValue* out) override;
  Status Range(const std::string& prefix, std::vector<KeyValue>* out, int64_t* revision = nullptr) override;
  Status Put(const std::string& key, const std::string& value, LeaseId lease = 0) override;
  Status Delete(const std::string& key) override;
  Status Txn(const std::vector<Compare>& compares, const std::vector<TxnOp>& success, const std::vector<TxnOp>& failure,
             TxnResult* result) override;
  Status GrantLease(int64_t ttl_seconds, LeaseId* id) override;
  Status KeepAlive(LeaseId id) override;
  Status RevokeLease(LeaseId id) override;
  Status WatchPrefix(const std::string& prefix, int64_t start_revision, WatchCallback callback,
                     std::unique_ptr<Watch>* handle) override;

 private:
  enum Op : size_t { kGet, kRange, kPut, kDelete, kTxn, kGrantLease, kKeepAlive, kRevokeLease, kWatch };
  // Records the call that began at `started` and returns its status.
  Status Finish(Op op, std::chrono::steady_clock::time_point started, Status status);

  MetadataStore& inner_;
  metrics::StoreMetrics metrics_;
};

}  // namespace kafscale
