#include "metastore/instrumented_metadata_store.h"

namespace kafscale {

using Clock = std::chrono::steady_clock;

InstrumentedMetadataStore::InstrumentedMetadataStore(MetadataStore& inner, metrics::Registry& registry)
    : inner_(inner),
      metrics_(registry, "kafscale_metadata_store", "Metadata-store",
               {"get", "range", "put", "delete", "txn", "grant_lease", "keep_alive", "revoke_lease", "watch"}) {}

Status InstrumentedMetadataStore::Finish(Op op, Clock::time_point started, Status status) {
  metrics_.Record(op, status, Clock::now() - started);
  return status;
}

Status InstrumentedMetadataStore::Get(const std::string& key, KeyValue* out) {
  const Clock::time_point started = Clock::now();
  return Finish(kGet, started, inner_.Get(key, out));
}

Status InstrumentedMetadataStore::Range(const std::string& prefix, std::vector<KeyValue>* out, int64_t* revision) {
  const Clock::time_point started = Clock::now();
  return Finish(kRange, started, inner_.Range(prefix, out, revision));
}

Status InstrumentedMetadataStore::Put(const std::string& key, const std::string& value, LeaseId lease) {
  const Clock::time_point started = Clock::now();
  return Finish(kPut, started, inner_.Put(key, value, lease));
}

Status InstrumentedMetadataStore::Delete(const std::string& key) {
  const Clock::time_point started = Clock::now();
  return Finish(kDelete, started, inner_.Delete(key));
}

Status InstrumentedMetadataStore::Txn(const std::vector<Compare>& compares, const std::vector<TxnOp>& success,
                                      const std::vector<TxnOp>& failure, TxnResult* result) {
  const Clock::time_point started = Clock::now();
  return Finish(kTxn, started, inner_.Txn(compares, success, failure, result));
}

Status InstrumentedMetadataStore::GrantLease(int64_t ttl_seconds, LeaseId* id) {
  const Clock::time_point started = Clock::now();
  return Finish(kGrantLease, started, inner_.GrantLease(ttl_seconds, id));
}

Status InstrumentedMetadataStore::KeepAlive(LeaseId id) {
  const Clock::time_point started = Clock::now();
  return Finish(kKeepAlive, started, inner_.KeepAlive(id));
}

Status InstrumentedMetadataStore::RevokeLease(LeaseId id) {
  const Clock::time_point started = Clock::now();
  return Finish(kRevokeLease, started, inner_.RevokeLease(id));
}

Status InstrumentedMetadataStore::WatchPrefix(const std::string& prefix, int64_t start_revision, WatchCallback callback,
                                              std::unique_ptr<Watch>* handle) {
  const Clock::time_point started = Clock::now();
  return Finish(kWatch, started, inner_.WatchPrefix(prefix, start_revision, std::move(callback), handle));
}

}  // namespace kafscale
