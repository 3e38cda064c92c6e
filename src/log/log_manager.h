// LogManager: every partition log this broker serves. Appends validated
// batches to in-memory buffers; a flush writes every owned partition's
// buffered batches as ONE write-ahead (WAL) object, commits ONE record of its
// ranges to the metadata store (per 128 partitions: etcd's transaction
// limit), fenced by each partition's lease, and only then reports the records
// durable. Every broker indexes all records through a watch: a partition's
// next offset is after its newest committed range. A background compactor
// later rewrites each partition's WAL ranges into one KafScale segment
// (.kfs + .index) and moves the partition's WAL start past them in one fenced
// transaction; a janitor deletes WAL objects (and their records) once every
// range they hold is below its partition's WAL start or its topic is gone.
//
// Offsets below a partition's WAL start are read from segments, offsets from
// it on from WAL ranges: the boundary is one metadata value, so a crash at any
// point of compaction loses nothing and serves nothing twice (a segment
// uploaded but not committed lies beyond the boundary and is ignored, then
// replaced by the next compaction).
//
// Runs on the broker's core executor (not thread-safe); object and metadata
// store calls run on the I/O pool.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <atomic>
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
#include "cluster/topics_watch.h"
#include "common/async.h"
#include "common/noncopyable.h"
#include "log/segment_cache.h"
#include "metastore/metadata_store.h"
#include "metrics/registry.h"
#include "objectstore/object_store.h"
#include "protocol/error_codes.h"
#include "protocol/wire.h"

