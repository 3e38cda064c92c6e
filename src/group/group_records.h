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

// Rebuilds every group from the keys under keys::GroupsPrefix() (or a
// group's keys::GroupPrefix()), by group id. Other keys under the prefix are ignored. Corruption names the key of
// an undecodable value.
Result<std::map<std::string, StoredGroup>> DecodeStoredGroups(const std::vector<KeyValue>& kvs);

// A group lease (keys::GroupLeaseKey): the coordinating broker's id in
// decimal, bound to that broker's lease.
struct GroupLeaseHolder {
  int32_t broker_id = -1;
  int64_t create_revision = 0;  // fences the holder's writes, see GroupLeaseFence
  LeaseId lease = 0;            // the holder's broker lease
};

// Takes the group's lease for `broker_id` under `lease` if nobody holds it
// (one transaction: the key is absent -> put), and reports the holder either
// way. Corruption if the stored value is not a broker id; store errors as
// the store reports them (NotFound: `lease` is not live). Blocking;
// thread-safe.
Status ClaimGroupLease(MetadataStore& store, const std::string& group_id, int32_t broker_id, LeaseId lease,
                       GroupLeaseHolder* holder);

// The condition every write of a coordinated group is made under: the
// group's lease key still exists with the create revision it had when this
// coordinator took it, so a paused ex-coordinator's writes cannot land
// after another broker took the group over.
Compare GroupLeaseFence(const std::string& group_id, int64_t lease_revision);

// Etcd caps a transaction at 128 operations: runs `ops` in consecutive
// transactions of at most that many, each only while `fence` holds,
// stopping at the first failure. Atomic only when there are at most 128.
// Conflict when the fence does not hold (earlier batches stay applied);
// store errors as the store reports them. Blocking; thread-safe.
Status ApplyFenced(MetadataStore& store, const Compare& fence, const std::vector<TxnOp>& ops);

}  // namespace kafscale::group
