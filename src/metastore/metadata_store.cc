#include "metastore/metadata_store.h"

#include <utility>

namespace kafscale {

Compare Compare::VersionEquals(std::string key, int64_t version) {
  Compare compare;
  compare.key = std::move(key);
  compare.target = Target::kVersion;
  compare.number = version;
  return compare;
}

Compare Compare::ValueEquals(std::string key, std::string value) {
  Compare compare;
  compare.key = std::move(key);
  compare.target = Target::kValue;
  compare.value = std::move(value);
  return compare;
}

Compare Compare::ModRevisionEquals(std::string key, int64_t revision) {
  Compare compare;
  compare.key = std::move(key);
  compare.target = Target::kModRevision;
  compare.number = revision;
  return compare;
}

Compare Compare::CreateRevisionEquals(std::string key, int64_t revision) {
  Compare compare;
  compare.key = std::move(key);
  compare.target = Target::kCreateRevision;
  compare.number = revision;
  return compare;
}

namespace {
TxnOp MakeOp(TxnOp::Type type, std::string key, std::string value = {}, LeaseId lease = 0) {
  TxnOp op;
  op.type = type;
  op.key = std::move(key);
  op.value = std::move(value);
  op.lease = lease;
  return op;
}
}  // namespace

TxnOp TxnOp::Put(std::string key, std::string value, LeaseId lease) {
  return MakeOp(Type::kPut, std::move(key), std::move(value), lease);
}
TxnOp TxnOp::Delete(std::string key) { return MakeOp(Type::kDelete, std::move(key)); }
TxnOp TxnOp::DeletePrefix(std::string prefix) { return MakeOp(Type::kDeletePrefix, std::move(prefix)); }
TxnOp TxnOp::DeleteRange(std::string begin, std::string end) {
  TxnOp op = MakeOp(Type::kDeleteRange, std::move(begin));
  op.range_end = std::move(end);
  return op;
}
TxnOp TxnOp::Get(std::string key) { return MakeOp(Type::kGet, std::move(key)); }
TxnOp TxnOp::GetPrefix(std::string prefix) { return MakeOp(Type::kGetPrefix, std::move(prefix)); }

}  // namespace kafscale