namespace kafscale::log {

struct LogOptions {
  std::string object_namespace = "default";
  int32_t broker_id = 0;  // names this broker's WAL objects
  // Flush early once this much is buffered over all partitions.
  uint64_t flush_bytes = 4 * 1024 * 1024;
  // Compaction rewrites a partition's WAL ranges into segments of about this
  // size, as soon as it has that much (or its oldest range is
  // compaction_interval old, or the WAL data of all partitions fills half
  // of the cache).
  uint64_t compacted_segment_bytes = 4 * 1024 * 1024;
  std::chrono::milliseconds flush_interval{100};
  // Longest time a partition's committed data stays only in WAL objects
  // before the compactor rewrites it into a segment (sooner once a
  // partition's WAL data reaches compacted_segment_bytes).
  std::chrono::milliseconds compaction_interval{30000};
  uint64_t cache_bytes = 256ull * 1024 * 1024;
  // Appended bytes not yet durable (buffered or being flushed), over all
  // partitions, beyond which producers wait (WaitForBufferSpace).
  uint64_t max_buffered_bytes = 256ull * 1024 * 1024;
  size_t max_segments_per_read = 4;
  // Memory and object alignment of large write-ahead ranges (WalBuilder's
  // range alignment; 0: none): for a store that writes with direct I/O
  // (the embedded store), which then copies none of their bytes.
  size_t wal_range_alignment = 0;
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

// Object-store and metadata work of the write path, for metrics and
// benchmarks (compaction requests are reported apart from WAL ones).
struct LogCounters {
  uint64_t wal_objects_written = 0;
  uint64_t wal_bytes_written = 0;
  uint64_t wal_commit_txns = 0;
  uint64_t segments_compacted = 0;  // each one .kfs + one .index PUT
  uint64_t compacted_bytes = 0;
  uint64_t wal_objects_deleted = 0;
};

// Where a flush's time goes, in milliseconds: one observation per flush and
// stage. Their sum is about what a produce waits for its acknowledgement.
struct FlushStageHistograms : NonCopyable {
  FlushStageHistograms();
  metrics::Histogram buffered;  // from the oldest append it carries to the flush taking it
  metrics::Histogram upload;    // encoding and uploading its object
  metrics::Histogram turn;      // waiting for earlier flushes to commit
  metrics::Histogram commit;    // its metadata transaction(s), up to answering the produces
};

class LogManager : public cluster::TopicDataListener,
                   public cluster::PartitionWriters,
                   public cluster::CommittedDataListener,
                   NonCopyable {
 public:
  LogManager(boost::asio::any_io_executor executor, boost::asio::thread_pool& pool, ObjectStore& objects,
             MetadataStore& metadata, LogOptions options);
  ~LogManager() override;

  // Rebuilds every partition of `topics` from the metadata store (committed
  // next offsets: after the newest committed WAL range, else where segments
  // end) and starts watching WAL object records. Segments are listed from the
  // object store when a partition is first read or taken over; corrupt or
  // missing objects are reported in the log then and are never served.
  boost::asio::awaitable<Status> Recover(const std::vector<const cluster::TopicInfo*>& topics);

  // Starts the periodic flush timer and the compactor.
  void Start();
  // Flushes everything buffered, waits for a compaction in progress and stops
  // the timers and the watch; later appends fail.
  boost::asio::awaitable<void> Shutdown();

  // PartitionWriters. Every partition is readable; only an owned one accepts
  // appends (others answer NOT_LEADER_OR_FOLLOWER).
  //
  // TakeOwnership waits until this broker's index holds every WAL range
  // committed before (so the lease's previous holders' last commits), then
  // re-reads the WAL start and the segment list; NotFound for an unknown
  // partition, Unavailable when the index does not catch up in time.
  // LoseOwnership fails buffered appends with
  // NOT_LEADER_OR_FOLLOWER; a flush in flight cannot commit. Owner is empty
  // while ownership is being given up.
  boost::asio::awaitable<Status> TakeOwnership(const std::string& topic, int32_t partition,
                                               const cluster::OwnershipToken& token) override;
  boost::asio::awaitable<void> GiveUpOwnership(const std::string& topic, int32_t partition) override;
  void LoseOwnership(const std::string& topic, int32_t partition) override;
  std::optional<cluster::OwnershipToken> Owner(const std::string& topic, int32_t partition) const override;
  // CommittedDataListener: a compaction of the partition's owner, seen in
  // the metadata store (ignored for partitions this broker owns).
  void OnWalStart(const std::string& topic, int32_t partition, int64_t wal_start) override;

  // Validates `records` (magic 2, sizes, CRC32C, max_batch_bytes) and buffers
  // them with offsets assigned. Errors concern this partition only.
  AppendResult Append(const std::string& topic, int32_t partition, const kafka::Records& records,
                      int64_t max_batch_bytes);
  // Backpressure: waits until the bytes appended but not yet durable are
  // below max_buffered_bytes. False if `deadline` passed first.
  boost::asio::awaitable<bool> WaitForBufferSpace(std::chrono::steady_clock::time_point deadline);
  uint64_t buffered_bytes() const { return buffered_bytes_; }
  // Counts `bytes` against max_buffered_bytes until the returned hold is
  // destroyed: a produce request's own copy of records it waits to see
  // durable (the buffered copy is counted by Append).
  class BufferHold : NonCopyable {
   public:
    BufferHold(LogManager& logs, uint64_t bytes) : logs_(logs), bytes_(bytes) { logs_.HoldBuffer(bytes_); }
    ~BufferHold() { logs_.ReleaseBuffer(bytes_); }

   private:
    LogManager& logs_;
    uint64_t bytes_;
  };
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
  const LogCounters& counters() const { return counters_; }
  const FlushStageHistograms& flush_stage_ms() const { return flush_stage_ms_; }
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
  struct FlushPart;
  struct WalFlush;
  struct WalCommit;
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
  // Makes p.segment_plan again from the WAL ranges from p.wal_start on and
  // the flushes in flight (after a compaction, which may have cut elsewhere,
  // and on taking ownership).
  void PlanSegments(Partition& p) const;
  // Adopts `next_offset` as committed if it is newer (a partition this broker
  // does not own, or one being loaded) and wakes waiting readers.
  void AdvanceCommitted(Partition& p, int64_t next_offset);
  Partition& AddPartition(const cluster::TopicInfo& topic, int32_t partition);
  // The WAL index: every committed range of every partition, learned from
  // WAL object records (at Recover, then through the watch).
  void ApplyWalRecordEvents(const std::vector<WatchEvent>& events);
  void AddCommittedRange(const std::string& object_key, const WalObjectRecord::Range& range);
  // Waits until the index holds every range committed before the call: a
  // marker key written now comes back through the watch after them.
  // Unavailable when that takes too long (the watch is down).
  boost::asio::awaitable<Status> CatchUpWalIndex();
  boost::asio::awaitable<void> WriteWalIndexMarker();
  // Ends the watch; handlers it already posted do nothing.
  void StopWatchingWalRecords();
  boost::asio::awaitable<void> FlushLoop();
  // Starts a WAL flush now, or as soon as an upload or commit is done when
  // kMaxFlushesInFlight are in flight.
  void RequestFlush();
  // Writes every owned partition's buffered batches as one WAL object and
  // commits them; answers their producers. Flushes are pipelined: a slow
  // upload does not hold back the next flushes' uploads; commits happen in
  // flush order, those of flushes uploaded by then in one transaction.
  boost::asio::awaitable<void> FlushWal();
  // Moves what each owned partition buffered into the parts of a flush, in
  // (topic, partition) order.
  std::vector<FlushPart> TakeFlushParts();
  // `first` and the flushes after it that are uploaded and fit in one
  // transaction with it (each in one: a flush of more partitions commits
  // alone).
  std::vector<WalFlush*> FlushesToCommitWith(WalFlush& first) const;
  // Why `part` of `flush` cannot commit (OK: it can) when its partition's
  // next part must start at `expected_base`, else failing for
  // `earlier_failure`.
  static Status CommitRefusal(const WalFlush& flush, const FlushPart& part, int64_t expected_base,
                              const Status& earlier_failure);
  // Commits `flush` in transactions of at most kMaxTxnOps operations, all at
  // once, then finishes every part.
  boost::asio::awaitable<void> CommitFlush(WalFlush& flush);
  // Groups `parts` into transactions of at most kMaxTxnOps operations.
  static std::vector<std::vector<FlushPart*>> CommitChunks(const std::vector<FlushPart*>& parts);
  // Commits `flushes` (in order; each fits in one transaction, all together
  // too) in one transaction and finishes every part. False, with nothing
  // finished or committed, when the transaction was refused (a partition
  // fenced): then each should commit on its own.
  boost::asio::awaitable<bool> CommitTogether(const std::vector<WalFlush*>& flushes);
  // Writes `records` (their parts' ranges, and a partition's WAL start on its
  // first commit) in one transaction guarded by every part's partition lease.
  // Blocking. `refused`: a compare failed and nothing was written.
  Status CommitWalRecords(const std::vector<WalCommit>& records, bool* refused);
  // Commits `parts` (already uploaded in `object_key`; few enough for one
  // transaction) in one transaction that also writes their WAL object record
  // under `record_key`; a refused transaction is retried per partition so
  // that one fenced partition fails alone. Sets each part's status and
  // returns the number of transactions. Blocking; runs on the I/O pool,
  // several chunks of one flush at once.
  size_t CommitWal(const std::string& object_key, const std::string& record_key,
                   const std::vector<FlushPart*>& parts);
  // Ends `part`'s flush for its partition: on success its range becomes an
  // extent (cached) and the high watermark moves past it; on the first
  // failure after the committed offset, what was buffered since is dropped.
  // Answers its producers.
  void FinishFlushPart(FlushPart& part, const std::string& object_key);
  // Flushes until nothing of `p` is buffered (while it has an owner) or
  // being flushed.
  boost::asio::awaitable<void> Drain(const std::shared_ptr<Partition>& p);

  boost::asio::awaitable<void> MaintenanceLoop();
  // Forgets `p`'s owner token; its WAL ranges are then another broker's to
  // compact and need not stay in the cache for that.
  void StopOwning(Partition& p);
  // Starts the maintenance loop's next pass now instead of at its period.
  void WakeCompactor();
  // Rewrites the oldest WAL ranges of `p` (about compacted_segment_bytes) into one
  // segment and commits the new WAL start.
  boost::asio::awaitable<void> Compact(std::shared_ptr<Partition> p);
  // Whether `p` owns WAL ranges it may compact now.
  bool CanCompact(const Partition& p, std::chrono::steady_clock::time_point now) const;
  // Whether `p`, which CanCompact, has a segment's worth of WAL data or data
  // that waited the compaction interval.
  bool CompactionDue(const Partition& p, std::chrono::steady_clock::time_point now) const;
  // The partitions the maintenance pass at `now` compacts: those due, and
  // the largest others while WAL data would fill more than half the cache.
  std::vector<std::shared_ptr<Partition>> PartitionsToCompact(std::chrono::steady_clock::time_point now) const;
  // Deletes WAL objects whose ranges are all compacted (or deleted with
  // their topic), then their records; clears collecting_garbage_ when done.
  boost::asio::awaitable<void> CollectWalGarbage();

  // Loads the extent at `base` (a segment, or a WAL range) into the cache.
  boost::asio::awaitable<std::shared_ptr<const LoadedSegment>> LoadSegment(Partition& p, int64_t base,
                                                                            Status* status);
  // Starts loading up to readahead_segments extents after `base` that are
  // neither cached nor already loading.
  void ReadAhead(const std::shared_ptr<Partition>& p, int64_t base);
  boost::asio::awaitable<void> Prefetch(std::shared_ptr<Partition> p, int64_t base, std::string cache_key);
  std::string PartitionPrefix(const std::string& topic, int32_t partition) const;
  std::shared_ptr<Partition> Shared(const std::string& topic, int32_t partition) const;
  // Re-reads the partition's committed state: next offset (adopted unless
  // this broker owns it) and WAL start from the metadata store once the WAL
  // index caught up, then segments below the WAL start from the object store.
  boost::asio::awaitable<Status> ReloadSegments(const std::shared_ptr<Partition>& p);
  // The partition's last append buffer if it has room for `more` bytes, else
  // a new one that has.
  std::string& AppendBufferWithRoom(Partition& p, size_t more) const;
  // Fails everything buffered but not yet flushing with `status` and rewinds
  // offset assignment to the high watermark.
  void DropPending(Partition& p, const Status& status);
  // Counts `bytes` more against max_buffered_bytes.
  void HoldBuffer(uint64_t bytes);
  // `bytes` appended earlier are durable or dropped; wakes waiting producers.
  void ReleaseBuffer(uint64_t bytes);
  // Lends the unused part of max_buffered_bytes to the buffer pool for idle
  // buffers (BufferPool::LendSpareBytes), in steps rather than per append.
  void LendSpareBufferBytes();
  // Uploads one object of a compaction without ever replacing another: an
  // object already there at a base this broker has not committed is removed
  // first, but only after checking in the metadata store that this broker
  // still owns the partition and that `base` is not below the WAL start.
  struct UploadTarget {
    const std::string& topic;
    int32_t partition;
    int64_t base;
    const cluster::OwnershipToken& token;
  };
  Status PutCreateOnly(const UploadTarget& target, const std::string& key, const ObjectBody& data);

  boost::asio::any_io_executor executor_;
  boost::asio::thread_pool& pool_;
  ObjectStore& objects_;
  MetadataStore& metadata_;
  LogOptions options_;
  SegmentCache cache_;
  boost::asio::steady_timer flush_timer_;
  boost::asio::steady_timer maintenance_timer_;
  bool stopping_ = false;
  bool maintenance_running_ = false;
  bool compaction_wanted_ = false;  // a partition became due: the next pass starts at once
  bool collecting_garbage_ = false;  // CollectWalGarbage runs
  std::atomic<bool> stop_collecting_ = false;  // read by garbage collection on the I/O pool
  int flushes_in_flight_ = 0;     // started and not yet committed
  bool flush_requested_ = false;  // flush again once an upload or commit is done
  uint64_t flushes_started_ = 0;  // numbers flushes in the order they took batches...
  uint64_t flushes_committed_ = 0;  // ...which is the order they commit in
  std::map<uint64_t, WalFlush*> uploaded_flushes_;  // by number: waiting for their turn to commit
  AsyncNotifier commit_turn_;       // a commit finished
  uint64_t wal_name_nonce_ = 0;  // random: WAL object names are unique per LogManager
  uint64_t wal_sequence_ = 0;
  std::unique_ptr<Watch> wal_records_watch_;
  // Shared with posted watch handlers so that ones still queued after the
  // watch stopped do nothing.
  std::shared_ptr<bool> wal_records_watch_stopped_ = std::make_shared<bool>(false);
  int64_t wal_index_revision_ = 0;  // every record change up to this store revision is indexed
  AsyncNotifier wal_index_advanced_;  // also when a marker write ends
  uint64_t markers_started_ = 0;      // marker writes, numbered from 1...
  uint64_t markers_finished_ = 0;     // ...end in the order they start (one at a time)
  int64_t marker_revision_ = 0;       // store revision of the last marker written
  Status marker_status_;              // of the last marker write
  std::chrono::steady_clock::time_point next_garbage_collection_;
  uint64_t compacted_bytes_at_collection_ = 0;  // counters_.compacted_bytes when the last collection began
  std::chrono::steady_clock::time_point next_orphan_scan_;
  std::map<PartitionKey, std::shared_ptr<Partition>> partitions_;
  // Partitions with batches appended since their last flush (a flush looks
  // at these only, not at every partition).
  std::vector<std::shared_ptr<Partition>> awaiting_flush_;
  std::set<std::string> prefetching_;  // cache keys being read ahead
  uint64_t buffered_bytes_ = 0;        // appended, not yet durable or dropped
  uint64_t lent_to_pool_ = 0;          // the last BufferPool::LendSpareBytes
  uint64_t unflushed_bytes_ = 0;       // appended, not yet in a flush
  AsyncNotifier buffer_space_;
  LogCounters counters_;
  FlushStageHistograms flush_stage_ms_;
};

}  // namespace kafscale::log
