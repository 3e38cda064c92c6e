#include "metastore/keys.h"

#include <ctime>
#include <limits>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace kafscale {
namespace {

// Canonical decimal of a non-negative T: digits only, no leading zeros.
template <typename T>
std::optional<T> ParseCanonicalDecimal(std::string_view text) {
  constexpr T max = std::numeric_limits<T>::max();
  if (text.empty() || (text.size() > 1 && text.front() == '0')) return std::nullopt;
  T value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    T digit = static_cast<T>(c - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = static_cast<T>(value * 10 + digit);
  }
  return value;
}

}  // namespace
}  // namespace kafscale

namespace kafscale::keys {

namespace {

constexpr std::string_view kTopics = "/kafscale/topics/";
constexpr std::string_view kConsumers = "/kafscale/consumers/";
constexpr std::string_view kPartitionLeases = "/kafscale/partition-leases/";
constexpr std::string_view kGroupLeases = "/kafscale/group-leases/";
constexpr std::string_view kBrokers = "/kafscale/brokers/";
constexpr std::string_view kConfigSuffix = "/config";
constexpr std::string_view kPartitions = "/partitions/";
constexpr std::string_view kNextOffsetSuffix = "/next_offset";
constexpr std::string_view kWalStartSuffix = "/wal_start";
constexpr std::string_view kWalObjects = "/kafscale/wal-objects/";
constexpr std::string_view kWalIndexMarkers = "~marker/";
constexpr std::string_view kMetadataSuffix = "/metadata";
constexpr std::string_view kOffsets = "/offsets/";

std::string Join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out.append(part);
  return out;
}

bool ConsumePrefix(std::string_view* text, std::string_view prefix) {
  if (text->substr(0, prefix.size()) != prefix) return false;
  text->remove_prefix(prefix.size());
  return true;
}

bool ConsumeSuffix(std::string_view* text, std::string_view suffix) {
  if (text->size() < suffix.size() || text->substr(text->size() - suffix.size()) != suffix) return false;
  text->remove_suffix(suffix.size());
  return true;
}

// A name that sits between slashes: non-empty, without '/'.
bool IsSegment(std::string_view name) { return !name.empty() && name.find('/') == std::string_view::npos; }

// "{topic}/{partition}" as used by partition keys.
std::optional<TopicPartition> ParseTopicSlashPartition(std::string_view rest) {
  size_t slash = rest.rfind('/');
  if (slash == std::string_view::npos || !IsSegment(rest.substr(0, slash))) return std::nullopt;
  auto partition = ParseCanonicalDecimal<int32_t>(rest.substr(slash + 1));
  if (!partition) return std::nullopt;
  return TopicPartition{std::string(rest.substr(0, slash)), *partition};
}

// "{topic}/partitions/{partition}" below kTopics.
std::optional<TopicPartition> ParseTopicPartitionsPart(std::string_view rest) {
  size_t marker = rest.find(kPartitions);
  if (marker == std::string_view::npos || !IsSegment(rest.substr(0, marker))) return std::nullopt;
  std::string_view partition_text = rest.substr(marker + kPartitions.size());
  auto partition = ParseCanonicalDecimal<int32_t>(partition_text);
  if (!partition) return std::nullopt;
  return TopicPartition{std::string(rest.substr(0, marker)), *partition};
}

}  // namespace

std::string TopicConfigKey(std::string_view topic) { return Join({kTopics, topic, kConfigSuffix}); }

std::string PartitionStateKey(std::string_view topic, int32_t partition) {
  return Join({kTopics, topic, kPartitions, std::to_string(partition)});
}

std::string NextOffsetKey(std::string_view topic, int32_t partition) {
  return Join({PartitionStateKey(topic, partition), kNextOffsetSuffix});
}

std::string WalStartKey(std::string_view topic, int32_t partition) {
  return Join({PartitionStateKey(topic, partition), kWalStartSuffix});
}

std::string WalObjectRecordKey(std::string_view object_name, std::string_view part) {
  return Join({kWalObjects, object_name, "/", part});
}

