// The metadata layout under /kafscale/ (DESIGN.md §5), shared with the
// original KafScale, and codecs for the values that are not protobuf.
//
// Names are inserted verbatim. Topic names are Kafka names ([a-zA-Z0-9._-],
// never '/'). Group IDs may contain '/': the parsers below read group keys
// from the right so they stay unambiguous, but a GroupPrefix(g) range also
// covers groups named "g/..." - filter with the parsers when that matters.
// All functions are pure and thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kafscale::keys {

// /kafscale/topics/{topic}/config: TopicConfig protobuf.
std::string TopicConfigKey(std::string_view topic);
// /kafscale/topics/{topic}/partitions/{partition}: PartitionState protobuf.
std::string PartitionStateKey(std::string_view topic, int32_t partition);
// /kafscale/topics/{topic}/partitions/{partition}/next_offset: decimal text;
// where the partition's segments end (moved by compaction), which is the
// next offset for the original KafScale's readers. The next offset proper is
// after the newest committed WAL range when there is one.
std::string NextOffsetKey(std::string_view topic, int32_t partition);
// Partition data written through write-ahead (WAL) objects, which hold many
// partitions' batches of one flush (see log/log_manager.h):
// /kafscale/topics/{topic}/partitions/{partition}/wal_start: decimal text;
// offsets below it are in per-partition segments, offsets from it on in WAL
// objects. Absent: equal to next_offset (all data in segments, as the
// original KafScale writes it).
std::string WalStartKey(std::string_view topic, int32_t partition);
// /kafscale/wal-objects/{object name}/{part}: the ranges one commit
// transaction made durable in a WAL object (WalObjectRecord). This is the
// only key a flush writes (beside a partition's first wal_start): brokers
// index every record through a watch to find a partition's WAL ranges, and an
// object is deleted once every range of its records is below its partition's
// WAL start or belongs to a topic that is gone.
std::string WalObjectRecordKey(std::string_view object_name, std::string_view part);
// The part of the record key of transaction `index` of the `count` a flush
// commits: "{index}of{count}". A transaction the store refused (a partition
// was fenced) is redone per partition, under split parts
// "{index}of{count}.{split}of{splits}". An object is complete, and may be
// collected, once every part, or every split of it, is there: until then one
// may still be on its way.
std::string WalObjectRecordPart(size_t index, size_t count);
std::string WalObjectRecordSplitPart(std::string_view part, size_t split, size_t splits);
// A split part whose split count is not known: "{index}of{count}.{anything}"
// (builds before split parts counted theirs wrote "{index}of{count}.{n}").
// Such an index never counts as complete.
inline constexpr size_t kUnknownSplits = std::numeric_limits<size_t>::max();
struct WalObjectRecordPartName {
  size_t index = 0;
  size_t count = 0;
  size_t splits = 0;  // 0: not split
  bool operator==(const WalObjectRecordPartName&) const = default;
};
// A part the two functions above wrote; nullopt for any other part (builds
// before them wrote "{index}": taken as complete).
std::optional<WalObjectRecordPartName> ParseWalObjectRecordPart(std::string_view part);
// /kafscale/wal-objects/~marker/{broker}: written to learn when the watch of
// WAL object records has delivered everything committed before; not a record
// ('~' starts no object name).
std::string WalIndexMarkerKey(int32_t broker_id);
// /kafscale/consumers/{group}/metadata: ConsumerGroup protobuf.
std::string GroupMetadataKey(std::string_view group);
// /kafscale/consumers/{group}/offsets/{topic}/{partition}: committed offset JSON.
std::string CommittedOffsetKey(std::string_view group, std::string_view topic, int32_t partition);
// /kafscale/partition-leases/{topic}/{partition}: owning broker id, under its lease.
std::string PartitionLeaseKey(std::string_view topic, int32_t partition);
// /kafscale/group-leases/{group}: coordinating broker id, under its lease.
std::string GroupLeaseKey(std::string_view group);
// /kafscale/brokers/{id}: BrokerRegistration protobuf, under the broker's lease.
std::string BrokerKey(int32_t broker_id);

