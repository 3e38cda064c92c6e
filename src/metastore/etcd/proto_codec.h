// etcd v3 gRPC messages from the MetadataStore's types and back. Pure
// functions without I/O; safe to call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "metastore/etcd/proto/etcd_rpc.pb.h"
#include "metastore/metadata_store.h"

namespace kafscale::etcd {

// Keys starting with `prefix`, at most `limit` of them (0: no limit) from
// `start_key` on (empty: from the prefix), read at `revision` (0: latest).
etcdserverpb::RangeRequest PrefixRangeRequest(std::string_view prefix, std::string_view start_key, int64_t limit,
                                              int64_t revision);
etcdserverpb::TxnRequest TxnRequest(const std::vector<Compare>& compares, const std::vector<TxnOp>& success,
                                    const std::vector<TxnOp>& failure);

// Creates a watch of every key starting with `prefix` from `start_revision`
// (> 0), with periodic progress notifications so an idle watch learns how
// far it is in sync.
etcdserverpb::WatchRequest WatchCreateRequest(std::string_view prefix, int64_t start_revision);

KeyValue DecodeKeyValue(const etcdserverpb::KeyValue& kv);
std::vector<KeyValue> DecodeKeyValues(const etcdserverpb::RangeResponse& response);
// Decodes a TxnResponse. `ops` is the branch that ran (chosen by the
// response's succeeded), so kGet/kGetPrefix results land at their index.
// IOError when etcd answered another number of ops than the branch has.
Status DecodeTxnResponse(const etcdserverpb::TxnResponse& response, const std::vector<TxnOp>& success,
                         const std::vector<TxnOp>& failure, TxnResult* result);

// One message of a watch stream.
struct WatchMessage {
  int64_t header_revision = 0;
  bool created = false;
  bool canceled = false;
  int64_t compact_revision = 0;  // non-zero: the start revision was compacted
  std::string cancel_reason;
  std::vector<WatchEvent> events;
  // A progress notification: etcd sends it only to a watch that is in sync,
  // so every change up to header_revision has been delivered.
  bool IsProgressNotify() const { return !created && !canceled && events.empty(); }
};

WatchMessage DecodeWatchResponse(const etcdserverpb::WatchResponse& response);

}  // namespace kafscale::etcd
