// FaultInjectingMetadataStore: wraps another MetadataStore and makes chosen
// transactions fail, either before they reach the inner store or after it
// applied them (a reply lost on the way back, the ambiguous outcome an etcd
// client sees on a timeout), so tests can exercise commit failures.
#pragma once

#include <deque>
#include <mutex>

#include "metastore/metadata_store.h"

namespace kafscale {

class FaultInjectingMetadataStore final : public MetadataStore {
 public:
  // Wraps `inner`, which must outlive this store. With no faults set, every
  // call passes straight through. Thread-safe.
  explicit FaultInjectingMetadataStore(MetadataStore& inner) : inner_(inner) {}

  // The next `count` Txn calls return `error` (which must not be OK). With
  // `after_applying`, each is first passed to the inner store (its effects
  // stay) and only its answer is replaced.
  void FailNextTxns(size_t count, Status error, bool after_applying = false);

  // MetadataStore: the inner store's behaviour, subject to the faults above.
  Status Get(const std::string& key, KeyValue* out) override { return inner_.Get(key, out); }
  Status Range(const std::string& prefix, std::vector<KeyValue>* out, int64_t* revision = nullptr) override {
    return inner_.Range(prefix, out, revision);
  }
  Status Put(const std::string& key, const std::string& value, LeaseId lease = 0) override {
    return inner_.Put(key, value, lease);
  }
  Status Delete(const std::string& key) override { return inner_.Delete(key); }
  Status Txn(const std::vector<Compare>& compares, const std::vector<TxnOp>& success, const std::vector<TxnOp>& failure,
             TxnResult* result) override;
  Status GrantLease(int64_t ttl_seconds, LeaseId* id) override { return inner_.GrantLease(ttl_seconds, id); }
  Status KeepAlive(LeaseId id) override { return inner_.KeepAlive(id); }
  Status RevokeLease(LeaseId id) override { return inner_.RevokeLease(id); }
  Status WatchPrefix(const std::string& prefix, int64_t start_revision, WatchCallback callback,
                     std::unique_ptr<Watch>* handle) override {
    return inner_.WatchPrefix(prefix, start_revision, std::move(callback), handle);
  }

 private:
  struct Fault {
    Status error;
    bool after_applying;
  };

  MetadataStore& inner_;
  std::mutex mutex_;
  std::deque<Fault> txn_faults_;
};

}  // namespace kafscale