// Prefixes for Range / DeletePrefix / WatchPrefix. Each ends with '/', so
// topic "a" never matches topic "ab".
std::string TopicsPrefix();                            // every topic's keys
std::string TopicPrefix(std::string_view topic);       // config, partitions, next offsets
std::string PartitionsPrefix(std::string_view topic);  // partition states and next offsets
// One partition's next offset and WAL start (not its state key).
std::string PartitionDataPrefix(std::string_view topic, int32_t partition);
std::string WalObjectsPrefix();  // records and markers
bool IsWalIndexMarkerKey(std::string_view key);
std::string GroupsPrefix();                            // every group's metadata and offsets
std::string GroupPrefix(std::string_view group);       // one group's metadata and offsets
std::string GroupOffsetsPrefix(std::string_view group);
std::string PartitionLeasesPrefix();
std::string GroupLeasesPrefix();
std::string BrokersPrefix();

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  bool operator==(const TopicPartition&) const = default;
};

struct GroupTopicPartition {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  bool operator==(const GroupTopicPartition&) const = default;
};

// Inverses of the builders: nullopt unless `key` is exactly such a key
// (partition numbers in canonical decimal, names non-empty).
std::optional<std::string> ParseTopicConfigKey(std::string_view key);
std::optional<TopicPartition> ParsePartitionStateKey(std::string_view key);
std::optional<TopicPartition> ParseNextOffsetKey(std::string_view key);
std::optional<TopicPartition> ParseWalStartKey(std::string_view key);
std::optional<std::string> ParseGroupMetadataKey(std::string_view key);
std::optional<GroupTopicPartition> ParseCommittedOffsetKey(std::string_view key);
std::optional<TopicPartition> ParsePartitionLeaseKey(std::string_view key);
std::optional<std::string> ParseGroupLeaseKey(std::string_view key);
std::optional<int32_t> ParseBrokerKey(std::string_view key);

}  // namespace kafscale::keys

namespace kafscale {

// next_offset values: canonical decimal of a non-negative int64, as the
// original writes them. Parsing rejects anything else (sign, spaces,
// leading zeros, overflow) with Corruption, since only a foreign or damaged
// writer produces it.
std::string FormatNextOffset(int64_t next_offset);
Result<int64_t> ParseNextOffset(std::string_view text);

// The ranges one commit transaction made durable in a WAL object: the object
// key on the first line, then one line per range:
// "{topic} {topic id} {partition} {base} {last} {position} {length}" (the
// topic id in Kafka's base64 form tells a deleted topic's ranges from those
// of a new topic of the same name; position and length locate the range's
// bytes in the object).
struct WalObjectRecord {
  struct Range {
    std::string topic;
    std::string topic_id;
    int32_t partition = 0;
    int64_t base_offset = 0;
    int64_t last_offset = 0;
    uint64_t position = 0;
    uint64_t length = 0;
    bool operator==(const Range&) const = default;
  };
  std::string object_key;
  std::vector<Range> ranges;
  bool operator==(const WalObjectRecord&) const = default;
};
std::string EncodeWalObjectRecord(const WalObjectRecord& record);
// Corruption unless `text` is what EncodeWalObjectRecord writes, with at
// least one range, each non-empty (base <= last, length > 0).
Result<WalObjectRecord> DecodeWalObjectRecord(std::string_view text);

// A committed offset, stored as JSON {"offset","metadata","committed_at",
// "leader_epoch"}. The original writes the first three only.
struct CommittedOffsetRecord {
  int64_t offset = 0;
  std::string metadata;
  std::string committed_at;   // RFC 3339 UTC, see FormatRfc3339Utc
  int32_t leader_epoch = -1;  // -1: unknown (also when the field is absent)
  bool operator==(const CommittedOffsetRecord&) const = default;
};

// Metadata that is not valid UTF-8 is stored with U+FFFD replacements.
std::string EncodeCommittedOffset(const CommittedOffsetRecord& committed);
// Corruption unless `json` is an object with an integer "offset"; the other
// fields are optional but must have the right type; unknown fields are
// ignored.
Result<CommittedOffsetRecord> DecodeCommittedOffset(std::string_view json);

// "2024-01-15T10:30:00.123456789Z" with trailing fractional zeros removed
// (and no fraction when it is zero), like Go's time.RFC3339Nano in UTC.
std::string FormatRfc3339Utc(std::chrono::system_clock::time_point time);

}  // namespace kafscale
