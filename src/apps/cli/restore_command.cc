// kafscale restore: copies a topic's records up to a timestamp into a new
// topic, partition by partition, over the Kafka protocol (so it works with
// any store behind the brokers). Each partition is copied in offset order
// and stops at its first record stamped after the cut-off.
#include <algorithm>

#include "apps/cli/commands.h"
#include "apps/cli/timestamps.h"
#include "client/fetched_batches.h"
#include "storage/record_batch.h"

namespace kafscale::cli {

namespace {

constexpr int32_t kFetchMaxBytes = 4 << 20;
constexpr int32_t kFetchMaxBytesCeiling = 64 << 20;
// Batches are produced in requests of about this size.
constexpr size_t kProduceRequestBytes = 1 << 20;
constexpr int8_t kTopicConfigSource = 1;  // DescribeConfigs: set on the topic itself

struct PartitionRestore {
  int32_t partition = 0;
  int64_t copied = 0;
  int64_t last_source_offset = -1;
  int64_t max_timestamp = -1;  // of the records copied
  bool reached_cutoff = false;
};

// Whether a batch can be produced again byte for byte: a plain producer
// batch, wholly after what was copied, whose every record is in range.
bool ForwardWhole(const RecordBatchHeader& header, int64_t next_offset, int64_t until_ms) {
  return header.producer_id < 0 && !header.is_transactional() &&
         header.timestamp_type() == TimestampType::kCreateTime && header.base_offset >= next_offset &&
         header.max_timestamp <= until_ms;
}

class PartitionCopier {
 public:
  PartitionCopier(ClusterClient& client, const RestoreArgs& args, int32_t partition)
      : client_(client), args_(args) {
    state_.partition = partition;
  }

  // Copies the partition from `start` until the cut-off or `end`.
  Status Run(int64_t start, int64_t end, Progress& progress) {
    int64_t next_offset = start;
    int32_t max_bytes = kFetchMaxBytes;
    while (next_offset < end && !state_.reached_cutoff) {
      Result<client::FetchedPartition> fetched =
          client_.Fetch(args_.source, state_.partition, next_offset, max_bytes, std::chrono::milliseconds(100));
      if (!fetched.ok()) return fetched.status();
      const std::vector<client::FetchedBatch> batches = client::SplitFetchedBatches(fetched->records);
      if (batches.empty()) {
        if (fetched->records.empty()) {
          if (fetched->high_watermark <= next_offset) break;  // the log ends sooner than it did
          continue;
        }
        if (max_bytes >= kFetchMaxBytesCeiling) {
          return Status::Corruption("a batch of " + args_.source + "/" + std::to_string(state_.partition) +
                                    " exceeds " + std::to_string(kFetchMaxBytesCeiling) + " bytes");
        }
        max_bytes *= 2;
        continue;
      }
      for (const client::FetchedBatch& batch : batches) {
        if (batch.header.last_offset() < next_offset || batch.header.base_offset >= end) continue;
        if (batch.header.is_control()) {
          next_offset = batch.header.last_offset() + 1;
          continue;
        }
        if (ForwardWhole(batch.header, next_offset, args_.until_ms) && batch.header.last_offset() < end) {
          if (Status status = Append(batch.bytes); !status.ok()) return status;
          state_.copied += batch.header.record_count;
          state_.last_source_offset = batch.header.last_offset();
          state_.max_timestamp = std::max(state_.max_timestamp, batch.header.max_timestamp);
        } else if (Status status = CopyRecords(batch, next_offset, end); !status.ok()) {
          return status;
        }
        next_offset = batch.header.last_offset() + 1;
        if (state_.reached_cutoff) break;
      }
      progress.Update("restore " + args_.source + " -> " + args_.destination + ": partition " +
                      std::to_string(state_.partition) + " at offset " + std::to_string(next_offset) + " of " +
                      std::to_string(end) + ", " + std::to_string(state_.copied) + " records copied");
    }
    return FlushPending();
  }

  const PartitionRestore& state() const { return state_; }

 private:
  // Re-encodes the records of `batch` at or after `next_offset` and before
  // `end`, up to the first one past the cut-off.
  Status CopyRecords(const client::FetchedBatch& batch, int64_t next_offset, int64_t end) {
    if (Status decoded = DecodeRecords(batch.bytes, &decoded_); !decoded.ok()) return decoded;
    std::vector<Record> kept;
    int64_t base_timestamp = 0;
    for (Record& record : decoded_) {
      const int64_t offset = batch.header.base_offset + record.offset_delta;
      if (offset < next_offset) continue;
      if (offset >= end) break;
      const int64_t timestamp = client::RecordTimestamp(batch.header, record);
      if (timestamp > args_.until_ms) {
        state_.reached_cutoff = true;
        break;
      }
      if (kept.empty()) base_timestamp = timestamp;
      record.offset_delta = static_cast<int32_t>(kept.size());
      record.timestamp_delta = timestamp - base_timestamp;
      state_.last_source_offset = offset;
      state_.max_timestamp = std::max(state_.max_timestamp, timestamp);
      kept.push_back(std::move(record));
    }
    if (kept.empty()) return Status::OK();
    BatchBuilderOptions options;
    options.base_timestamp = base_timestamp;
    options.compression = batch.header.compression();
    std::string encoded;
    try {
      encoded = EncodeBatch(options, kept);
    } catch (const std::exception& e) {
      return Status::Corruption(std::string("re-encoding a batch: ") + e.what());
    }
    state_.copied += static_cast<int64_t>(kept.size());
    return Append(encoded);
  }

