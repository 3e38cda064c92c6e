#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "apps/cli/commands.h"
#include "apps/cli/partitioner.h"
#include "storage/record_batch.h"

namespace kafscale::cli {

namespace {

// A batch is sent when it reaches either bound, or when input pauses.
constexpr size_t kMaxBatchRecords = 10000;
constexpr size_t kMaxBatchBytes = 1 << 20;

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// True when a read of `fd` would not block (data or end of input waiting).
bool InputWaiting(int fd) {
  pollfd entry{fd, POLLIN, 0};
  return poll(&entry, 1, 0) > 0;
}

struct PendingBatch {
  std::vector<Record> records;
  int64_t base_timestamp = 0;
  size_t bytes = 0;
};

class LineProducer {
 public:
  LineProducer(ClusterClient& client, const ProduceArgs& args, int32_t partition_count, Progress& progress)
      : client_(client), args_(args), partition_count_(partition_count), progress_(progress) {}

  void Add(std::string_view line) {
    Record record;
    if (args_.key_separator) {
      const size_t split = line.find(*args_.key_separator);
      if (split != std::string_view::npos) {
        record.key = std::string(line.substr(0, split));
        line.remove_prefix(split + args_.key_separator->size());
      }
    }
    record.value = std::string(line);
    int32_t partition = 0;
    if (args_.partition) {
      partition = *args_.partition;
    } else if (record.key) {
      partition = PartitionForKey(*record.key, partition_count_);
    } else {
      partition = next_round_robin_++ % partition_count_;
    }
    PendingBatch& batch = pending_[partition];
    const int64_t now = NowMillis();
    if (batch.records.empty()) batch.base_timestamp = now;
    record.offset_delta = static_cast<int32_t>(batch.records.size());
    record.timestamp_delta = now - batch.base_timestamp;
    batch.bytes += line.size() + (record.key ? record.key->size() : 0);
    batch.records.push_back(std::move(record));
    ++pending_records_;
  }

  bool ShouldFlush() const {
    for (const auto& [partition, batch] : pending_) {
      if (batch.records.size() >= kMaxBatchRecords || batch.bytes >= kMaxBatchBytes) return true;
    }
    return false;
  }
  bool HasPending() const { return pending_records_ > 0; }

  Status Flush() {
    for (auto& [partition, batch] : pending_) {
      if (batch.records.empty()) continue;
      BatchBuilderOptions options;
      options.base_timestamp = batch.base_timestamp;
      Result<int64_t> offset = client_.Produce(args_.topic, partition, EncodeBatch(options, batch.records), args_.acks);
      if (!offset.ok()) return offset.status();
      produced_[partition] += static_cast<int64_t>(batch.records.size());
      total_ += static_cast<int64_t>(batch.records.size());
      batch = PendingBatch{};
    }
    pending_records_ = 0;
    progress_.Update("produced " + std::to_string(total_) + " records to " + args_.topic);
    return Status::OK();
  }

  int64_t total() const { return total_; }
  const std::map<int32_t, int64_t>& produced() const { return produced_; }

 private:
  ClusterClient& client_;
  const ProduceArgs& args_;
  const int32_t partition_count_;
  Progress& progress_;
  std::map<int32_t, PendingBatch> pending_;
  size_t pending_records_ = 0;
  int32_t next_round_robin_ = 0;
  std::map<int32_t, int64_t> produced_;
  int64_t total_ = 0;
};

}  // namespace

Result<CommandResult> RunProduce(ClusterClient& client, const ProduceArgs& args, int input_fd, Progress& progress) {
  Result<kafka::MetadataResponse::MetadataResponseTopic> metadata = DescribeTopicMetadata(client, args.topic);
  if (!metadata.ok()) return metadata.status();
  const auto partition_count = static_cast<int32_t>(metadata->partitions.size());
  if (partition_count == 0) return Status::Unavailable("topic " + args.topic + " has no partitions");
  if (args.partition && *args.partition >= partition_count) {
    return Status::InvalidArgument("topic " + args.topic + " has no partition " + std::to_string(*args.partition));
  }
  LineProducer producer(client, args, partition_count, progress);
  std::string buffer;
  char chunk[65536];
  while (true) {
    size_t start = 0;
    for (size_t newline; (newline = buffer.find('\n', start)) != std::string::npos; start = newline + 1) {
      producer.Add(std::string_view(buffer).substr(start, newline - start));
      if (producer.ShouldFlush()) {
        if (Status status = producer.Flush(); !status.ok()) return status;
      }
    }
    buffer.erase(0, start);
    // Interactive input: send what was typed before blocking for more.
    if (producer.HasPending() && !InputWaiting(input_fd)) {
      if (Status status = producer.Flush(); !status.ok()) return status;
    }
    const ssize_t got = read(input_fd, chunk, sizeof(chunk));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Status::IOError(std::string("reading standard input: ") + std::strerror(errno));
    if (got == 0) break;
    buffer.append(chunk, static_cast<size_t>(got));
  }
  // A last line without a newline is still a record.
  if (!buffer.empty()) producer.Add(buffer);
  if (producer.HasPending()) {
    if (Status status = producer.Flush(); !status.ok()) return status;
  }
  progress.Finish();

  CommandResult result;
  nlohmann::json partitions = nlohmann::json::object();
  for (const auto& [partition, count] : producer.produced()) partitions[std::to_string(partition)] = count;
  result.json = {{"topic", args.topic}, {"records", producer.total()}, {"partitions", std::move(partitions)}};
  result.lines.push_back("produced " + std::to_string(producer.total()) + " records to " + args.topic);
  return result;
}

}  // namespace kafscale::cli