std::string WalObjectRecordPart(size_t index, size_t count) { return fmt::format("{}of{}", index, count); }

std::string WalObjectRecordSplitPart(std::string_view part, size_t split, size_t splits) {
  return fmt::format("{}.{}of{}", part, split, splits);
}

std::optional<WalObjectRecordPartName> ParseWalObjectRecordPart(std::string_view part) {
  // "{index}of{count}": index < count.
  auto index_of = [](std::string_view text) -> std::optional<std::pair<size_t, size_t>> {
    const size_t of = text.find("of");
    if (of == std::string_view::npos) return std::nullopt;
    const std::optional<size_t> index = ParseCanonicalDecimal<size_t>(text.substr(0, of));
    const std::optional<size_t> count = ParseCanonicalDecimal<size_t>(text.substr(of + 2));
    if (!index || !count || *index >= *count) return std::nullopt;
    return std::pair{*index, *count};
  };
  const size_t dot = part.find('.');
  const auto whole = index_of(part.substr(0, dot));
  if (!whole) return std::nullopt;
  WalObjectRecordPartName name{.index = whole->first, .count = whole->second};
  if (dot == std::string_view::npos) return name;
  // Builds before split parts counted theirs wrote "{index}of{count}.{n}".
  const auto split = index_of(part.substr(dot + 1));
  name.splits = split ? split->second : kUnknownSplits;
  return name;
}

std::string WalIndexMarkerKey(int32_t broker_id) {
  return Join({kWalObjects, kWalIndexMarkers, std::to_string(broker_id)});
}

std::string GroupMetadataKey(std::string_view group) { return Join({kConsumers, group, kMetadataSuffix}); }

std::string CommittedOffsetKey(std::string_view group, std::string_view topic, int32_t partition) {
  return Join({kConsumers, group, kOffsets, topic, "/", std::to_string(partition)});
}

std::string PartitionLeaseKey(std::string_view topic, int32_t partition) {
  return Join({kPartitionLeases, topic, "/", std::to_string(partition)});
}

std::string GroupLeaseKey(std::string_view group) { return Join({kGroupLeases, group}); }

std::string BrokerKey(int32_t broker_id) { return Join({kBrokers, std::to_string(broker_id)}); }

std::string TopicsPrefix() { return std::string(kTopics); }
std::string TopicPrefix(std::string_view topic) { return Join({kTopics, topic, "/"}); }
std::string PartitionsPrefix(std::string_view topic) { return Join({kTopics, topic, kPartitions}); }
std::string PartitionDataPrefix(std::string_view topic, int32_t partition) {
  return Join({PartitionStateKey(topic, partition), "/"});
}
std::string WalObjectsPrefix() { return std::string(kWalObjects); }
bool IsWalIndexMarkerKey(std::string_view key) {
  return ConsumePrefix(&key, kWalObjects) && key.starts_with(kWalIndexMarkers);
}
std::string GroupsPrefix() { return std::string(kConsumers); }
std::string GroupPrefix(std::string_view group) { return Join({kConsumers, group, "/"}); }
std::string GroupOffsetsPrefix(std::string_view group) { return Join({kConsumers, group, kOffsets}); }
std::string PartitionLeasesPrefix() { return std::string(kPartitionLeases); }
std::string GroupLeasesPrefix() { return std::string(kGroupLeases); }
std::string BrokersPrefix() { return std::string(kBrokers); }

std::optional<std::string> ParseTopicConfigKey(std::string_view key) {
  if (!ConsumePrefix(&key, kTopics) || !ConsumeSuffix(&key, kConfigSuffix) || !IsSegment(key)) {
    return std::nullopt;
  }
  return std::string(key);
}

std::optional<TopicPartition> ParsePartitionStateKey(std::string_view key) {
  if (!ConsumePrefix(&key, kTopics)) return std::nullopt;
  return ParseTopicPartitionsPart(key);
}

