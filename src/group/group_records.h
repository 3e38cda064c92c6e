// How groups are kept in the MetadataStore (DESIGN.md §5): a ConsumerGroup
// protobuf at keys::GroupMetadataKey and one JSON committed-offset record
// per partition at keys::CommittedOffsetKey. Pure functions, thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "group/group.h"
#include "metastore/keys.h"
#include "metastore/metadata_store.h"

namespace kafscale::group {

// The group's current state as a ConsumerGroup record: state, protocol,
// leader, generation and each member's client, last heartbeat, and (for
// consumer groups) subscribed topics and assigned partitions.
std::string EncodeGroupRecord(const Group& group);

// What survives a restart: members are not restored (they rejoin), so a
// group comes back Empty with its protocol type, generation and offsets.
struct StoredGroup {
  std::string protocol_type;
  int32_t generation = 0;
  std::map<TopicPartition, CommittedOffsetRecord> offsets;
};

// Rebuilds every group from the keys under keys::GroupsPrefix(), by group
// id. Other keys under the prefix are ignored. Corruption names the key of
// an undecodable value.
Result<std::map<std::string, StoredGroup>> DecodeStoredGroups(const std::vector<KeyValue>& kvs);

// Etcd caps a transaction at 128 operations: runs `ops` in consecutive
// transactions of at most that many, stopping at the first error. Atomic
// only when there are at most 128. Blocking; thread-safe.
Status ApplyInBatches(MetadataStore& store, const std::vector<TxnOp>& ops);

}  // namespace kafscale::group
