#include "group/group_records.h"

#include <algorithm>

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

Status ApplyInBatches(MetadataStore& store, const std::vector<TxnOp>& ops) {
  for (size_t begin = 0; begin < ops.size(); begin += kMaxOpsPerTxn) {
    const size_t end = std::min(ops.size(), begin + kMaxOpsPerTxn);
    const std::vector<TxnOp> batch(ops.begin() + static_cast<std::ptrdiff_t>(begin),
                                   ops.begin() + static_cast<std::ptrdiff_t>(end));
    TxnResult result;
    Status status = store.Txn({}, batch, {}, &result);
    if (!status.ok()) return status;
  }
  return Status::OK();
}

}  // namespace kafscale::group
