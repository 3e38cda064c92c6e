#include <ostream>

#include "apps/cli/commands.h"
#include "client/fetched_batches.h"
#include "storage/record_batch.h"

namespace kafscale::cli {

namespace {

constexpr int32_t kFetchMaxBytes = 1 << 20;
// A broker may return only part of a batch larger than the limit; grow to this.
constexpr int32_t kFetchMaxBytesCeiling = 64 << 20;
constexpr std::chrono::milliseconds kFollowWait{500};
constexpr std::chrono::milliseconds kCatchUpWait{100};

struct PartitionCursor {
  int32_t partition = 0;
  int64_t next_offset = 0;
  int64_t end_offset = 0;  // stop here unless following
  int32_t max_bytes = kFetchMaxBytes;
};

void PrintRecord(const ConsumeArgs& args, OutputFormat format, int32_t partition, int64_t offset, int64_t timestamp,
                 const Record& record, std::ostream& out) {
  if (format == OutputFormat::kJson) {
    nlohmann::json headers = nlohmann::json::array();
    for (const RecordHeader& header : record.headers) {
      headers.push_back({{"key", header.key}, {"value", OptionalText(header.value)}});
    }
    out << DumpJson({{"partition", partition},
                     {"offset", offset},
                     {"timestamp", timestamp},
                     {"key", OptionalText(record.key)},
                     {"value", OptionalText(record.value)},
                     {"headers", std::move(headers)}})
        << "\n";
    return;
  }
  if (args.key_separator) out << record.key.value_or("") << *args.key_separator;
  out << record.value.value_or("") << "\n";
}

}  // namespace

Status RunConsume(ClusterClient& client, const ConsumeArgs& args, OutputFormat format, std::ostream& out) {
  Result<kafka::MetadataResponse::MetadataResponseTopic> metadata = DescribeTopicMetadata(client, args.topic);
  if (!metadata.ok()) return metadata.status();
  const std::vector<int32_t> existing = PartitionIds(*metadata);
  const std::vector<int32_t> partitions = args.partitions.empty() ? existing : args.partitions;
  for (int32_t partition : partitions) {
    if (!std::binary_search(existing.begin(), existing.end(), partition)) {
      return Status::InvalidArgument("topic " + args.topic + " has no partition " + std::to_string(partition));
    }
  }
  Result<std::map<int32_t, client::ListedOffset>> earliest =
      client.ListOffsets(args.topic, partitions, client::kEarliestOffsetTimestamp);
  if (!earliest.ok()) return earliest.status();
  Result<std::map<int32_t, client::ListedOffset>> latest =
      client.ListOffsets(args.topic, partitions, client::kLatestOffsetTimestamp);
  if (!latest.ok()) return latest.status();

  std::vector<PartitionCursor> cursors;
  for (int32_t partition : partitions) {
    PartitionCursor cursor;
    cursor.partition = partition;
    cursor.end_offset = latest->at(partition).offset;
    switch (args.start) {
      case StartPosition::kBeginning: cursor.next_offset = earliest->at(partition).offset; break;
      case StartPosition::kEnd: cursor.next_offset = cursor.end_offset; break;
      case StartPosition::kOffset:
        cursor.next_offset = std::clamp(args.start_offset, earliest->at(partition).offset, cursor.end_offset);
        break;
    }
    cursors.push_back(cursor);
  }

  int64_t printed = 0;
  std::vector<Record> records;
  while (true) {
    bool any_open = false;
    for (PartitionCursor& cursor : cursors) {
      if (!args.follow && cursor.next_offset >= cursor.end_offset) continue;
      any_open = true;
      Result<client::FetchedPartition> fetched =
          client.Fetch(args.topic, cursor.partition, cursor.next_offset, cursor.max_bytes,
                       args.follow ? kFollowWait / static_cast<int>(cursors.size()) : kCatchUpWait);
      if (!fetched.ok()) return fetched.status();
      const std::vector<client::FetchedBatch> batches = client::SplitFetchedBatches(fetched->records);
      if (batches.empty() && !fetched->records.empty()) {
        if (cursor.max_bytes >= kFetchMaxBytesCeiling) {
          return Status::Corruption("a batch of " + args.topic + "/" + std::to_string(cursor.partition) +
                                    " at offset " + std::to_string(cursor.next_offset) + " exceeds " +
                                    std::to_string(kFetchMaxBytesCeiling) + " bytes");
        }
        cursor.max_bytes *= 2;
        continue;
      }
      if (batches.empty() && !args.follow && fetched->high_watermark <= cursor.next_offset) {
        // The log ends before the snapshot said (it was truncated): stop here.
        cursor.end_offset = cursor.next_offset;
      }
      for (const client::FetchedBatch& batch : batches) {
        if (!batch.header.is_control()) {
          if (Status decoded = DecodeRecords(batch.bytes, &records); !decoded.ok()) return decoded;
          for (const Record& record : records) {
            const int64_t offset = batch.header.base_offset + record.offset_delta;
            if (offset < cursor.next_offset || (!args.follow && offset >= cursor.end_offset)) continue;
            PrintRecord(args, format, cursor.partition, offset, client::RecordTimestamp(batch.header, record), record,
                        out);
            if (args.max_messages && ++printed >= *args.max_messages) {
              out.flush();
              return Status::OK();
            }
          }
        }
        cursor.next_offset = std::max(cursor.next_offset, batch.header.last_offset() + 1);
      }
      out.flush();
    }
    if (!any_open) return Status::OK();
  }
}

}  // namespace kafscale::cli
