#include "group/group_records.h"

#include <algorithm>
#include <charconv>

#include "group/consumer_protocol.h"
#include "metastore/proto/kafscale_metadata.pb.h"

namespace kafscale::group {

namespace {
constexpr size_t kMaxOpsPerTxn = 128;

void FillConsumerDetails(const Group& group, const Member& member, metadata::GroupMember& out) {
  if (group.protocol_type != kConsumerProtocolType || !group.protocol_name) return;
  if (const std::string* subscription = member.MetadataFor(*group.protocol_name)) {
    if (auto topics = DecodeSubscribedTopics(*subscription)) {
      for (const std::string& topic : *topics) out.add_subscriptions(topic);
    }
  }
  if (auto assigned = DecodeAssignedPartitions(member.assignment)) {
    for (const TopicPartitions& entry : *assigned) {
      metadata::Assignment* assignment = out.add_assignments();
      assignment->set_topic(entry.topic);
      for (int32_t partition : entry.partitions) assignment->add_partitions(partition);
    }
  }
}
}  // namespace

std::string EncodeGroupRecord(const Group& group) {
  metadata::ConsumerGroup record;
  record.set_group_id(group.id());
  record.set_state(std::string(GroupStateName(group.state)));
  record.set_protocol_type(group.protocol_type);
  record.set_protocol(group.protocol_name.value_or(""));
  record.set_leader(group.leader_id);
  record.set_generation_id(group.generation);
  for (const auto& [id, member] : group.members()) {
    metadata::GroupMember& out = (*record.mutable_members())[id];
    out.set_client_id(member.client_id);
    out.set_client_host(member.client_host);
    out.set_heartbeat_at(FormatRfc3339Utc(member.last_heartbeat));
    FillConsumerDetails(group, member, out);
  }
  return record.SerializeAsString();
}

Result<std::map<std::string, StoredGroup>> DecodeStoredGroups(const std::vector<KeyValue>& kvs) {
  std::map<std::string, StoredGroup> groups;
  for (const KeyValue& kv : kvs) {
    if (auto group_id = keys::ParseGroupMetadataKey(kv.key)) {
      metadata::ConsumerGroup record;
      if (!record.ParseFromString(kv.value)) return Status::Corruption("undecodable group record at " + kv.key);
      StoredGroup& group = groups[*group_id];
      group.protocol_type = record.protocol_type();
      group.generation = record.generation_id();
    } else if (auto location = keys::ParseCommittedOffsetKey(kv.key)) {
      Result<CommittedOffsetRecord> committed = DecodeCommittedOffset(kv.value);
      if (!committed.ok()) {
        return Status::Corruption("committed offset at " + kv.key + ": " + committed.status().message());
      }
      groups[location->group].offsets[{location->topic, location->partition}] = std::move(committed).value();
    }
  }
  return groups;
}

Status ClaimGroupLease(MetadataStore& store, const std::string& group_id, int32_t broker_id, LeaseId lease,
                       GroupLeaseHolder* holder) {
  const std::string key = keys::GroupLeaseKey(group_id);
  TxnResult result;
  Status status = store.Txn({Compare::Absent(key)}, {TxnOp::Put(key, std::to_string(broker_id), lease), TxnOp::Get(key)},
                            {TxnOp::Get(key)}, &result);
  if (!status.ok()) return status;
  const std::vector<KeyValue>& found = result.results.back();
  // Absent after the failure branch's compare said present: released in
  // between; the caller's retry claims it.
  if (found.empty()) return Status::Unavailable("group lease of " + group_id + " changed while being claimed");
  const KeyValue& kv = found.front();
  int32_t id = -1;
  const char* end = kv.value.data() + kv.value.size();
  auto [parsed_to, error] = std::from_chars(kv.value.data(), end, id);
  if (error != std::errc() || parsed_to != end || kv.value.empty()) {
    return Status::Corruption("group lease at " + key + " does not name a broker: '" + kv.value + "'");
  }
  *holder = {id, kv.create_revision, kv.lease};
  return Status::OK();
}

Compare GroupLeaseFence(const std::string& group_id, int64_t lease_revision) {
  Compare fence;
  fence.key = keys::GroupLeaseKey(group_id);
  fence.target = Compare::Target::kCreateRevision;
  fence.op = Compare::Op::kEqual;
  fence.number = lease_revision;
  return fence;
}

Status ApplyFenced(MetadataStore& store, const Compare& fence, const std::vector<TxnOp>& ops) {
  for (size_t begin = 0; begin < ops.size(); begin += kMaxOpsPerTxn) {
    const size_t end = std::min(ops.size(), begin + kMaxOpsPerTxn);
    const std::vector<TxnOp> batch(ops.begin() + static_cast<std::ptrdiff_t>(begin),
                                   ops.begin() + static_cast<std::ptrdiff_t>(end));
    TxnResult result;
    Status status = store.Txn({fence}, batch, {}, &result);
    if (!status.ok()) return status;
    if (!result.succeeded) return Status::Conflict("the group lease at " + fence.key + " is no longer held");
  }
  return Status::OK();
}

}  // namespace kafscale::group