  Status Append(std::string_view batch) {
    pending_.append(batch);
    return pending_.size() >= kProduceRequestBytes ? FlushPending() : Status::OK();
  }

  Status FlushPending() {
    if (pending_.empty()) return Status::OK();
    Result<int64_t> produced = client_.Produce(args_.destination, state_.partition, pending_, -1);
    if (!produced.ok()) return produced.status();
    pending_.clear();
    return Status::OK();
  }

  ClusterClient& client_;
  const RestoreArgs& args_;
  PartitionRestore state_;
  std::string pending_;          // whole batches not yet produced
  std::vector<Record> decoded_;  // reused from batch to batch
};

// The source topic's own config overrides, so the copy behaves the same.
Result<std::map<std::string, std::string>> TopicOverrides(ClusterClient& client, const std::string& topic) {
  Result<std::vector<TopicConfig>> configs = DescribeTopicConfigs(client, topic);
  if (!configs.ok()) return configs.status();
  std::map<std::string, std::string> overrides;
  for (const TopicConfig& config : *configs) {
    if (config.config_source == kTopicConfigSource && config.value && !config.is_sensitive) {
      overrides[config.name] = *config.value;
    }
  }
  return overrides;
}

}  // namespace

Result<CommandResult> RunRestore(ClusterClient& client, const RestoreArgs& args, std::chrono::milliseconds timeout,
                                 Progress& progress) {
  Result<kafka::MetadataResponse::MetadataResponseTopic> source = DescribeTopicMetadata(client, args.source);
  if (!source.ok()) return source.status();
  Result<kafka::MetadataResponse::MetadataResponseTopic> existing = DescribeTopicMetadata(client, args.destination);
  if (existing.ok()) {
    return Status::AlreadyExists("topic " + args.destination +
                                 " already exists; restore writes only into a new topic");
  }
  if (!existing.status().IsNotFound()) return existing.status();

  const std::vector<int32_t> partitions = PartitionIds(*source);
  TopicsCreateArgs create;
  create.topic = args.destination;
  create.partitions = static_cast<int32_t>(partitions.size());
  Result<std::map<std::string, std::string>> overrides = TopicOverrides(client, args.source);
  if (!overrides.ok()) return overrides.status();
  create.configs = std::move(*overrides);
  if (Status status = CreateTopic(client, create, timeout); !status.ok()) {
    if (status.IsAlreadyExists()) {
      return Status::AlreadyExists("topic " + args.destination +
                                   " already exists; restore writes only into a new topic");
    }
    return status;
  }

  Result<std::map<int32_t, client::ListedOffset>> earliest =
      client.ListOffsets(args.source, partitions, client::kEarliestOffsetTimestamp);
  if (!earliest.ok()) return earliest.status();
  Result<std::map<int32_t, client::ListedOffset>> latest =
      client.ListOffsets(args.source, partitions, client::kLatestOffsetTimestamp);
  if (!latest.ok()) return latest.status();

  CommandResult result;
  Table table{"", {"partition", "records copied", "last source offset", "newest timestamp", "stopped at"}, {}};
  nlohmann::json partitions_json = nlohmann::json::array();
  int64_t total = 0;
  for (int32_t partition : partitions) {
    PartitionCopier copier(client, args, partition);
    if (Status status = copier.Run(earliest->at(partition).offset, latest->at(partition).offset, progress);
        !status.ok()) {
      progress.Finish();
      return Status::IOError("restore stopped in partition " + std::to_string(partition) + " (topic " +
                             args.destination + " holds what was copied so far): " + status.ToString());
    }
    const PartitionRestore& state = copier.state();
    total += state.copied;
    const char* stopped = state.reached_cutoff ? "cut-off" : "end of log";
    partitions_json.push_back({{"partition", partition},
                               {"records", state.copied},
                               {"last_source_offset", state.last_source_offset},
                               {"max_timestamp", state.max_timestamp},
                               {"stopped_at", state.reached_cutoff ? "cutoff" : "end"}});
    table.rows.push_back({std::to_string(partition), std::to_string(state.copied),
                          state.last_source_offset < 0 ? "-" : std::to_string(state.last_source_offset),
                          FormatTimestamp(state.max_timestamp), stopped});
  }
  progress.Finish();
  result.json = {{"source", args.source},
                 {"destination", args.destination},
                 {"until", args.until_ms},
                 {"records", total},
                 {"partitions", std::move(partitions_json)}};
  result.lines.push_back("restored " + std::to_string(total) + " records of " + args.source + " up to " +
                         FormatTimestamp(args.until_ms) + " into new topic " + args.destination);
  result.tables.push_back(std::move(table));
  return result;
}

}  // namespace kafscale::cli
