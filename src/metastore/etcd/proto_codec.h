// etcd v3 gRPC messages from the MetadataStore's types and back. Pure
// functions without I/O; safe to call from any thread.
#pragma once

#include <cstdint>
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

KeyValue DecodeKeyValue(const etcdserverpb::KeyValue& kv);
std::vector<KeyValue> DecodeKeyValues(const etcdserverpb::RangeResponse& response);
// Decodes a TxnResponse. `ops` is the branch that ran (chosen by the
// response's succeeded), so kGet/kGetPrefix results land at their index.
// IOError when etcd answered another number of ops than the branch has.
Status DecodeTxnResponse(const etcdserverpb::TxnResponse& response, const std::vector<TxnOp>& success,
                         const std::vector<TxnOp>& failure, TxnResult* result);

}  // namespace kafscale::etcd
