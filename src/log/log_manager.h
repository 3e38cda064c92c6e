// LogManager: every partition log this broker serves. Appends validated
// batches to in-memory buffers, flushes them to the object store as KafScale
// segments, commits each partition's next offset to the metadata store, and
// only then reports the records durable. Reads serve durable data from the
// segment cache or the object store.
//
// Runs on the broker's core executor (not thread-safe); object and metadata
// store calls run on the I/O pool.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "cluster/partition_ownership.h"
#include "cluster/topic_manager.h"
#include "common/async.h"
#include "common/noncopyable.h"
#include "log/segment_cache.h"
#include "metastore/metadata_store.h"
#include "objectstore/object_store.h"
#include "protocol/error_codes.h"
#include "protocol/wire.h"

namespace kafscale::log {

struct LogOptions {
  std::string object_namespace = "default";
  uint64_t segment_bytes = 4 * 1024 * 1024;  // flush early once a partition buffers this much
  std::chrono::milliseconds flush_interval{100};
  uint64_t cache_bytes = 256ull * 1024 * 1024;
  // Appended bytes not yet durable (buffered or being flushed), over all
  // partitions, beyond which producers wait (WaitForBufferSpace).
  uint64_t max_buffered_bytes = 256ull * 1024 * 1024;
  size_t max_segments_per_read = 4;
  // Segments after the last one a fetch read, loaded into the cache in the
  // background so a reader catching up does not wait for each GET.
  size_t readahead_segments = 2;
};

// Completion of one flush; every produce waiting on it is answered together.
struct FlushTicket {
  AsyncNotifier notifier;
  bool done = false;
  Status status;
};

struct AppendResult {
  kafka::ErrorCode error = kafka::ErrorCode::kNone;
  std::string message;
  int64_t base_offset = -1;
  int64_t log_start_offset = 0;
  std::shared_ptr<FlushTicket> ticket;  // wait on it for durability (acks != 0)
};

struct ReadResult {
  kafka::ErrorCode error = kafka::ErrorCode::kNone;
  std::string message;
  int64_t high_watermark = -1;
  int64_t log_start_offset = -1;
  kafka::Records records;
};

struct OffsetLookup {
  kafka::ErrorCode error = kafka::ErrorCode::kNone;
  int64_t offset = -1;
  int64_t timestamp = -1;
};

class LogManager : public cluster::TopicDataListener, public cluster::PartitionWriters, NonCopyable {
 public:
  LogManager(boost::asio::any_io_executor executor, boost::asio::thread_pool& pool, ObjectStore& objects,
             MetadataStore& metadata, LogOptions options);
  ~LogManager() override;

  // Rebuilds every partition of `topics` from the metadata store (committed
  // next offsets). Segments are listed from the object store when a
  // partition is first read or taken over; corrupt or missing objects are
  // reported in the log then and are never served.
  boost::asio::awaitable<Status> Recover(const std::vector<const cluster::TopicInfo*>& topics);

  // Starts the periodic flush timer.
  void Start();
  // Flushes everything buffered and stops the timer; later appends fail.
  boost::asio::awaitable<void> Shutdown();

  // PartitionWriters. Every partition is readable; only an owned one accepts
  // appends (others answer NOT_LEADER_OR_FOLLOWER).
  //
  // TakeOwnership re-reads the committed next offset and, if another broker
  // moved it since this broker last looked, the segment list; NotFound for an
  // unknown partition. LoseOwnership fails buffered appends with
  // NOT_LEADER_OR_FOLLOWER; a flush in flight cannot commit. Owner is empty
  // while ownership is being given up.
  boost::asio::awaitable<Status> TakeOwnership(const std::string& topic, int32_t partition,
                                               const cluster::OwnershipToken& token) override;
  boost::asio::awaitable<void> GiveUpOwnership(const std::string& topic, int32_t partition) override;
  void LoseOwnership(const std::string& topic, int32_t partition) override;
  std::optional<cluster::OwnershipToken> Owner(const std::string& topic, int32_t partition) const override;
  // A next offset committed by the partition's owner, seen in the metadata
  // store. Makes the new records readable here when another broker owns it.
  void OnCommittedOffset(const std::string& topic, int32_t partition, int64_t next_offset);

  // Validates `records` (magic 2, sizes, CRC32C, max_batch_bytes) and buffers
  // them with offsets assigned. Errors concern this partition only.
  AppendResult Append(const std::string& topic, int32_t partition, const kafka::Records& records,
                      int64_t max_batch_bytes);
  // Backpressure: waits until the bytes appended but not yet durable are
  // below max_buffered_bytes. False if `deadline` passed first.
  boost::asio::awaitable<bool> WaitForBufferSpace(std::chrono::steady_clock::time_point deadline);
  uint64_t buffered_bytes() const { return buffered_bytes_; }
  // Waits until `ticket` completes or `deadline` passes (Timeout status).
  boost::asio::awaitable<Status> WaitDurable(const std::shared_ptr<FlushTicket>& ticket,
                                             std::chrono::steady_clock::time_point deadline);

