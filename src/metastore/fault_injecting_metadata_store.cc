#include "metastore/fault_injecting_metadata_store.h"

#include <optional>

namespace kafscale {

void FaultInjectingMetadataStore::FailNextTxns(size_t count, Status error, bool after_applying) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t i = 0; i < count; ++i) txn_faults_.push_back(Fault{error, after_applying});
}

Status FaultInjectingMetadataStore::Txn(const std::vector<Compare>& compares, const std::vector<TxnOp>& success,
                                        const std::vector<TxnOp>& failure, TxnResult* result) {
  std::optional<Fault> fault;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!txn_faults_.empty()) {
      fault = txn_faults_.front();
      txn_faults_.pop_front();
    }
  }
  if (!fault) return inner_.Txn(compares, success, failure, result);
  if (fault->after_applying) {
    TxnResult ignored;
    inner_.Txn(compares, success, failure, &ignored);
  }
  return fault->error;
}

}  // namespace kafscale