std::optional<TopicPartition> ParseNextOffsetKey(std::string_view key) {
  if (!ConsumePrefix(&key, kTopics) || !ConsumeSuffix(&key, kNextOffsetSuffix)) return std::nullopt;
  return ParseTopicPartitionsPart(key);
}

std::optional<TopicPartition> ParseWalStartKey(std::string_view key) {
  if (!ConsumePrefix(&key, kTopics) || !ConsumeSuffix(&key, kWalStartSuffix)) return std::nullopt;
  return ParseTopicPartitionsPart(key);
}

std::optional<std::string> ParseGroupMetadataKey(std::string_view key) {
  if (!ConsumePrefix(&key, kConsumers) || !ConsumeSuffix(&key, kMetadataSuffix) || key.empty()) {
    return std::nullopt;
  }
  return std::string(key);
}

std::optional<GroupTopicPartition> ParseCommittedOffsetKey(std::string_view key) {
  // Read from the right: partition and topic have no '/', the group may.
  if (!ConsumePrefix(&key, kConsumers)) return std::nullopt;
  size_t offsets_marker = key.rfind(kOffsets);
  if (offsets_marker == std::string_view::npos || offsets_marker == 0) return std::nullopt;
  auto topic_partition = ParseTopicSlashPartition(key.substr(offsets_marker + kOffsets.size()));
  if (!topic_partition) return std::nullopt;
  return GroupTopicPartition{std::string(key.substr(0, offsets_marker)), std::move(topic_partition->topic),
                             topic_partition->partition};
}

std::optional<TopicPartition> ParsePartitionLeaseKey(std::string_view key) {
  if (!ConsumePrefix(&key, kPartitionLeases)) return std::nullopt;
  return ParseTopicSlashPartition(key);
}

std::optional<std::string> ParseGroupLeaseKey(std::string_view key) {
  if (!ConsumePrefix(&key, kGroupLeases) || key.empty()) return std::nullopt;
  return std::string(key);
}

std::optional<int32_t> ParseBrokerKey(std::string_view key) {
  if (!ConsumePrefix(&key, kBrokers)) return std::nullopt;
  return ParseCanonicalDecimal<int32_t>(key);
}

}  // namespace kafscale::keys