  // Returns whole batches starting with the one containing `offset`, up to
  // max_bytes (but at least one batch), from durable data only.
  boost::asio::awaitable<ReadResult> Read(const std::string& topic, int32_t partition, int64_t offset,
                                          int64_t max_bytes);

  // Offsets: earliest, latest (high watermark), first record with timestamp
  // >= `timestamp`, and the record with the largest timestamp.
  OffsetLookup Earliest(const std::string& topic, int32_t partition) const;
  OffsetLookup Latest(const std::string& topic, int32_t partition) const;
  boost::asio::awaitable<OffsetLookup> ForTimestamp(const std::string& topic, int32_t partition, int64_t timestamp);
  boost::asio::awaitable<OffsetLookup> MaxTimestamp(const std::string& topic, int32_t partition);

  // Registers `event` to be set when the partition's high watermark moves.
  // Returns false when the partition does not exist. Remove with RemoveWaiter.
  bool AddWaiter(const std::string& topic, int32_t partition, AsyncEvent* event);
  void RemoveWaiter(const std::string& topic, int32_t partition, AsyncEvent* event);

  // TopicDataListener
  void OnTopicCreated(const cluster::TopicInfo& info) override;
  void OnPartitionsAdded(const cluster::TopicInfo& info, int32_t old_count) override;
  void ForgetTopic(const cluster::TopicInfo& info) override;
  boost::asio::awaitable<Status> DropTopicData(const cluster::TopicInfo& info) override;

  const SegmentCache& cache() const { return cache_; }
  // What metrics report about one partition.
  struct PartitionStats {
    const std::string& topic;
    int32_t partition;
    int64_t log_start_offset;
    int64_t high_watermark;
    uint64_t buffered_bytes;  // appended, not yet flushed
  };
  // Calls `visit` for every partition in (topic, partition) order. `visit`
  // must not call back into the LogManager.
  void ForEachPartition(const std::function<void(const PartitionStats&)>& visit) const;

 private:
  struct Partition;
  using PartitionKey = std::pair<std::string, int32_t>;

  // Visits the records of durable batches that `wants_batch` accepts, in
  // offset order, until `visit` returns true.
  struct RecordScan {
    std::function<bool(const StoredBatch&)> wants_batch;
    std::function<bool(int64_t offset, int64_t timestamp)> visit;
  };
  boost::asio::awaitable<kafka::ErrorCode> ScanRecords(const std::string& topic, int32_t partition,
                                                       const RecordScan& scan);

  Partition* Find(const std::string& topic, int32_t partition) const;
  Partition& AddPartition(const std::string& topic, int32_t partition);
  boost::asio::awaitable<void> FlushLoop();
  void MaybeStartFlush(Partition& p);
  // Flushes until nothing of `p` is buffered (while it has an owner) or
  // being flushed.
  boost::asio::awaitable<void> Drain(const std::shared_ptr<Partition>& p);
  boost::asio::awaitable<void> Flush(std::shared_ptr<Partition> p);
  boost::asio::awaitable<std::shared_ptr<const LoadedSegment>> LoadSegment(Partition& p, int64_t base,
                                                                            Status* status);
  // Starts loading up to readahead_segments segments after `base` that are
  // neither cached nor already loading.
  void ReadAhead(const std::shared_ptr<Partition>& p, int64_t base);
  boost::asio::awaitable<void> Prefetch(std::shared_ptr<Partition> p, int64_t base);
  std::string PartitionPrefix(const std::string& topic, int32_t partition) const;
  std::shared_ptr<Partition> Shared(const std::string& topic, int32_t partition) const;
  // Re-lists the partition's committed segments (bases below its high
  // watermark that have an index) from the object store.
  boost::asio::awaitable<Status> ReloadSegments(const std::shared_ptr<Partition>& p);
  // Fails everything buffered but not yet flushing with `status` and rewinds
  // offset assignment to the high watermark.
  void DropPending(Partition& p, const Status& status);
  // `bytes` appended earlier are durable or dropped; wakes waiting producers.
  void ReleaseBuffer(uint64_t bytes);
  // Uploads one object of a flush without ever replacing another: an object
  // already there at a base this broker has not committed is removed first,
  // but only after checking in the metadata store that this broker still owns
  // the partition and that nothing at or after `base` is committed.
  struct UploadTarget {
    const std::string& topic;
    int32_t partition;
    int64_t base;
    const cluster::OwnershipToken& token;
  };
  Status PutCreateOnly(const UploadTarget& target, const std::string& key, std::string_view data);

  boost::asio::any_io_executor executor_;
  boost::asio::thread_pool& pool_;
  ObjectStore& objects_;
  MetadataStore& metadata_;
  LogOptions options_;
  SegmentCache cache_;
  boost::asio::steady_timer flush_timer_;
  bool stopping_ = false;
  std::map<PartitionKey, std::shared_ptr<Partition>> partitions_;
  std::set<std::string> prefetching_;  // segment keys being read ahead
  uint64_t buffered_bytes_ = 0;        // appended, not yet durable or dropped
  AsyncNotifier buffer_space_;
};

}  // namespace kafscale::log
