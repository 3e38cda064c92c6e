#include "metastore/etcd/proto_codec.h"

#include <string>

#include "metastore/etcd/key_range.h"

namespace kafscale::etcd {

namespace {

using etcdserverpb::RequestOp;

void SetPrefixRange(std::string_view prefix, std::string* key, std::string* range_end) {
  *key = PrefixRangeStart(prefix);
  *range_end = PrefixRangeEnd(prefix);
}

etcdserverpb::Compare::CompareTarget CompareTarget(Compare::Target target) {
  switch (target) {
    case Compare::Target::kValue: return etcdserverpb::Compare::VALUE;
    case Compare::Target::kVersion: return etcdserverpb::Compare::VERSION;
    case Compare::Target::kCreateRevision: return etcdserverpb::Compare::CREATE;
    case Compare::Target::kModRevision: return etcdserverpb::Compare::MOD;
  }
  return etcdserverpb::Compare::VERSION;
}

etcdserverpb::Compare::CompareResult CompareResult(Compare::Op op) {
  switch (op) {
    case Compare::Op::kEqual: return etcdserverpb::Compare::EQUAL;
    case Compare::Op::kNotEqual: return etcdserverpb::Compare::NOT_EQUAL;
    case Compare::Op::kGreater: return etcdserverpb::Compare::GREATER;
    case Compare::Op::kLess: return etcdserverpb::Compare::LESS;
  }
  return etcdserverpb::Compare::EQUAL;
}

void EncodeCompare(const Compare& compare, etcdserverpb::Compare* encoded) {
  encoded->set_key(compare.key);
  encoded->set_target(CompareTarget(compare.target));
  encoded->set_result(CompareResult(compare.op));
  switch (compare.target) {
    case Compare::Target::kValue: encoded->set_value(compare.value); break;
    case Compare::Target::kVersion: encoded->set_version(compare.number); break;
    case Compare::Target::kCreateRevision: encoded->set_create_revision(compare.number); break;
    case Compare::Target::kModRevision: encoded->set_mod_revision(compare.number); break;
  }
}

void EncodeOp(const TxnOp& op, RequestOp* encoded) {
  switch (op.type) {
    case TxnOp::Type::kPut: {
      etcdserverpb::PutRequest* put = encoded->mutable_request_put();
      put->set_key(op.key);
      put->set_value(op.value);
      put->set_lease(op.lease);
      return;
    }
    case TxnOp::Type::kDelete: encoded->mutable_request_delete_range()->set_key(op.key); return;
    case TxnOp::Type::kDeletePrefix: {
      etcdserverpb::DeleteRangeRequest* range = encoded->mutable_request_delete_range();
      SetPrefixRange(op.key, range->mutable_key(), range->mutable_range_end());
      return;
    }
    case TxnOp::Type::kDeleteRange: {
      etcdserverpb::DeleteRangeRequest* range = encoded->mutable_request_delete_range();
      // An empty end would read as "just the key": sent without a key, so
      // etcd refuses it ("key is not provided").
      if (op.range_end.empty()) return;
      range->set_key(op.key);
      range->set_range_end(op.range_end <= op.key ? op.key : op.range_end);
      return;
    }
    case TxnOp::Type::kGet: encoded->mutable_request_range()->set_key(op.key); return;
    case TxnOp::Type::kGetPrefix: {
      etcdserverpb::RangeRequest* range = encoded->mutable_request_range();
      SetPrefixRange(op.key, range->mutable_key(), range->mutable_range_end());
      return;
    }
  }
}

}  // namespace

etcdserverpb::RangeRequest PrefixRangeRequest(std::string_view prefix, std::string_view start_key, int64_t limit,
                                              int64_t revision) {
  etcdserverpb::RangeRequest request;
  SetPrefixRange(prefix, request.mutable_key(), request.mutable_range_end());
  if (!start_key.empty()) request.set_key(std::string(start_key));
  request.set_limit(limit);
  request.set_revision(revision);
  return request;
}

etcdserverpb::TxnRequest TxnRequest(const std::vector<Compare>& compares, const std::vector<TxnOp>& success,
                                    const std::vector<TxnOp>& failure) {
  etcdserverpb::TxnRequest request;
  for (const Compare& compare : compares) EncodeCompare(compare, request.add_compare());
  for (const TxnOp& op : success) EncodeOp(op, request.add_success());
  for (const TxnOp& op : failure) EncodeOp(op, request.add_failure());
  return request;
}

etcdserverpb::WatchRequest WatchCreateRequest(std::string_view prefix, int64_t start_revision) {
  etcdserverpb::WatchRequest request;
  etcdserverpb::WatchCreateRequest* create = request.mutable_create_request();
  SetPrefixRange(prefix, create->mutable_key(), create->mutable_range_end());
  create->set_start_revision(start_revision);
  create->set_progress_notify(true);
  return request;
}

KeyValue DecodeKeyValue(const etcdserverpb::KeyValue& kv) {
  return KeyValue{kv.key(), kv.value(), kv.create_revision(), kv.mod_revision(), kv.version(), kv.lease()};
}

std::vector<KeyValue> DecodeKeyValues(const etcdserverpb::RangeResponse& response) {
  std::vector<KeyValue> kvs;
  kvs.reserve(response.kvs_size());
  for (const etcdserverpb::KeyValue& kv : response.kvs()) kvs.push_back(DecodeKeyValue(kv));
  return kvs;
}

Status DecodeTxnResponse(const etcdserverpb::TxnResponse& response, const std::vector<TxnOp>& success,
                         const std::vector<TxnOp>& failure, TxnResult* result) {
  result->succeeded = response.succeeded();
  result->revision = response.header().revision();
  const std::vector<TxnOp>& ops = result->succeeded ? success : failure;
  if (static_cast<size_t>(response.responses_size()) != ops.size()) {
    return Status::IOError("etcd: txn answered " + std::to_string(response.responses_size()) + " ops, expected " +
                           std::to_string(ops.size()));
  }
  result->results.assign(ops.size(), {});
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].type != TxnOp::Type::kGet && ops[i].type != TxnOp::Type::kGetPrefix) continue;
    result->results[i] = DecodeKeyValues(response.responses(static_cast<int>(i)).response_range());
  }
  return Status::OK();
}

WatchMessage DecodeWatchResponse(const etcdserverpb::WatchResponse& response) {
  WatchMessage message;
  message.header_revision = response.header().revision();
  message.created = response.created();
  message.canceled = response.canceled();
  message.compact_revision = response.compact_revision();
  message.cancel_reason = response.cancel_reason();
  message.events.reserve(response.events_size());
  for (const etcdserverpb::Event& event : response.events()) {
    message.events.push_back(WatchEvent{
        event.type() == etcdserverpb::Event::DELETE ? WatchEvent::Type::kDelete : WatchEvent::Type::kPut,
        DecodeKeyValue(event.kv())});
  }
  return message;
}

}  // namespace kafscale::etcd