namespace kafscale {

namespace {

// Quotes stored bytes for an error message, shortened so a huge value
// cannot flood the log.
std::string Quote(std::string_view text) {
  constexpr size_t kMaxShown = 64;
  std::string out = "\"";
  out.append(text.substr(0, kMaxShown));
  if (text.size() > kMaxShown) out.append("...");
  out.append("\"");
  return out;
}

}  // namespace

std::string FormatNextOffset(int64_t next_offset) { return std::to_string(next_offset); }

Result<int64_t> ParseNextOffset(std::string_view text) {
  std::optional<int64_t> value = ParseCanonicalDecimal<int64_t>(text);
  if (!value) return Status::Corruption("next_offset is not a non-negative decimal: " + Quote(text));
  return *value;
}

namespace {

// Splits off the text up to the next space; nullopt when there is none.
std::optional<std::string_view> NextField(std::string_view* text) {
  size_t space = text->find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view field = text->substr(0, space);
  text->remove_prefix(space + 1);
  return field;
}

template <typename T>
bool ParseField(std::string_view* text, T* out) {
  std::optional<std::string_view> field = NextField(text);
  std::optional<T> value = field ? ParseCanonicalDecimal<T>(*field) : std::nullopt;
  if (value) *out = *value;
  return value.has_value();
}

}  // namespace

std::string EncodeWalObjectRecord(const WalObjectRecord& record) {
  std::string out = record.object_key;
  for (const WalObjectRecord::Range& range : record.ranges) {
    out += fmt::format("\n{} {} {} {} {} {} {}", range.topic, range.topic_id, range.partition, range.base_offset,
                       range.last_offset, range.position, range.length);
  }
  return out;
}

Result<WalObjectRecord> DecodeWalObjectRecord(std::string_view text) {
  WalObjectRecord record;
  size_t newline = text.find('\n');
  record.object_key = std::string(text.substr(0, newline));
  if (record.object_key.empty()) return Status::Corruption("WAL object record names no object: " + Quote(text));
  if (newline == std::string_view::npos) return Status::Corruption("WAL object record has no range: " + Quote(text));
  while (newline != std::string_view::npos) {
    text.remove_prefix(newline + 1);
    newline = text.find('\n');
    std::string line(text.substr(0, newline));
    line += ' ';  // every field, the last included, then ends with a space for NextField
    std::string_view fields = line;
    WalObjectRecord::Range range;
    std::optional<std::string_view> topic = NextField(&fields);
    std::optional<std::string_view> topic_id = NextField(&fields);
    if (!topic || topic->empty() || !topic_id || topic_id->empty() || !ParseField(&fields, &range.partition) ||
        !ParseField(&fields, &range.base_offset) || !ParseField(&fields, &range.last_offset) ||
        !ParseField(&fields, &range.position) || !ParseField(&fields, &range.length) || !fields.empty() ||
        range.last_offset < range.base_offset || range.length == 0) {
      return Status::Corruption("WAL object record has a malformed range: " + Quote(line));
    }
    range.topic = std::string(*topic);
    range.topic_id = std::string(*topic_id);
    record.ranges.push_back(std::move(range));
  }
  return record;
}

std::string EncodeCommittedOffset(const CommittedOffsetRecord& committed) {
  // ordered_json keeps the original's field order.
  nlohmann::ordered_json json;
  json["offset"] = committed.offset;
  json["metadata"] = committed.metadata;
  json["committed_at"] = committed.committed_at;
  json["leader_epoch"] = committed.leader_epoch;
  return json.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Result<CommittedOffsetRecord> DecodeCommittedOffset(std::string_view text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&](std::string_view why) {
    return Status::Corruption("committed offset " + std::string(why) + ": " + Quote(text));
  };
  if (!json.is_object()) return bad("is not a JSON object");
  CommittedOffsetRecord committed;
  auto offset = json.find("offset");
  if (offset == json.end() || !offset->is_number_integer()) return bad("has no integer offset");
  if (offset->is_number_unsigned() &&
      offset->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return bad("offset is out of range");
  }
  committed.offset = offset->get<int64_t>();
  for (auto [name, field] : {std::pair{"metadata", &committed.metadata},
                             std::pair{"committed_at", &committed.committed_at}}) {
    auto it = json.find(name);
    if (it == json.end() || it->is_null()) continue;
    if (!it->is_string()) return bad(std::string(name) + " is not a string");
    *field = it->get<std::string>();
  }
  auto epoch = json.find("leader_epoch");
  if (epoch != json.end() && !epoch->is_null()) {
    if (!epoch->is_number_integer()) return bad("leader_epoch is not an integer");
    const bool in_range =
        epoch->is_number_unsigned()
            ? epoch->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int32_t>::max())
            : epoch->get<int64_t>() >= std::numeric_limits<int32_t>::min() &&
                  epoch->get<int64_t>() <= std::numeric_limits<int32_t>::max();
    if (!in_range) return bad("leader_epoch is out of range");
    committed.leader_epoch = epoch->get<int32_t>();
  }
  return committed;
}

std::string FormatRfc3339Utc(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto since_epoch = time.time_since_epoch();
  auto seconds = duration_cast<std::chrono::seconds>(since_epoch);
  auto nanos = duration_cast<nanoseconds>(since_epoch - seconds).count();
  if (nanos < 0) {  // before 1970: borrow a second so the fraction is positive
    --seconds;
    nanos += 1'000'000'000;
  }
  const std::time_t whole = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&whole, &utc);
  char buffer[64];
  size_t length = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
  std::string out(buffer, length);
  if (nanos != 0) {
    std::string fraction = std::to_string(nanos);
    fraction.insert(0, 9 - fraction.size(), '0');
    fraction.erase(fraction.find_last_not_of('0') + 1);
    out += "." + fraction;
  }
  out += "Z";
  return out;
}

}  // namespace kafscale
