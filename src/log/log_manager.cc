#include "log/log_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <random>
#include <set>
#include <tuple>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cluster/topic_record.h"
#include "common/buffer_pool.h"
#include "common/logging.h"
#include "metastore/keys.h"
#include "storage/record_batch.h"
#include "storage/segment_format.h"
#include "storage/segment_key.h"
#include "storage/wal_format.h"

namespace kafscale::log {

namespace asio = boost::asio;
using kafka::ErrorCode;

namespace {
// Index entry every this many messages, as the original KafScale.
constexpr int32_t kIndexInterval = 100;
// Flushes started and not yet committed: a slow PUT (S3's tail is several
// flush intervals) must not delay the flushes after it, but when commits are
// the slower stage, flushes should grow rather than queue for them.
constexpr int kMaxFlushesInFlight = 3;
// etcd's default limit on the compares, and on the ops, of one transaction.
constexpr size_t kMaxTxnOps = 128;
// How often the compactor looks for partitions due, at most.
constexpr auto kMaintenancePeriod = std::chrono::milliseconds(250);
// Bounds one compaction's reads when many small flushes are not cached (a
// partition taken over from another broker): each range is one GET.
constexpr size_t kMaxRangesPerCompaction = 1000;
constexpr size_t kMaxConcurrentCompactions = 8;
// Write-ahead objects without a commit record older than this are orphans
// (a commit follows its upload within seconds); they are looked for this often.
constexpr int64_t kOrphanAgeMs = 10 * 60 * 1000;
constexpr auto kOrphanScanPeriod = std::chrono::minutes(5);
// Compacted bytes after which WAL garbage is collected before its period is up.
constexpr uint64_t kGarbageToCollect = 64ull * 1024 * 1024;
// Largest append buffer but for a batch that needs more: the size of a
// request frame at librdkafka's default message.max.bytes, pooled likewise.
constexpr size_t kMaxAppendBufferBytes = 1024 * 1024;
// A partition whose compaction failed is not tried again sooner.
constexpr auto kCompactionRetryDelay = std::chrono::seconds(1);
// Longest wait for the WAL index to catch up (the watch normally delivers a
// marker within milliseconds).
constexpr auto kWalIndexCatchUpTimeout = std::chrono::seconds(10);

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double MillisecondsBetween(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// When the WAL object at `key` was uploaded (its name begins with the unix
// ms); nullopt for a key that is not a WAL object's.
std::optional<int64_t> WalObjectCreatedMs(const std::string& key) {
  ParsedWalKey parsed;
  if (!ParseWalKey(key, &parsed)) return std::nullopt;
  int64_t created_ms = 0;
  auto [end, error] = std::from_chars(parsed.name.data(), parsed.name.data() + parsed.name.size(), created_ms);
  if (error != std::errc() || end == parsed.name.data() || *end != '-') return std::nullopt;
  return created_ms;
}

// Whether every commit transaction of one flush recorded its part.
class RecordPartTally {
 public:
  void Add(const keys::WalObjectRecordPartName& part) {
    count_ = std::max(count_, part.count);
    auto& [seen, needed] = parts_[part.index];
    ++seen;
    needed = std::max<size_t>(part.splits, 1);
  }
  bool Complete() const {
    size_t complete = 0;
    for (const auto& [index, seen_needed] : parts_) complete += seen_needed.first >= seen_needed.second ? 1 : 0;
    return complete >= count_;
  }

 private:
  size_t count_ = 0;
  std::map<size_t, std::pair<size_t, size_t>> parts_;  // by index: records seen, records it needs
};

// Holds while the partition lease is the one this broker's tenure took: a
// lease that expired (even if this broker took it again since) fails it.
Compare LeaseHeld(const std::string& topic, int32_t partition, const cluster::OwnershipToken& token) {
  return Compare::CreateRevisionEquals(keys::PartitionLeaseKey(topic, partition), token.lease_revision);
}

}  // namespace

// A validated batch in a partition's buffer, offsets assigned.
struct PendingBatch {
  int64_t base_offset;
  int64_t last_offset;
  int64_t max_timestamp;
  std::string_view bytes;  // in one of Partition::append_buffers
};

// A pooled buffer batches are appended to, from `start` on (zero bytes
// before it align the batches in memory; see LogOptions::wal_range_alignment).
struct AppendBuffer {
  std::shared_ptr<std::string> bytes;
  size_t start = 0;

  std::string_view batches() const { return std::string_view(*bytes).substr(start); }
};

// Where compaction cuts a partition's WAL ranges into segments (Compact
// takes its ranges by this rule, the append path predicts with it): from the
// oldest range on until the segment holds compacted_segment_bytes or
// kMaxRangesPerCompaction ranges. Append buffers
// start at the alignment their first byte will have in that segment (the
// WAL object pads to match), so the embedded store writes the batches with
// direct I/O from memory twice: in the WAL object, then in the segment. A
// compaction that cuts elsewhere (its time limit, a full cache) costs only
// copies until the plan is made again from the ranges left.
struct SegmentPlan {
  uint64_t bytes = 0;  // of the ranges already in the segment being filled
  size_t ranges = 0;

  // Adds the next range; true when it completes the segment (the plan then
  // starts the next one).
  bool AddRange(uint64_t length, uint64_t segment_bytes) {
    bytes += length;
    if (bytes < segment_bytes && ++ranges < kMaxRangesPerCompaction) return false;
    *this = SegmentPlan{};
    return true;
  }
};

// Where a run of committed offsets is stored: a whole segment object, or one
// range of a WAL object.
struct Extent {
  std::string object_key;
  bool in_wal = false;
  uint64_t position = 0;     // WAL range only
  uint64_t length = 0;       // WAL range only
  // WAL range only: the memory its cache entry takes (the capacity of the
  // buffers it was appended to; its length until then).
  uint64_t cache_charge = 0;
  int64_t last_offset = -1;  // WAL range only (a segment's is known once loaded)
  std::chrono::steady_clock::time_point learned;  // WAL range: compaction age counts from here

  std::string CacheKey() const { return in_wal ? object_key + "@" + std::to_string(position) : object_key; }

  static Extent Segment(std::string key) {
    Extent extent;
    extent.object_key = std::move(key);
    return extent;
  }
  static Extent InWal(const std::string& object_key, const WalObjectRecord::Range& range,
                      std::chrono::steady_clock::time_point learned) {
    return Extent{object_key, true, range.position, range.length, range.length, range.last_offset, learned};
  }
};

struct LogManager::Partition {
  std::string topic;
  std::string topic_id;  // base64: WAL ranges of a deleted topic of the same name are not ours
  int32_t index = 0;
  int64_t log_start_offset = 0;
  int64_t high_watermark = 0;  // next offset that is durable (committed)
  int64_t next_offset = 0;     // next offset to assign
  int64_t wal_start = 0;       // offsets from here to the high watermark are in WAL ranges
  bool wal_start_stored = false;     // the metadata store holds wal_start (else it equals the next offset)
  // Committed data by base offset: WAL ranges from the WAL index (always),
  // segments once listed.
  std::map<int64_t, Extent> extents;
  bool extents_listed = false;  // segments were listed too
  // Batches since the last flush, in pooled buffers that are never
  // reallocated: when the last one is full, another one follows. Appending
  // thus never copies what is buffered, and PendingBatch::bytes stay valid.
  std::vector<AppendBuffer> append_buffers;
  size_t appended_bytes = 0;      // in append_buffers
  size_t last_flushed_bytes = 0;  // the next flush's first buffer is sized like the last flush
  std::vector<PendingBatch> pending;
  std::chrono::steady_clock::time_point pending_since;  // when the oldest of `pending` was appended
  std::shared_ptr<FlushTicket> pending_ticket;
  bool awaiting_flush = false;  // in LogManager::awaiting_flush_
  std::optional<cluster::OwnershipToken> owner;  // set while this broker may append and commit
  bool handing_over = false;            // giving up ownership: appends refused until flushed
  std::deque<uint64_t> flushes_in_flight;  // WAL flushes holding its batches: their lengths, oldest first
  SegmentPlan segment_plan;                // over the committed ranges and those in flight
  bool wal_start_storing = false;       // a flush in flight stores wal_start
  Status last_flush_error;              // why the last failed flush failed
  bool compacting = false;
  std::chrono::steady_clock::time_point compaction_retry_at;  // after a failed compaction
  bool dropped = false;
  AsyncNotifier data_waiters;

  // Length and cache charge of the WAL extents from wal_start, kept up to
  // date while owned (the compactor checks them often).
  uint64_t wal_bytes = 0;
  uint64_t wal_cache_charge = 0;
};

// One partition's share of a WAL flush.
struct LogManager::FlushPart {
  std::shared_ptr<Partition> p;
  std::vector<AppendBuffer> buffers;  // the batches; cached as the WAL range once committed
  std::vector<PendingBatch> batches;
  std::chrono::steady_clock::time_point appended_since;  // its oldest batch
  std::shared_ptr<FlushTicket> ticket;
  uint64_t bytes = 0;  // held against max_buffered_bytes until it is finished
  int64_t base = 0;
  int64_t next = 0;
  bool store_wal_start = false;  // first WAL commit: also record where WAL data starts
  // What it costs a commit transaction: one compare (its lease), two on its
  // first WAL commit (and then one op: its WAL start).
  size_t compares() const { return store_wal_start ? 2 : 1; }
  size_t ops() const { return store_wal_start ? 1 : 0; }
  std::optional<cluster::OwnershipToken> token;
  WalObjectRecord::Range range;  // as committed
  Status status;
  bool commit_sent = false;  // its transaction went out: a failure may still have applied it
};

FlushStageHistograms::FlushStageHistograms()
    : buffered(metrics::RoundStepBuckets(-1, 4)),
      upload(metrics::RoundStepBuckets(-1, 4)),
      turn(metrics::RoundStepBuckets(-1, 4)),
      commit(metrics::RoundStepBuckets(-1, 4)) {}

LogManager::LogManager(asio::any_io_executor executor, asio::thread_pool& pool, ObjectStore& objects,
                       MetadataStore& metadata, LogOptions options)
    : executor_(executor),
      pool_(pool),
      objects_(objects),
      metadata_(metadata),
      options_(std::move(options)),
      cache_(options_.cache_bytes),
      flush_timer_(executor),
      maintenance_timer_(executor) {
  std::random_device random;
  wal_name_nonce_ = (static_cast<uint64_t>(random()) << 32) | random();
}

LogManager::~LogManager() { StopWatchingWalRecords(); }

void LogManager::StopWatchingWalRecords() {
  *wal_records_watch_stopped_ = true;
  wal_records_watch_.reset();
}

std::string LogManager::PartitionPrefix(const std::string& topic, int32_t partition) const {
  return options_.object_namespace + "/" + topic + "/" + std::to_string(partition) + "/";
}

LogManager::Partition* LogManager::Find(const std::string& topic, int32_t partition) const {
  return Shared(topic, partition).get();
}

std::shared_ptr<LogManager::Partition> LogManager::Shared(const std::string& topic, int32_t partition) const {
  auto it = partitions_.find(PartitionKey(topic, partition));
  return it == partitions_.end() ? nullptr : it->second;
}

LogManager::Partition& LogManager::AddPartition(const cluster::TopicInfo& topic, int32_t partition) {
  auto p = std::make_shared<Partition>();
  p->topic = topic.name;
  p->topic_id = topic.id.ToBase64();
  p->index = partition;
  auto& slot = partitions_[PartitionKey(topic.name, partition)];
  slot = std::move(p);
  return *slot;
}

void LogManager::OnTopicCreated(const cluster::TopicInfo& info) { OnPartitionsAdded(info, 0); }

void LogManager::OnPartitionsAdded(const cluster::TopicInfo& info, int32_t old_count) {
  for (int32_t p = old_count; p < info.partitions; ++p) AddPartition(info, p);
}

asio::awaitable<Status> LogManager::Recover(const std::vector<const cluster::TopicInfo*>& topics) {
  auto work = [this] {
    struct Read {
      Status status;
      std::vector<KeyValue> topic_kvs;
      std::vector<KeyValue> record_kvs;
      int64_t records_revision = 0;
    } out;
    out.status = metadata_.Range(keys::TopicsPrefix(), &out.topic_kvs);
    if (out.status.ok()) out.status = metadata_.Range(keys::WalObjectsPrefix(), &out.record_kvs, &out.records_revision);
    return out;
  };
  auto read = co_await RunBlocking(pool_, work);
  if (!read.status.ok()) co_return read.status;
  for (const cluster::TopicInfo* topic : topics) {
    for (int32_t index = 0; index < topic->partitions; ++index) AddPartition(*topic, index);
  }
  // Segments are listed when a partition is first read or taken over, so
  // start-up costs no object-store request however much data there is.
  std::map<PartitionKey, int64_t> wal_starts;
  for (const KeyValue& kv : read.topic_kvs) {
    if (std::optional<keys::TopicPartition> partition = keys::ParseNextOffsetKey(kv.key)) {
      Partition* p = Find(partition->topic, partition->partition);
      if (!p) continue;
      auto parsed = ParseNextOffset(kv.value);
      if (!parsed.ok()) co_return Status::Corruption(kv.key + ": " + parsed.status().message());
      AdvanceCommitted(*p, *parsed);
    } else if (std::optional<keys::TopicPartition> start = keys::ParseWalStartKey(kv.key)) {
      auto parsed = ParseNextOffset(kv.value);
      if (!parsed.ok()) co_return Status::Corruption(kv.key + ": " + parsed.status().message());
      wal_starts[PartitionKey(start->topic, start->partition)] = *parsed;
      if (Partition* p = Find(start->topic, start->partition)) AdvanceCommitted(*p, *parsed);
    }
  }
  for (auto& [key, p] : partitions_) {
    auto start = wal_starts.find(key);
    p->wal_start_stored = start != wal_starts.end();
    p->wal_start = p->wal_start_stored ? start->second : p->high_watermark;
  }
  std::vector<WatchEvent> records;
  for (KeyValue& kv : read.record_kvs) records.push_back(WatchEvent{WatchEvent::Type::kPut, std::move(kv)});
  ApplyWalRecordEvents(records);
  wal_index_revision_ = read.records_revision;
  auto deliver = [this, stopped = wal_records_watch_stopped_](const std::vector<WatchEvent>& events) {
    asio::post(executor_, [this, stopped, events] {
      if (!*stopped) ApplyWalRecordEvents(events);
    });
  };
  Status watching =
      metadata_.WatchPrefix(keys::WalObjectsPrefix(), read.records_revision + 1, deliver, &wal_records_watch_);
  if (!watching.ok()) co_return watching;
  spdlog::info("recovered partitions={} wal_object_records={}", partitions_.size(),
               std::count_if(records.begin(), records.end(),
                             [](const WatchEvent& event) { return !keys::IsWalIndexMarkerKey(event.kv.key); }));
  co_return Status::OK();
}

void LogManager::ApplyWalRecordEvents(const std::vector<WatchEvent>& events) {
  for (const WatchEvent& event : events) {
    wal_index_revision_ = std::max(wal_index_revision_, event.kv.mod_revision);
    // Deleted records are collected garbage: their ranges left the index
    // when the WAL start passed them.
    if (event.type == WatchEvent::Type::kDelete || keys::IsWalIndexMarkerKey(event.kv.key)) continue;
    Result<WalObjectRecord> record = DecodeWalObjectRecord(event.kv.value);
    if (!record.ok()) {
      spdlog::error("unreadable WAL object record key={} error=\"{}\"", event.kv.key, record.status().ToString());
      continue;
    }
    for (const WalObjectRecord::Range& range : record->ranges) AddCommittedRange(record->object_key, range);
  }
  wal_index_advanced_.NotifyAll();
}

void LogManager::AddCommittedRange(const std::string& object_key, const WalObjectRecord::Range& range) {
  Partition* p = Find(range.topic, range.partition);
  if (!p || p->topic_id != range.topic_id || range.base_offset < p->wal_start) return;
  // The owner knows its commits, except one whose transaction failed but
  // applied (a timeout): kept, so that the next TakeOwnership counts it.
  if (p->owner && p->extents.count(range.base_offset)) return;
  p->extents[range.base_offset] = Extent::InWal(object_key, range, std::chrono::steady_clock::now());
  if (!p->owner) AdvanceCommitted(*p, range.last_offset + 1);
}

asio::awaitable<Status> LogManager::CatchUpWalIndex() {
  // Any marker started from now on is written after every commit before the
  // call; one marker serves every caller waiting meanwhile.
  const uint64_t needed = markers_started_ + 1;
  const auto deadline = std::chrono::steady_clock::now() + kWalIndexCatchUpTimeout;
  while (true) {
    if (markers_finished_ >= needed) {
      if (!marker_status_.ok()) co_return marker_status_;
      if (wal_index_revision_ >= marker_revision_) co_return Status::OK();
    } else if (markers_started_ == markers_finished_) {
      ++markers_started_;
      asio::co_spawn(executor_, [this]() { return WriteWalIndexMarker(); }, AbortOnException{"write-ahead index marker"});
    }
    AsyncEvent advanced(executor_);
    wal_index_advanced_.Add(&advanced);
    if (!co_await advanced.Wait(deadline)) {
      wal_index_advanced_.Remove(&advanced);
      co_return Status::Unavailable("the watch of WAL object records did not catch up within " +
                                    std::to_string(kWalIndexCatchUpTimeout.count()) + " s");
    }
  }
}

asio::awaitable<void> LogManager::WriteWalIndexMarker() {
  auto work = [this] {
    TxnResult txn;
    Status status =
        metadata_.Txn({}, {TxnOp::Put(keys::WalIndexMarkerKey(options_.broker_id), FormatNextOffset(NowMs()))}, {}, &txn);
    return std::pair<Status, int64_t>{status, txn.revision};
  };
  auto [status, revision] = co_await RunBlocking(pool_, work);
  marker_status_ = status;
  if (status.ok()) marker_revision_ = revision;
  ++markers_finished_;
  wal_index_advanced_.NotifyAll();
}

void LogManager::Start() {
  asio::co_spawn(executor_, [this]() { return FlushLoop(); }, AbortOnException{"flush loop"});
  maintenance_running_ = true;
  asio::co_spawn(executor_, [this]() { return MaintenanceLoop(); }, AbortOnException{"maintenance loop"});
}

asio::awaitable<void> LogManager::FlushLoop() {
  while (!stopping_) {
    flush_timer_.expires_after(options_.flush_interval);
    boost::system::error_code ec;
    co_await flush_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) co_return;
    if (unflushed_bytes_ > 0) RequestFlush();
  }
}

asio::awaitable<void> LogManager::Shutdown() {
  stopping_ = true;
  stop_collecting_ = true;
  flush_timer_.cancel();
  maintenance_timer_.cancel();
  RequestFlush();
  std::vector<std::shared_ptr<Partition>> all;
  for (auto& [key, p] : partitions_) all.push_back(p);
  for (const std::shared_ptr<Partition>& p : all) co_await Drain(p);
  while (flushes_in_flight_ > 0 || maintenance_running_ || collecting_garbage_ || markers_started_ != markers_finished_) {
    co_await SleepFor(std::chrono::milliseconds(5));
  }
  StopWatchingWalRecords();
}

asio::awaitable<void> LogManager::Drain(const std::shared_ptr<Partition>& p) {
  while (!p->flushes_in_flight.empty() || (p->owner && !p->pending.empty())) {
    RequestFlush();
    co_await SleepFor(std::chrono::milliseconds(5));
  }
}

std::string& LogManager::AppendBufferWithRoom(Partition& p, size_t more) const {
  if (!p.append_buffers.empty()) {
    std::string& last = *p.append_buffers.back().bytes;
    if (last.capacity() - last.size() >= more) return last;
  }
  // A partition's flushes tend to be alike, so the first buffer is sized like
  // the last flush; the ones after it grow geometrically, up to a bound: busy
  // partitions then all take buffers of one size, the size the pool holds
  // idle (flush sizes wander with the disk's pace, and a pooled buffer serves
  // only requests of about its size: every miss is a fresh mapping, faulted
  // in page by page).
  const size_t wanted = std::min(
      kMaxAppendBufferBytes,
      p.append_buffers.empty() ? p.last_flushed_bytes : 2 * p.append_buffers.back().bytes->capacity());
  // Only pooled buffers are aligned: for a small one the padding would cost
  // more than the copy it saves. The padding comes out of `wanted` (a size
  // class the pool has buffers of), not on top of it.
  const size_t alignment = std::max(more, wanted) >= BufferPool::kMinPooledBytes ? options_.wal_range_alignment : 0;
  AppendBuffer buffer{BufferPool::Shared().Acquire(0, std::max(more + alignment, wanted))};
  if (alignment > 0) {
    // Where the buffer's first byte will lie in its segment (SegmentPlan);
    // unsigned wrap-around keeps the difference right modulo a power of two.
    const uint64_t segment_offset = kSegmentHeaderSize + p.segment_plan.bytes + p.appended_bytes;
    buffer.start = (segment_offset - reinterpret_cast<uintptr_t>(buffer.bytes->data())) % alignment;
    buffer.bytes->resize(buffer.start);
  }
  p.append_buffers.push_back(std::move(buffer));
  return *p.append_buffers.back().bytes;
}

AppendResult LogManager::Append(const std::string& topic, int32_t partition, const kafka::Records& records,
                                int64_t max_batch_bytes) {
  AppendResult result;
  Partition* p = Find(topic, partition);
  if (!p) {
    result.error = ErrorCode::kUnknownTopicOrPartition;
    result.message = "unknown partition " + topic + "-" + std::to_string(partition);
    return result;
  }
  if (stopping_) {
    result.error = ErrorCode::kNotLeaderOrFollower;
    result.message = "broker is shutting down";
    return result;
  }
  if (!p->owner || p->handing_over) {
    result.error = ErrorCode::kNotLeaderOrFollower;
    result.message = "this broker does not lead " + topic + "-" + std::to_string(partition);
    return result;
  }
  // A decoded request holds its records as one slice of the request buffer;
  // flatten only the unusual multi-slice case.
  std::string flattened;
  std::string_view data;
  if (records.slices.size() == 1) {
    data = records.slices.front().bytes;
  } else {
    flattened = records.Flatten();
    data = flattened;
  }
  RecordsValidation check = ValidateProduceRecords(data);
  if (!check.ok()) {
    result.error = *check.error == RecordsError::kInvalidRecord ? ErrorCode::kInvalidRecord : ErrorCode::kCorruptMessage;
    result.message = check.message;
    return result;
  }
  const std::vector<ValidatedBatch>& batches = check.batches;
  if (batches.empty()) {
    result.error = ErrorCode::kCorruptMessage;
    result.message = "produce request for " + topic + "-" + std::to_string(partition) + " has no record batches";
    return result;
  }
  for (const ValidatedBatch& batch : batches) {
    if (static_cast<int64_t>(batch.size) > max_batch_bytes) {
      result.error = ErrorCode::kMessageTooLarge;
      result.message = "record batch of " + std::to_string(batch.size) + " bytes exceeds max.message.bytes " +
                       std::to_string(max_batch_bytes);
      return result;
    }
  }
  result.base_offset = p->next_offset;
  const size_t appended_before = p->appended_bytes;
  if (p->pending.empty()) p->pending_since = std::chrono::steady_clock::now();
  std::string& buffer =
      AppendBufferWithRoom(*p, batches.back().position + batches.back().size - batches.front().position);
  for (const ValidatedBatch& batch : batches) {
    const size_t position = buffer.size();
    buffer.append(data.substr(batch.position, batch.size));
    SetBaseOffset(buffer.data() + position, p->next_offset);
    PendingBatch pending{.base_offset = p->next_offset,
                         .last_offset = p->next_offset + batch.header.last_offset_delta,
                         .max_timestamp = batch.header.max_timestamp,
                         .bytes = std::string_view(buffer).substr(position, batch.size)};
    p->next_offset = pending.last_offset + 1;
    p->appended_bytes += batch.size;
    unflushed_bytes_ += batch.size;
    p->pending.push_back(pending);
  }
  HoldBuffer(p->appended_bytes - appended_before);
  if (!p->awaiting_flush) {
    p->awaiting_flush = true;
    awaiting_flush_.push_back(Shared(topic, partition));
  }
  if (!p->pending_ticket) p->pending_ticket = std::make_shared<FlushTicket>();
  result.ticket = p->pending_ticket;
  result.log_start_offset = p->log_start_offset;
  if (unflushed_bytes_ >= options_.flush_bytes) RequestFlush();
  return result;
}

asio::awaitable<Status> LogManager::WaitDurable(const std::shared_ptr<FlushTicket>& ticket,
                                                std::chrono::steady_clock::time_point deadline) {
  if (!ticket->done) {
    AsyncEvent event(executor_);
    ticket->notifier.Add(&event);
    if (!co_await event.Wait(deadline)) {
      ticket->notifier.Remove(&event);
      co_return Status::Timeout("records not durable before the request timeout");
    }
  }
  co_return ticket->status;
}

void LogManager::RequestFlush() {
  flush_requested_ = true;
  if (flushes_in_flight_ >= kMaxFlushesInFlight) return;  // an upload or commit finishing starts it
  ++flushes_in_flight_;
  asio::co_spawn(executor_, [this]() { return FlushWal(); }, AbortOnException{"write-ahead flush"});
}

// One WAL object being flushed.
struct LogManager::WalFlush {
  uint64_t number = 0;     // flushes commit in this order
  std::string name;        // of its records in the metadata store
  std::string object_key;  // in the object store
  int64_t created_ms = 0;
  std::chrono::steady_clock::time_point uploaded_at;
  std::vector<FlushPart> parts;
  Status uploaded;
  bool finished = false;  // committed (or failed) and answered, perhaps with an earlier flush
};

// One WAL object record a commit transaction writes.
struct LogManager::WalCommit {
  std::string object_key;
  std::string record_key;
  std::vector<FlushPart*> parts;
};

std::vector<LogManager::FlushPart> LogManager::TakeFlushParts() {
  std::vector<FlushPart> parts;
  // Only partitions that appended since their last flush, in (topic,
  // partition) order as the WAL object lays them out.
  std::vector<std::shared_ptr<Partition>> appended = std::move(awaiting_flush_);
  awaiting_flush_.clear();
  std::sort(appended.begin(), appended.end(), [](const auto& a, const auto& b) {
    return std::tie(a->topic, a->index) < std::tie(b->topic, b->index);
  });
  for (std::shared_ptr<Partition>& p : appended) {
    p->awaiting_flush = false;
    if (p->pending.empty() || p->dropped) continue;
    if (!p->owner) {  // its batches wait for ownership to come back or to be dropped
      p->awaiting_flush = true;
      awaiting_flush_.push_back(p);
      continue;
    }
    FlushPart part;
    part.p = p;
    part.buffers = std::move(p->append_buffers);
    p->last_flushed_bytes = p->appended_bytes;
    part.bytes = p->appended_bytes;
    part.batches = std::move(p->pending);
    part.appended_since = p->pending_since;
    part.ticket = std::move(p->pending_ticket);
    part.base = part.batches.front().base_offset;
    part.next = part.batches.back().last_offset + 1;
    part.store_wal_start = !p->wal_start_stored && !p->wal_start_storing;
    part.token = *p->owner;
    p->wal_start_storing = p->wal_start_storing || part.store_wal_start;
    p->flushes_in_flight.push_back(p->appended_bytes);
    p->segment_plan.AddRange(p->appended_bytes, options_.compacted_segment_bytes);
    p->append_buffers.clear();
    p->appended_bytes = 0;
    p->pending.clear();
    parts.push_back(std::move(part));
  }
  return parts;
}

asio::awaitable<void> LogManager::FlushWal() {
  flush_requested_ = false;
  WalFlush flush;
  flush.parts = TakeFlushParts();
  if (flush.parts.empty()) {
    --flushes_in_flight_;
    co_return;
  }
  flush.number = flushes_started_++;
  const auto started = std::chrono::steady_clock::now();
  auto oldest_append = started;
  for (const FlushPart& part : flush.parts) {
    unflushed_bytes_ -= part.bytes;
    oldest_append = std::min(oldest_append, part.appended_since);
  }
  flush_stage_ms_.buffered.Observe(MillisecondsBetween(oldest_append, started));
  // Creation time first: the garbage collector tells an old orphan (uploaded,
  // never committed) from an upload whose commit may still be in flight.
  flush.created_ms = NowMs();
  flush.name = fmt::format("{:013d}-{}-{:016x}-{:010d}", flush.created_ms, options_.broker_id, wal_name_nonce_,
                           wal_sequence_++);
  flush.object_key = WalObjectKey(options_.object_namespace, options_.broker_id, flush.name);

  std::vector<FlushPart>& parts = flush.parts;
  auto upload = [&]() {
    WalBuilder builder(options_.wal_range_alignment);
    Status status;
    for (size_t i = 0; i < parts.size() && status.ok(); ++i) {
      for (size_t b = 0; b < parts[i].buffers.size() && status.ok(); ++b) {
        status = builder.Add(parts[i].p->topic, parts[i].p->index, parts[i].buffers[b].batches());
      }
    }
    Result<EncodedWal> encoded = status.ok() ? builder.Finish(NowMs()) : Result<EncodedWal>(status);
    if (!encoded.ok()) return std::pair<Status, uint64_t>{encoded.status(), 0};
    for (size_t i = 0; i < parts.size(); ++i) {
      const WalRange& range = encoded->ranges[i];
      parts[i].range = WalObjectRecord::Range{range.topic,        parts[i].p->topic_id, range.partition,
                                              range.base_offset,  range.last_offset,    range.position,
                                              range.length};
    }
    const std::vector<std::string_view> pieces = encoded->Pieces();
    return std::pair<Status, uint64_t>{objects_.PutIfAbsent(flush.object_key, ObjectBody(pieces)), encoded->size()};
  };
  // The upload gathers the object from the partitions' buffers: no second copy.
  auto [uploaded, object_bytes] = co_await RunBlocking(pool_, upload);
  flush.uploaded = uploaded;
  flush.uploaded_at = std::chrono::steady_clock::now();
  flush_stage_ms_.upload.Observe(MillisecondsBetween(started, flush.uploaded_at));
  if (uploaded.ok()) {
    ++counters_.wal_objects_written;
    counters_.wal_bytes_written += object_bytes;
  }
  if (flush_requested_ || (unflushed_bytes_ > 0 && (stopping_ || unflushed_bytes_ >= options_.flush_bytes))) {
    RequestFlush();
  }

  // Commits go in flush order: a partition's offsets are committed only
  // after the ones before them. When it is this flush's turn, the flushes
  // uploaded meanwhile commit in the same transaction: when etcd is the slower
  // stage, commits then grow rather than queue.
  uploaded_flushes_[flush.number] = &flush;
  while (!flush.finished && flushes_committed_ != flush.number) {
    AsyncEvent turn(executor_);
    commit_turn_.Add(&turn);
    co_await turn.Wait(std::chrono::steady_clock::time_point::max());
  }
  if (!flush.finished) {
    const std::vector<WalFlush*> together = FlushesToCommitWith(flush);
    const auto commit_started = std::chrono::steady_clock::now();
    for (WalFlush* each : together) {
      flush_stage_ms_.turn.Observe(MillisecondsBetween(each->uploaded_at, commit_started));
    }
    if (together.size() == 1 || !co_await CommitTogether(together)) {
      for (WalFlush* each : together) co_await CommitFlush(*each);
    }
    const double commit_ms = MillisecondsBetween(commit_started, std::chrono::steady_clock::now());
    for (WalFlush* each : together) {
      each->finished = true;
      uploaded_flushes_.erase(each->number);
      flush_stage_ms_.commit.Observe(commit_ms);
    }
    flushes_committed_ += together.size();
    commit_turn_.NotifyAll();
  }
  --flushes_in_flight_;
  if (flush_requested_) RequestFlush();
}

std::vector<LogManager::WalFlush*> LogManager::FlushesToCommitWith(WalFlush& first) const {
  std::vector<WalFlush*> together{&first};
  size_t compares = 0;
  size_t ops = 0;
  auto fits = [&](const WalFlush& flush) {
    if (!flush.uploaded.ok()) return false;
    size_t more_compares = 0;
    size_t more_ops = 1;  // its record
    for (const FlushPart& part : flush.parts) {
      more_compares += part.compares();
      more_ops += part.ops();
    }
    if (compares + more_compares > kMaxTxnOps || ops + more_ops > kMaxTxnOps) return false;
    compares += more_compares;
    ops += more_ops;
    return true;
  };
  if (!fits(first)) return together;
  for (auto next = uploaded_flushes_.find(first.number + 1);
       next != uploaded_flushes_.end() && next->first == together.back()->number + 1 && fits(*next->second); ++next) {
    together.push_back(next->second);
  }
  return together;
}

Status LogManager::CommitRefusal(const WalFlush& flush, const FlushPart& part, int64_t expected_base,
                                 const Status& earlier_failure) {
  if (!flush.uploaded.ok()) return flush.uploaded;
  // Garbage collection takes an object whose records are not all there for
  // complete once it is kOrphanAgeMs old: no commit may start that late.
  if (NowMs() - flush.created_ms > kOrphanAgeMs / 2) {
    return Status::Timeout("write-ahead object " + flush.object_key + " was uploaded too long ago to be committed");
  }
  if (part.p->dropped) return Status::NotFound("topic was deleted");
  // An earlier flush of this partition failed: these offsets follow records
  // that were never committed.
  if (part.base != expected_base) {
    return earlier_failure.ok() ? Status::Conflict("offsets of " + part.p->topic + "-" +
                                                   std::to_string(part.p->index) + " from " +
                                                   std::to_string(part.base) + " do not follow the committed ones")
                                : earlier_failure;
  }
  return Status::OK();
}

asio::awaitable<void> LogManager::CommitFlush(WalFlush& flush) {
  std::vector<FlushPart*> to_commit;
  for (FlushPart& part : flush.parts) {
    part.status = CommitRefusal(flush, part, part.p->high_watermark, part.p->last_flush_error);
    if (part.status.ok()) to_commit.push_back(&part);
  }
  // Chunks of partitions commit independently, so they go to etcd at once.
  const std::vector<std::vector<FlushPart*>> chunks = CommitChunks(to_commit);
  std::vector<size_t> chunk_txns(chunks.size());
  std::vector<std::function<void()>> commits;
  for (size_t chunk = 0; chunk < chunks.size(); ++chunk) {
    commits.push_back([&, chunk] {
      const std::string part_name = keys::WalObjectRecordPart(chunk, chunks.size());
      chunk_txns[chunk] = CommitWal(flush.object_key, keys::WalObjectRecordKey(flush.name, part_name), chunks[chunk]);
    });
  }
  co_await RunAllBlocking(pool_, commits);
  for (size_t txns : chunk_txns) counters_.wal_commit_txns += txns;
  for (FlushPart& part : flush.parts) FinishFlushPart(part, flush.object_key);
}

std::vector<std::vector<LogManager::FlushPart*>> LogManager::CommitChunks(const std::vector<FlushPart*>& parts) {
  // Compares bound a chunk (each writes one record: ops stay below them).
  std::vector<std::vector<FlushPart*>> chunks;
  size_t chunk_cost = kMaxTxnOps;
  for (FlushPart* part : parts) {
    const size_t cost = part->compares();
    if (chunk_cost + cost > kMaxTxnOps) {
      chunks.emplace_back();
      chunk_cost = 0;
    }
    chunks.back().push_back(part);
    chunk_cost += cost;
  }
  return chunks;
}

asio::awaitable<bool> LogManager::CommitTogether(const std::vector<WalFlush*>& flushes) {
  // Where each partition's next part must start, and why it cannot when an
  // earlier part of it here failed.
  struct Next {
    int64_t base;
    Status failure;
  };
  std::map<const Partition*, Next> next;
  std::vector<WalCommit> records;
  for (WalFlush* flush : flushes) {
    WalCommit record{flush->object_key, keys::WalObjectRecordKey(flush->name, keys::WalObjectRecordPart(0, 1)), {}};
    for (FlushPart& part : flush->parts) {
      Next& expected = next.try_emplace(part.p.get(), Next{part.p->high_watermark, part.p->last_flush_error})
                           .first->second;
      part.status = CommitRefusal(*flush, part, expected.base, expected.failure);
      if (part.status.ok()) {
        record.parts.push_back(&part);
        expected.base = part.next;
      } else if (part.base == expected.base) {
        expected.failure = part.status;
      }
    }
    if (!record.parts.empty()) records.push_back(std::move(record));
  }
  bool refused = false;
  Status status;
  if (!records.empty()) {
    auto commit = [&] { return CommitWalRecords(records, &refused); };
    status = co_await RunBlocking(pool_, commit);
    ++counters_.wal_commit_txns;
  }
  if (refused) {
    // A partition was fenced: each flush commits on its own, where one
    // partition fails alone.
    for (WalFlush* flush : flushes) {
      for (FlushPart& part : flush->parts) {
        part.status = Status::OK();
        part.commit_sent = false;
      }
    }
    co_return false;
  }
  for (WalCommit& record : records) {
    for (FlushPart* part : record.parts) part->status = status;
  }
  for (WalFlush* flush : flushes) {
    for (FlushPart& part : flush->parts) FinishFlushPart(part, flush->object_key);
  }
  co_return true;
}

void LogManager::FinishFlushPart(FlushPart& part, const std::string& object_key) {
  Partition& p = *part.p;
  p.flushes_in_flight.pop_front();
  if (part.store_wal_start) p.wal_start_storing = false;
  if (p.dropped) {
    part.ticket->status = Status::NotFound("topic was deleted");
  } else if (part.status.ok()) {
    Extent extent = Extent::InWal(object_key, part.range, std::chrono::steady_clock::now());
    auto loaded = std::make_shared<LoadedSegment>();
    for (const PendingBatch& b : part.batches) {
      loaded->batches.push_back(StoredBatch{b.base_offset, b.last_offset, b.max_timestamp, b.bytes});
    }
    for (AppendBuffer& buffer : part.buffers) loaded->buffers.push_back(std::move(buffer.bytes));
    extent.cache_charge = CacheCharge(*loaded);
    p.wal_cache_charge += extent.cache_charge;
    cache_.Insert(extent.CacheKey(), std::move(loaded), /*keep_for_compaction=*/true);
    p.extents[part.base] = std::move(extent);
    p.wal_bytes += part.range.length;
    // Compacted while its ranges are still cached, rather than at the
    // compactor's next pass.
    if (p.wal_bytes >= options_.compacted_segment_bytes &&
        p.wal_bytes - part.range.length < options_.compacted_segment_bytes) {
      WakeCompactor();
    }
    p.wal_start_stored = true;
    p.high_watermark = part.next;
    part.ticket->status = Status::OK();
    p.data_waiters.NotifyAll();
  } else {
    part.ticket->status = part.status;
    // The first failure after the committed offset decides; parts that
    // followed it in later flushes just fail with it.
    if (p.high_watermark == part.base) {
      spdlog::error("flush failed topic={} partition={} base_offset={} error=\"{}\"", p.topic, p.index, part.base,
                    part.status.ToString());
      p.last_flush_error = part.status;
      // Nothing after the committed offset is durable: drop what was
      // buffered meanwhile too, so offsets are reassigned without gaps. Its
      // producers get the same error and retry.
      DropPending(p, part.status);
      // Fenced, or the commit may have applied after all (a timeout), so
      // this broker's view of the partition may be stale: stop writing;
      // ownership is taken again from what the store holds if this broker
      // should have it. (A new commit at this base would record a second
      // range over offsets already readable, holding other records.)
      if (part.commit_sent && p.owner == part.token) StopOwning(p);
    }
  }
  part.ticket->done = true;
  part.ticket->notifier.NotifyAll();
  ReleaseBuffer(part.bytes);
}

Status LogManager::CommitWalRecords(const std::vector<WalCommit>& records, bool* refused) {
  std::vector<Compare> compares;
  std::vector<TxnOp> ops;
  std::set<std::pair<const Partition*, int64_t>> leases;  // compared once per transaction
  for (const WalCommit& commit : records) {
    WalObjectRecord record{commit.object_key, {}};
    for (FlushPart* part : commit.parts) {
      const std::string& topic = part->p->topic;
      const int32_t index = part->p->index;
      // The lease fences the commit: only this broker's tenure appends, and
      // it read the partition's state after taking the lease.
      if (leases.emplace(part->p.get(), part->token->lease_revision).second) {
        compares.push_back(LeaseHeld(topic, index, *part->token));
      }
      if (part->store_wal_start) {
        const std::string start_key = keys::WalStartKey(topic, index);
        compares.push_back(Compare::Absent(start_key));
        ops.push_back(TxnOp::Put(start_key, FormatNextOffset(part->base)));
      }
      record.ranges.push_back(part->range);
      part->commit_sent = true;
    }
    ops.push_back(TxnOp::Put(commit.record_key, EncodeWalObjectRecord(record)));
  }
  TxnResult txn;
  Status status = metadata_.Txn(compares, ops, {}, &txn);
  *refused = status.ok() && !txn.succeeded;
  return status;
}

size_t LogManager::CommitWal(const std::string& object_key, const std::string& record_key,
                             const std::vector<FlushPart*>& parts) {
  bool refused = false;
  Status status = CommitWalRecords({WalCommit{object_key, record_key, parts}}, &refused);
  size_t txns = 1;
  if (refused) {
    if (parts.size() > 1) {
      // One partition was fenced (or its view is stale); the others commit
      // on their own.
      for (size_t i = 0; i < parts.size(); ++i) {
        txns += CommitWal(object_key, keys::WalObjectRecordSplitPart(record_key, i, parts.size()), {parts[i]});
      }
      return txns;
    }
    status = Status::Conflict("partition lease of " + parts[0]->p->topic + "-" + std::to_string(parts[0]->p->index) +
                              " was lost or its WAL start changed underneath this broker");
  }
  for (FlushPart* part : parts) part->status = status;
  return txns;
}

void LogManager::HoldBuffer(uint64_t bytes) {
  buffered_bytes_ += bytes;
  LendSpareBufferBytes();
}

void LogManager::ReleaseBuffer(uint64_t bytes) {
  buffered_bytes_ -= bytes;
  if (buffered_bytes_ < options_.max_buffered_bytes) buffer_space_.NotifyAll();
  LendSpareBufferBytes();
}

void LogManager::LendSpareBufferBytes() {
  // Memory beyond the budget stays within one step.
  constexpr uint64_t kStep = 8 * 1024 * 1024;
  const uint64_t spare =
      buffered_bytes_ < options_.max_buffered_bytes ? options_.max_buffered_bytes - buffered_bytes_ : 0;
  if (spare + kStep > lent_to_pool_ && spare < lent_to_pool_ + kStep) return;
  lent_to_pool_ = spare;
  BufferPool::Shared().LendSpareBytes(spare);
}

asio::awaitable<bool> LogManager::WaitForBufferSpace(std::chrono::steady_clock::time_point deadline) {
  while (buffered_bytes_ >= options_.max_buffered_bytes) {
    AsyncEvent event(executor_);
    buffer_space_.Add(&event);
    if (!co_await event.Wait(deadline)) {
      buffer_space_.Remove(&event);
      co_return false;
    }
  }
  co_return true;
}

void LogManager::DropPending(Partition& p, const Status& status) {
  if (p.pending_ticket) {
    p.pending_ticket->status = status;
    p.pending_ticket->done = true;
    p.pending_ticket->notifier.NotifyAll();
    p.pending_ticket.reset();
  }
  const uint64_t bytes = p.appended_bytes;
  p.pending.clear();
  p.append_buffers.clear();
  p.appended_bytes = 0;
  unflushed_bytes_ -= bytes;
  ReleaseBuffer(bytes);
  p.next_offset = p.high_watermark;
}

Status LogManager::PutCreateOnly(const UploadTarget& target, const std::string& key, const ObjectBody& data) {
  Status status = objects_.PutIfAbsent(key, data);
  if (!status.IsAlreadyExists()) return status;
  // A compaction that uploaded this base without committing it (this broker
  // or an earlier owner died or was fenced in between), or it was committed
  // and this broker's view is stale. Only the lease holder commits, so while
  // the lease still holds and the WAL start is at or below `base`, the
  // object is garbage.
  TxnResult txn;
  const std::string start_key = keys::WalStartKey(target.topic, target.partition);
  const std::string offset_key = keys::NextOffsetKey(target.topic, target.partition);
  status = metadata_.Txn({LeaseHeld(target.topic, target.partition, target.token)},
                         {TxnOp::Get(start_key), TxnOp::Get(offset_key)}, {}, &txn);
  if (!status.ok()) return status;
  if (!txn.succeeded) return Status::Conflict("partition lease lost while uploading " + key);
  int64_t segmented = 0;  // offsets below are in segments
  for (size_t i = 0; i < txn.results.size(); ++i) {
    if (txn.results[i].empty()) continue;
    auto parsed = ParseNextOffset(txn.results[i][0].value);
    if (!parsed.ok()) return parsed.status();
    segmented = *parsed;
    break;  // the WAL start when stored, else the next offset
  }
  if (segmented > target.base) {
    return Status::Conflict(key + " is already committed (segments end at " + std::to_string(segmented) +
                            "): this broker's view of the partition is stale");
  }
  spdlog::warn("replacing an uncommitted upload key={}", key);
  status = objects_.DeleteBatch({key});
  if (status.ok()) status = objects_.PutIfAbsent(key, data);
  if (status.IsAlreadyExists()) return Status::Conflict(key + " was uploaded again by another broker");
  return status;
}

asio::awaitable<Status> LogManager::ReloadSegments(const std::shared_ptr<Partition>& p) {
  Status caught_up = co_await CatchUpWalIndex();
  if (!caught_up.ok()) co_return caught_up;
  const std::string prefix = PartitionPrefix(p->topic, p->index);
  const std::string data_prefix = keys::PartitionDataPrefix(p->topic, p->index);
  // The WAL start before the objects: a segment committed before this read
  // was uploaded before it, so it is listed; one committed later lies at or
  // above this WAL start and is ignored (its WAL ranges stay readable until
  // collected; a read that finds them gone lists the partition again).
  auto work = [this, prefix, data_prefix] {
    struct Listing {
      Status status;
      std::vector<KeyValue> kvs;
      std::vector<ObjectInfo> objects;
    } out;
    out.status = metadata_.Range(data_prefix, &out.kvs);
    if (out.status.ok()) out.status = ListAll(objects_, prefix, &out.objects);
    return out;
  };
  auto listing = co_await RunBlocking(pool_, work);
  if (!listing.status.ok()) co_return listing.status;
  if (p->dropped) co_return Status::NotFound("topic " + p->topic + " was deleted");
  // The next offset: after the newest WAL range, else where segments end
  // (the WAL start, or next_offset for data written before WAL objects).
  int64_t committed = 0;
  std::optional<int64_t> wal_start;
  for (const KeyValue& kv : listing.kvs) {
    const bool is_start = keys::ParseWalStartKey(kv.key).has_value();
    if (!is_start && !keys::ParseNextOffsetKey(kv.key)) continue;
    auto parsed = ParseNextOffset(kv.value);
    if (!parsed.ok()) co_return Status::Corruption(kv.key + ": " + parsed.status().message());
    if (is_start) wal_start = *parsed;
    committed = std::max(committed, *parsed);
  }
  const int64_t start = wal_start.value_or(committed);
  std::map<int64_t, Extent> extents;
  for (auto it = p->extents.lower_bound(start); it != p->extents.end(); ++it) {
    if (!it->second.in_wal) continue;
    committed = std::max(committed, it->second.last_offset + 1);
    extents.insert(*it);
  }
  // The owner's own high watermark is authoritative (a flush of its own may
  // be committing right now); others adopt what is committed.
  if (!p->owner) AdvanceCommitted(*p, committed);
  p->wal_start_stored = wal_start.has_value();
  p->wal_start = start;

  std::set<std::string> index_keys;
  for (const ObjectInfo& object : listing.objects) {
    if (object.key.ends_with(".index")) index_keys.insert(object.key);
  }
  for (const ObjectInfo& object : listing.objects) {
    ParsedSegmentKey parsed;
    if (!ParseSegmentKey(object.key, &parsed).ok() || parsed.kind != SegmentObjectKind::kSegment) continue;
    if (parsed.base_offset >= p->wal_start) continue;  // uploaded, never committed
    if (!index_keys.count(IndexKey(options_.object_namespace, p->topic, p->index, parsed.base_offset))) {
      spdlog::error("segment has no index; it will not be served key={}", object.key);
      continue;
    }
    extents[parsed.base_offset] = Extent::Segment(object.key);
  }
  if (extents.empty() && p->high_watermark > p->log_start_offset) {
    static RateLimitedLog missing(1, std::chrono::seconds(60));
    missing.Log(p->topic + "-" + std::to_string(p->index), LogLevel::kError,
                "partition has committed offsets but no segments",
                {{"topic", p->topic}, {"partition", std::to_string(p->index)},
                 {"high_watermark", std::to_string(p->high_watermark)}});
  }
  p->extents = std::move(extents);
  p->extents_listed = true;
  p->wal_bytes = 0;
  p->wal_cache_charge = 0;
  for (auto it = p->extents.lower_bound(p->wal_start); it != p->extents.end(); ++it) {
    p->wal_bytes += it->second.length;
    p->wal_cache_charge += it->second.cache_charge;
  }
  co_return Status::OK();
}

asio::awaitable<Status> LogManager::TakeOwnership(const std::string& topic, int32_t partition,
                                                  const cluster::OwnershipToken& token) {
  std::shared_ptr<Partition> p = Shared(topic, partition);
  if (!p) co_return Status::NotFound("unknown partition " + topic + "-" + std::to_string(partition));
  // Another broker may have committed and compacted since this broker last
  // looked: read everything again.
  Status status = co_await ReloadSegments(p);
  if (!status.ok()) co_return status;
  if (p->dropped) co_return Status::NotFound("topic " + topic + " was deleted");
  // A crash most likely damaged the newest segment: check it before
  // appending after it (older ones are checked when first read).
  if (!p->extents.empty() && !p->extents.rbegin()->second.in_wal) {
    Status verified;
    co_await LoadSegment(*p, p->extents.rbegin()->first, &verified);
    if (!verified.ok()) {
      spdlog::error("newest segment failed verification topic={} partition={} error=\"{}\"", topic, partition,
                    verified.ToString());
    }
  }
  p->next_offset = p->high_watermark;
  PlanSegments(*p);
  p->owner = token;
  p->handing_over = false;
  p->data_waiters.NotifyAll();
  spdlog::info("took ownership topic={} partition={} leader_epoch={} next_offset={} wal_start={}", topic, partition,
               token.leader_epoch, p->high_watermark, p->wal_start);
  co_return Status::OK();
}

asio::awaitable<void> LogManager::GiveUpOwnership(const std::string& topic, int32_t partition) {
  std::shared_ptr<Partition> p = Shared(topic, partition);
  if (!p || !p->owner) co_return;
  p->handing_over = true;
  co_await Drain(p);
  StopOwning(*p);
  p->handing_over = false;
  spdlog::info("gave up ownership topic={} partition={} next_offset={}", topic, partition, p->high_watermark);
}

void LogManager::StopOwning(Partition& p) {
  p.owner.reset();
  for (auto it = p.extents.lower_bound(p.wal_start); it != p.extents.end(); ++it) {
    if (it->second.in_wal) cache_.StopKeeping(it->second.CacheKey());
  }
}

void LogManager::LoseOwnership(const std::string& topic, int32_t partition) {
  Partition* p = Find(topic, partition);
  if (!p || !p->owner) return;
  StopOwning(*p);
  p->handing_over = false;
  DropPending(*p, Status::Conflict("partition lease lost"));
  spdlog::warn("lost ownership topic={} partition={}", topic, partition);
}

std::optional<cluster::OwnershipToken> LogManager::Owner(const std::string& topic, int32_t partition) const {
  Partition* p = Find(topic, partition);
  if (!p || p->handing_over) return std::nullopt;
  return p->owner;
}

void LogManager::OnWalStart(const std::string& topic, int32_t partition, int64_t wal_start) {
  Partition* p = Find(topic, partition);
  if (!p || p->owner) return;
  if (wal_start > p->wal_start) {
    // A compaction replaced the WAL ranges in [old start, new start) by one
    // segment at the old start.
    for (auto it = p->extents.lower_bound(p->wal_start); it != p->extents.end() && it->first < wal_start;) {
      it = p->extents.erase(it);
    }
    if (p->extents_listed) {
      p->extents[p->wal_start] =
          Extent::Segment(SegmentKey(options_.object_namespace, topic, partition, p->wal_start));
    }
  }
  p->wal_start = wal_start;
  p->wal_start_stored = true;
  AdvanceCommitted(*p, wal_start);
}

void LogManager::PlanSegments(Partition& p) const {
  p.segment_plan = SegmentPlan{};
  for (auto it = p.extents.lower_bound(p.wal_start); it != p.extents.end() && it->second.in_wal; ++it) {
    p.segment_plan.AddRange(it->second.length, options_.compacted_segment_bytes);
  }
  for (uint64_t length : p.flushes_in_flight) p.segment_plan.AddRange(length, options_.compacted_segment_bytes);
}

void LogManager::AdvanceCommitted(Partition& p, int64_t next_offset) {
  if (next_offset <= p.high_watermark) return;
  p.high_watermark = p.next_offset = next_offset;
  p.data_waiters.NotifyAll();
}

asio::awaitable<std::shared_ptr<const LoadedSegment>> LogManager::LoadSegment(Partition& p, int64_t base,
                                                                               Status* status) {
  const Extent extent = p.extents.at(base);
  const std::string cache_key = extent.CacheKey();
  if (auto cached = cache_.Get(cache_key)) co_return cached;
  const WalRange range{p.topic, p.index, base, extent.last_offset, extent.position, extent.length};
  auto work = [this, &extent, &range]() {
    std::pair<Status, std::shared_ptr<LoadedSegment>> out;
    // A WAL range's size is known: read it into a recycled buffer.
    auto bytes = BufferPool::Shared().Acquire(0, extent.in_wal ? extent.length : 0);
    std::vector<BatchLocation> locations;
    if (extent.in_wal) {
      out.first = objects_.Get(extent.object_key, bytes.get(), extent.position, extent.length);
      if (out.first.ok()) out.first = ParseWalRange(*bytes, range, &locations);
    } else {
      out.first = objects_.Get(extent.object_key, bytes.get());
      SegmentView parsed;
      if (out.first.ok()) out.first = ParseSegment(*bytes, &parsed);
      if (out.first.ok()) locations = std::move(parsed.batches);
    }
    if (!out.first.ok()) return out;
    auto loaded = std::make_shared<LoadedSegment>();
    for (const BatchLocation& location : locations) {
      std::string_view batch(bytes->data() + location.position, location.size);
      RecordBatchHeader header;
      out.first = ParseBatchHeader(batch, &header);
      if (!out.first.ok()) return out;
      loaded->batches.push_back(StoredBatch{location.base_offset, location.last_offset, header.max_timestamp, batch});
    }
    loaded->buffers.push_back(std::move(bytes));
    out.second = std::move(loaded);
    return out;
  };
  auto [s, segment] = co_await RunBlocking(pool_, work);
  if (s.ok() && segment->base_offset() != base) {
    s = Status::Corruption(cache_key + " starts at offset " + std::to_string(segment->base_offset()));
  }
  if (!s.ok()) {
    // A WAL object compacted and deleted since this broker learned of it is
    // not an error: the caller lists the partition again.
    if (!(extent.in_wal && s.IsNotFound())) {
      spdlog::error("stored data cannot be served key={} error=\"{}\"", cache_key, s.ToString());
    }
    *status = s;
    co_return nullptr;
  }
  // This broker rewrites the WAL ranges of partitions it owns.
  cache_.Insert(cache_key, segment, /*keep_for_compaction=*/extent.in_wal && p.owner.has_value());
  *status = Status::OK();
  co_return segment;
}

void LogManager::ReadAhead(const std::shared_ptr<Partition>& p, int64_t base) {
  auto it = p->extents.upper_bound(base);
  for (size_t n = 0; n < options_.readahead_segments && it != p->extents.end(); ++n, ++it) {
    const std::string cache_key = it->second.CacheKey();
    if (prefetching_.count(cache_key) || cache_.Contains(cache_key)) continue;
    prefetching_.insert(cache_key);
    const int64_t next = it->first;
    asio::co_spawn(executor_, [this, p, next, cache_key]() { return Prefetch(p, next, cache_key); },
                   AbortOnException{"read-ahead"});
  }
}

asio::awaitable<void> LogManager::Prefetch(std::shared_ptr<Partition> p, int64_t base, std::string cache_key) {
  auto it = p->extents.find(base);
  if (it != p->extents.end() && it->second.CacheKey() == cache_key && !p->dropped) {
    Status status;
    co_await LoadSegment(*p, base, &status);
  }
  prefetching_.erase(cache_key);
}

asio::awaitable<ReadResult> LogManager::Read(const std::string& topic, int32_t partition, int64_t offset,
                                             int64_t max_bytes) {
  ReadResult result;
  std::shared_ptr<Partition> p;
  if (auto it = partitions_.find(PartitionKey(topic, partition)); it != partitions_.end()) p = it->second;
  if (!p) {
    result.error = ErrorCode::kUnknownTopicOrPartition;
    co_return result;
  }
  result.high_watermark = p->high_watermark;
  result.log_start_offset = p->log_start_offset;
  if (offset < p->log_start_offset || offset > p->high_watermark) {
    result.error = ErrorCode::kOffsetOutOfRange;
    co_return result;
  }
  bool reloaded = false;
  if (!p->extents_listed && offset < p->high_watermark) {
    reloaded = true;
    if (Status listed = co_await ReloadSegments(p); !listed.ok()) {
      result.error = ErrorCode::kKafkaStorageError;
      result.message = listed.ToString();
      co_return result;
    }
  }
  int64_t budget = max_bytes;
  int64_t position = offset;
  size_t loaded = 0;
  int64_t last_base = -1;
  while (loaded < options_.max_segments_per_read && position < result.high_watermark) {
    auto next = p->extents.upper_bound(position);
    Status status = Status::NotFound("no segment holds offset " + std::to_string(position));
    std::shared_ptr<const LoadedSegment> segment;
    if (next != p->extents.begin()) segment = co_await LoadSegment(*p, std::prev(next)->first, &status);
    if (segment && segment->last_offset() < position) {
      segment.reset();
      status = Status::NotFound("no segment holds offset " + std::to_string(position));
    }
    if (!segment && status.IsNotFound() && !reloaded) {
      // A committed offset learned without where it is stored (a commit this
      // broker missed), or a WAL object compacted away since: list the
      // partition once and look again.
      reloaded = true;
      status = co_await ReloadSegments(p);
      if (status.ok()) continue;
    }
    if (!segment) {
      if (result.records.slices.empty()) {
        result.error = ErrorCode::kKafkaStorageError;
        result.message = status.ToString();
      }
      break;
    }
    ++loaded;
    last_base = segment->base_offset();
    bool budget_left = true;
    for (const StoredBatch& batch : segment->batches) {
      if (batch.last_offset < position || batch.base_offset >= result.high_watermark) continue;
      const int64_t size = static_cast<int64_t>(batch.bytes.size());
      if (!result.records.slices.empty() && size > budget) {
        budget_left = false;
        break;
      }
      result.records.slices.push_back(kafka::SharedSlice{segment, batch.bytes});
      budget -= size;
      position = batch.last_offset + 1;
    }
    if (!budget_left || budget <= 0) break;
  }
  if (last_base >= 0) ReadAhead(p, last_base);
  co_return result;
}

OffsetLookup LogManager::Earliest(const std::string& topic, int32_t partition) const {
  Partition* p = Find(topic, partition);
  if (!p) return OffsetLookup{ErrorCode::kUnknownTopicOrPartition};
  return OffsetLookup{ErrorCode::kNone, p->log_start_offset, -1};
}

OffsetLookup LogManager::Latest(const std::string& topic, int32_t partition) const {
  Partition* p = Find(topic, partition);
  if (!p) return OffsetLookup{ErrorCode::kUnknownTopicOrPartition};
  return OffsetLookup{ErrorCode::kNone, p->high_watermark, -1};
}

asio::awaitable<ErrorCode> LogManager::ScanRecords(const std::string& topic, int32_t partition,
                                                   const RecordScan& scan) {
  std::shared_ptr<Partition> p = Shared(topic, partition);
  if (!p) co_return ErrorCode::kUnknownTopicOrPartition;
  if (!p->extents_listed) {
    Status listed = co_await ReloadSegments(p);
    if (!listed.ok()) co_return ErrorCode::kKafkaStorageError;
  }
  // Walks by offset, not over a snapshot of extents: a compaction may replace
  // WAL ranges by a segment meanwhile.
  int64_t position = p->log_start_offset;
  bool reloaded = false;
  while (!p->dropped && position < p->high_watermark) {
    auto next = p->extents.upper_bound(position);
    if (next == p->extents.begin()) break;
    Status status;
    auto segment = co_await LoadSegment(*p, std::prev(next)->first, &status);
    if (!segment && status.IsNotFound() && !reloaded) {
      reloaded = true;
      if ((co_await ReloadSegments(p)).ok()) continue;
    }
    if (!segment) co_return ErrorCode::kKafkaStorageError;
    if (segment->last_offset() < position) break;  // a gap: nothing more is stored
    for (const StoredBatch& batch : segment->batches) {
      if (batch.last_offset < position || !scan.wants_batch(batch)) continue;
      std::vector<Record> records;
      RecordBatchHeader header;
      if (!ParseBatchHeader(batch.bytes, &header).ok() || !DecodeRecords(batch.bytes, &records).ok()) {
        co_return ErrorCode::kKafkaStorageError;
      }
      for (const Record& record : records) {
        const int64_t offset = batch.base_offset + record.offset_delta;
        if (offset < position) continue;
        if (scan.visit(offset, header.base_timestamp + record.timestamp_delta)) co_return ErrorCode::kNone;
      }
    }
    position = segment->last_offset() + 1;
  }
  co_return ErrorCode::kNone;
}

asio::awaitable<OffsetLookup> LogManager::ForTimestamp(const std::string& topic, int32_t partition,
                                                      int64_t timestamp) {
  OffsetLookup found{ErrorCode::kNone, -1, -1};
  const RecordScan scan{
      .wants_batch = [&](const StoredBatch& batch) { return batch.max_timestamp >= timestamp; },
      .visit =
          [&](int64_t offset, int64_t record_timestamp) {
            if (record_timestamp < timestamp) return false;
            found.offset = offset;
            found.timestamp = record_timestamp;
            return true;
          },
  };
  found.error = co_await ScanRecords(topic, partition, scan);
  co_return found;
}

asio::awaitable<OffsetLookup> LogManager::MaxTimestamp(const std::string& topic, int32_t partition) {
  OffsetLookup best{ErrorCode::kNone, -1, -1};
  const RecordScan scan{
      .wants_batch = [&](const StoredBatch& batch) { return batch.max_timestamp > best.timestamp; },
      .visit =
          [&](int64_t offset, int64_t record_timestamp) {
            if (record_timestamp > best.timestamp) {
              best.offset = offset;
              best.timestamp = record_timestamp;
            }
            return false;
          },
  };
  best.error = co_await ScanRecords(topic, partition, scan);
  co_return best;
}

void LogManager::ForEachPartition(const std::function<void(const PartitionStats&)>& visit) const {
  for (const auto& [key, p] : partitions_) {
    visit(PartitionStats{p->topic, p->index, p->log_start_offset, p->high_watermark,
                            p->appended_bytes});
  }
}

bool LogManager::AddWaiter(const std::string& topic, int32_t partition, AsyncEvent* event) {
  Partition* p = Find(topic, partition);
  if (!p) return false;
  p->data_waiters.Add(event);
  return true;
}

void LogManager::RemoveWaiter(const std::string& topic, int32_t partition, AsyncEvent* event) {
  if (Partition* p = Find(topic, partition)) p->data_waiters.Remove(event);
}

void LogManager::ForgetTopic(const cluster::TopicInfo& info) {
  for (int32_t index = 0; index < info.partitions; ++index) {
    auto it = partitions_.find(PartitionKey(info.name, index));
    if (it == partitions_.end()) continue;
    it->second->dropped = true;
    DropPending(*it->second, Status::NotFound("topic was deleted"));
    it->second->data_waiters.NotifyAll();
    partitions_.erase(it);
  }
  cache_.ErasePrefix(options_.object_namespace + "/" + info.name + "/");
}

asio::awaitable<Status> LogManager::DropTopicData(const cluster::TopicInfo& info) {
  ForgetTopic(info);
  const std::string prefix = options_.object_namespace + "/" + info.name + "/";
  auto work = [this, prefix] {
    std::vector<ObjectInfo> objects;
    Status s = ListAll(objects_, prefix, &objects);
    std::vector<std::string> keys;
    for (const ObjectInfo& o : objects) keys.push_back(o.key);
    for (size_t i = 0; s.ok() && i < keys.size(); i += 1000) {
      std::vector<std::string> chunk(keys.begin() + i, keys.begin() + std::min(keys.size(), i + 1000));
      s = objects_.DeleteBatch(chunk);
    }
    return s;
  };
  co_return co_await RunBlocking(pool_, work);
}

asio::awaitable<void> LogManager::MaintenanceLoop() {
  bool behind = false;
  while (!stopping_) {
    // Partitions that gathered more than a segment during a pass, or WAL
    // data still filling half the cache, are compacted again at once:
    // waiting would let them outgrow the cache.
    maintenance_timer_.expires_after(
        behind || compaction_wanted_ ? std::chrono::steady_clock::duration::zero()
               : std::min<std::chrono::steady_clock::duration>(
                     kMaintenancePeriod, std::max<std::chrono::steady_clock::duration>(
                                             options_.compaction_interval, std::chrono::milliseconds(10))));
    boost::system::error_code ec;
    co_await maintenance_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    compaction_wanted_ = false;
    const auto now = std::chrono::steady_clock::now();
    const std::vector<std::shared_ptr<Partition>> due = PartitionsToCompact(now);
    behind = false;
    // A few partitions at a time: each compaction waits mostly on its
    // uploads and commit, and holds its WAL ranges in memory.
    bool progressed = false;
    for (size_t first = 0; first < due.size() && !stopping_; first += kMaxConcurrentCompactions) {
      const size_t end = std::min(due.size(), first + kMaxConcurrentCompactions);
      std::vector<int64_t> wal_starts;
      std::vector<asio::awaitable<void>> compactions;
      for (size_t i = first; i < end; ++i) {
        wal_starts.push_back(due[i]->wal_start);
        compactions.push_back(Compact(due[i]));
      }
      co_await AwaitAll(std::move(compactions));
      for (size_t i = first; i < end; ++i) progressed = progressed || due[i]->wal_start != wal_starts[i - first];
    }
    // Only after progress: a partition that cannot move now must not spin.
    behind = progressed && !PartitionsToCompact(std::chrono::steady_clock::now()).empty();
    // Collection runs beside compaction: deleting thousands of objects
    // must not hold compaction back. It also runs as soon as compaction
    // freed kGarbageToCollect: deleting a few at a time spreads the disk's
    // work (a burst of thousands stalled flushes for seconds), and the
    // embedded store recycles that many objects' files without freeing
    // their blocks.
    const bool much_garbage = counters_.compacted_bytes - compacted_bytes_at_collection_ >= kGarbageToCollect;
    if (!stopping_ && !collecting_garbage_ && (now >= next_garbage_collection_ || much_garbage)) {
      compacted_bytes_at_collection_ = counters_.compacted_bytes;
      next_garbage_collection_ =
          now + std::max<std::chrono::steady_clock::duration>(options_.compaction_interval, std::chrono::seconds(1));
      collecting_garbage_ = true;
      asio::co_spawn(executor_, [this]() { return CollectWalGarbage(); }, AbortOnException{"write-ahead garbage collection"});
    }
  }
  maintenance_running_ = false;
}

void LogManager::WakeCompactor() {
  compaction_wanted_ = true;
  maintenance_timer_.cancel();
}

bool LogManager::CanCompact(const Partition& p, std::chrono::steady_clock::time_point now) const {
  if (!p.owner || p.handing_over || p.dropped || p.compacting || now < p.compaction_retry_at) return false;
  auto oldest = p.extents.lower_bound(p.wal_start);
  return oldest != p.extents.end() && oldest->second.in_wal;
}

bool LogManager::CompactionDue(const Partition& p, std::chrono::steady_clock::time_point now) const {
  const Extent& oldest = p.extents.lower_bound(p.wal_start)->second;
  return now - oldest.learned >= options_.compaction_interval || p.wal_bytes >= options_.compacted_segment_bytes;
}

std::vector<std::shared_ptr<LogManager::Partition>> LogManager::PartitionsToCompact(
    std::chrono::steady_clock::time_point now) const {
  // What a compaction of `p` takes out of the cache's WAL data: its oldest
  // compacted_segment_bytes (charged like the rest of its WAL data).
  const auto compacted_charge = [this](const Partition& p) {
    return p.wal_bytes <= options_.compacted_segment_bytes
               ? p.wal_cache_charge
               : p.wal_cache_charge * options_.compacted_segment_bytes / p.wal_bytes;
  };
  std::vector<std::shared_ptr<Partition>> due;
  std::vector<std::shared_ptr<Partition>> not_due;  // but compactable
  uint64_t left_in_cache = 0;  // WAL data's cache charge after the due compactions
  for (const auto& [key, p] : partitions_) {
    left_in_cache += p->wal_cache_charge;
    if (!CanCompact(*p, now)) continue;
    if (CompactionDue(*p, now)) {
      due.push_back(p);
      left_in_cache -= compacted_charge(*p);
    } else {
      not_due.push_back(p);
    }
  }
  // WAL data is compacted from the cache. When it would take more than half
  // of it, the largest partitions go too, before their ranges are evicted
  // and have to be read back from the store. (The other half leaves room for
  // data arriving while these compactions run, and for readers.)
  const uint64_t cache_share = options_.cache_bytes / 2;
  if (cache_share == 0 || left_in_cache <= cache_share) return due;
  std::sort(not_due.begin(), not_due.end(),
            [](const auto& a, const auto& b) { return a->wal_cache_charge > b->wal_cache_charge; });
  for (const std::shared_ptr<Partition>& p : not_due) {
    if (left_in_cache <= cache_share) break;
    due.push_back(p);
    left_in_cache -= compacted_charge(*p);
  }
  return due;
}

asio::awaitable<void> LogManager::Compact(std::shared_ptr<Partition> p) {
  if (!p->owner || p->compacting) co_return;
  p->compacting = true;
  const int64_t from = p->wal_start;
  const cluster::OwnershipToken token = *p->owner;
  // The oldest WAL ranges, contiguous, up to about a segment's worth.
  std::vector<int64_t> bases;
  int64_t end = from;
  SegmentPlan cut;
  for (auto it = p->extents.find(from); it != p->extents.end() && it->second.in_wal && it->first == end;
       ++it) {
    bases.push_back(it->first);
    end = it->second.last_offset + 1;
    if (cut.AddRange(it->second.length, options_.compacted_segment_bytes)) break;
  }
  std::vector<std::shared_ptr<const LoadedSegment>> ranges;
  Status status;
  for (int64_t base : bases) {
    if (stopping_ || p->dropped || !p->extents.count(base)) {
      status = Status::Aborted("partition changed or broker stopping during compaction");
      break;
    }
    auto loaded = co_await LoadSegment(*p, base, &status);
    if (!loaded) break;
    ranges.push_back(std::move(loaded));
  }
  if (bases.empty() || !status.ok()) {
    if (!status.ok()) {
      // A deleted topic's compaction is expected to stop half-way.
      spdlog::log(p->dropped ? spdlog::level::debug : spdlog::level::warn,
                  "compaction skipped topic={} partition={} error=\"{}\"", p->topic, p->index, status.ToString());
      p->compaction_retry_at = std::chrono::steady_clock::now() + kCompactionRetryDelay;
    }
    p->compacting = false;
    co_return;
  }
  const std::string key = SegmentKey(options_.object_namespace, p->topic, p->index, from);
  const std::string index_key = IndexKey(options_.object_namespace, p->topic, p->index, from);
  const std::string start_key = keys::WalStartKey(p->topic, p->index);
  const UploadTarget target{p->topic, p->index, from, token};
  auto work = [&]() {
    std::pair<Status, uint64_t> out;  // and the segment's size
    SegmentBuilder builder(kIndexInterval);
    for (const auto& range : ranges) {
      for (const StoredBatch& batch : range->batches) {
        out.first = builder.Add(batch.bytes);
        if (!out.first.ok()) return out;
      }
    }
    Result<EncodedSegment> built = builder.Finish(NowMs());
    if (!built.ok()) {
      out.first = built.status();
      return out;
    }
    const std::vector<std::string_view> pieces = built->Pieces();
    out.first = PutCreateOnly(target, key, ObjectBody(pieces));
    if (out.first.ok()) out.first = PutCreateOnly(target, index_key, built->index);
    if (!out.first.ok()) return out;
    // The boundary moves in one fenced step; the WAL ranges it passes are
    // collected with their objects later.
    TxnResult txn;
    out.first = metadata_.Txn(
        {LeaseHeld(p->topic, p->index, token), Compare::ValueEquals(start_key, FormatNextOffset(from))},
        {TxnOp::Put(start_key, FormatNextOffset(end)),
         // The original KafScale's readers know only segments: next_offset
         // stays where they end.
         TxnOp::Put(keys::NextOffsetKey(p->topic, p->index), FormatNextOffset(end))},
        {}, &txn);
    if (out.first.ok() && !txn.succeeded) {
      out.first = Status::Conflict("partition lease of " + p->topic + "-" + std::to_string(p->index) +
                                   " was lost or its WAL start moved underneath this broker");
    }
    out.second = built->size();
    return out;
  };
  auto [result, segment_size] = co_await RunBlocking(pool_, work);
  p->compacting = false;
  if (!result.ok()) {
    spdlog::log(p->dropped ? spdlog::level::debug : spdlog::level::warn,
                "compaction failed topic={} partition={} base_offset={} error=\"{}\"", p->topic, p->index, from,
                result.ToString());
    p->compaction_retry_at = std::chrono::steady_clock::now() + kCompactionRetryDelay;
    // Fenced: another broker owns the partition now.
    if (result.IsConflict()) LoseOwnership(p->topic, p->index);
    co_return;
  }
  ++counters_.segments_compacted;
  counters_.compacted_bytes += segment_size;
  if (p->dropped) co_return;
  // The segment's batches are the ranges' batches, byte for byte: the cache
  // keeps the ranges' buffers under the segment's key instead of a copy.
  auto segment = std::make_shared<LoadedSegment>();
  for (const auto& range : ranges) {
    segment->batches.insert(segment->batches.end(), range->batches.begin(), range->batches.end());
    segment->buffers.insert(segment->buffers.end(), range->buffers.begin(), range->buffers.end());
  }
  for (auto it = p->extents.lower_bound(from); it != p->extents.end() && it->first < end;) {
    if (it->second.in_wal) {
      cache_.Erase(it->second.CacheKey());
      p->wal_bytes -= it->second.length;
      p->wal_cache_charge -= it->second.cache_charge;
    }
    it = p->extents.erase(it);
  }
  p->extents[from] = Extent::Segment(key);
  p->wal_start = end;
  PlanSegments(*p);
  cache_.Insert(key, std::move(segment));
  spdlog::debug("compacted topic={} partition={} base_offset={} next_offset={} ranges={}", p->topic, p->index,
                from, end, bases.size());
}

asio::awaitable<void> LogManager::CollectWalGarbage() {
  // An object is garbage once every range its records hold is below its
  // partition's WAL start or belongs to a topic that is gone (deleted, or
  // re-created under a new id). Both only ever become true, so reading them
  // over several transactions is safe. Objects go first, then their records,
  // so a crash in between only leaves records to look at again. Work is
  // batched (many lookups per transaction, many objects per delete request)
  // and stops early at shutdown.
  const bool scan_orphans = std::chrono::steady_clock::now() >= next_orphan_scan_;
  if (scan_orphans) next_orphan_scan_ = std::chrono::steady_clock::now() + kOrphanScanPeriod;
  auto work = [this, scan_orphans] {
    std::pair<Status, uint64_t> out{Status::OK(), 0};
    // Objects are listed before records are read: an object committed after
    // the listing is not in it, one committed before has its record seen.
    std::vector<ObjectInfo> listed;
    if (scan_orphans) out.first = ListAll(objects_, AllWalKeysPrefix(options_.object_namespace), &listed);
    std::vector<KeyValue> kvs;
    if (out.first.ok()) out.first = metadata_.Range(keys::WalObjectsPrefix(), &kvs);
    if (!out.first.ok()) return out;
    // Records by object: a record key is the object's record prefix + part.
    std::map<std::string, std::vector<WalObjectRecord>> by_prefix;
    std::map<std::string, RecordPartTally> parts;  // by prefix
    for (const KeyValue& kv : kvs) {
      if (keys::IsWalIndexMarkerKey(kv.key)) continue;
      const size_t part_start = kv.key.rfind('/') + 1;
      const std::string prefix = kv.key.substr(0, part_start);
      if (auto part = keys::ParseWalObjectRecordPart(std::string_view(kv.key).substr(part_start))) {
        parts[prefix].Add(*part);
      }
      Result<WalObjectRecord> record = DecodeWalObjectRecord(kv.value);
      if (!record.ok()) {
        spdlog::error("unreadable WAL object record key={} error=\"{}\"", kv.key, record.status().ToString());
        continue;
      }
      by_prefix[prefix].push_back(std::move(*record));
    }
    // What each topic's id is now (none: the topic is gone; an unreadable
    // record keeps the topic's ranges), and where each partition's WAL starts.
    struct TopicNow {
      bool present = false;
      std::optional<std::string> id;
    };
    std::map<std::string, TopicNow> topics_now;
    std::map<PartitionKey, std::optional<int64_t>> wal_starts;
    for (const auto& [prefix, records] : by_prefix) {
      for (const WalObjectRecord& record : records) {
        for (const WalObjectRecord::Range& range : record.ranges) {
          topics_now[range.topic];
          wal_starts[PartitionKey(range.topic, range.partition)];
        }
      }
    }
    constexpr size_t kMaxGetsPerTxn = 100;
    std::vector<TxnOp> gets;
    std::vector<std::function<void(const std::vector<KeyValue>&)>> answers;  // one per get
    auto lookup = [&]() {
      TxnResult txn;
      Status status = metadata_.Txn({}, gets, {}, &txn);
      for (size_t i = 0; status.ok() && i < txn.results.size(); ++i) answers[i](txn.results[i]);
      gets.clear();
      answers.clear();
      return status;
    };
    auto get = [&](std::string key, std::function<void(const std::vector<KeyValue>&)> answer) {
      gets.push_back(TxnOp::Get(std::move(key)));
      answers.push_back(std::move(answer));
      return gets.size() == kMaxGetsPerTxn ? lookup() : Status::OK();
    };
    for (auto& [topic, now] : topics_now) {
      if (!out.first.ok() || stop_collecting_) break;
      out.first = get(keys::TopicConfigKey(topic), [&now](const std::vector<KeyValue>& found) {
        cluster::TopicInfo info;
        now.present = !found.empty();
        if (now.present && DecodeTopicRecord(found[0].value, &info).ok()) now.id = info.id.ToBase64();
      });
    }
    for (auto& [partition, start] : wal_starts) {
      if (!out.first.ok() || stop_collecting_) break;
      out.first = get(keys::WalStartKey(partition.first, partition.second), [&start](const std::vector<KeyValue>& found) {
        Result<int64_t> parsed = found.empty() ? Result<int64_t>(Status::NotFound("")) : ParseNextOffset(found[0].value);
        if (parsed.ok()) start = *parsed;
      });
    }
    if (out.first.ok() && !gets.empty()) out.first = lookup();
    if (!out.first.ok() || stop_collecting_) return out;
    auto live = [&](const WalObjectRecord::Range& range) {
      const TopicNow& topic = topics_now[range.topic];
      if (!topic.present || (topic.id && *topic.id != range.topic_id)) return false;
      // The topic was there but its WAL start is not: deleted between the
      // two reads (seen next time).
      const std::optional<int64_t>& start = wal_starts[PartitionKey(range.topic, range.partition)];
      return !start || *start <= range.last_offset;
    };
    std::vector<std::string> doomed_objects;
    std::vector<TxnOp> doomed_records;
    auto collect = [&]() {
      Status status = objects_.DeleteBatch(doomed_objects);
      TxnResult txn;
      if (status.ok()) status = metadata_.Txn({}, doomed_records, {}, &txn);
      if (status.ok()) out.second += doomed_objects.size();
      doomed_objects.clear();
      doomed_records.clear();
      return status;
    };
    const int64_t cutoff_ms = NowMs() - kOrphanAgeMs;
    for (const auto& [prefix, records] : by_prefix) {
      // A transaction of the object's flush still on its way would commit
      // ranges (and acknowledge their records) in a deleted object.
      auto tally = parts.find(prefix);
      const std::optional<int64_t> created_ms = WalObjectCreatedMs(records.front().object_key);
      if (tally != parts.end() && !tally->second.Complete() && (!created_ms || *created_ms > cutoff_ms)) {
        continue;
      }
      bool referenced = false;
      for (const WalObjectRecord& record : records) {
        referenced = referenced || std::any_of(record.ranges.begin(), record.ranges.end(), live);
      }
      if (referenced) continue;
      doomed_objects.push_back(records.front().object_key);
      doomed_records.push_back(TxnOp::DeletePrefix(prefix));
      if (doomed_records.size() == kMaxGetsPerTxn) out.first = collect();
      if (!out.first.ok() || stop_collecting_) return out;
    }
    if (!doomed_objects.empty()) out.first = collect();
    if (!out.first.ok() || listed.empty()) return out;
    // Orphans: uploaded long ago and never committed (the uploader died or
    // was fenced before its commit), so no record names them.
    std::set<std::string> recorded;
    for (const auto& [prefix, records] : by_prefix) recorded.insert(records.front().object_key);
    for (const ObjectInfo& object : listed) {
      if (recorded.count(object.key)) continue;
      const std::optional<int64_t> created_ms = WalObjectCreatedMs(object.key);
      if (!created_ms || *created_ms > cutoff_ms) continue;
      spdlog::warn("deleting a write-ahead object that was never committed key={}", object.key);
      doomed_objects.push_back(object.key);
      if (doomed_objects.size() == kMaxGetsPerTxn) {
        out.first = objects_.DeleteBatch(doomed_objects);
        out.second += doomed_objects.size();
        doomed_objects.clear();
        if (!out.first.ok()) return out;
      }
    }
    if (!doomed_objects.empty()) {
      out.first = objects_.DeleteBatch(doomed_objects);
      if (out.first.ok()) out.second += doomed_objects.size();
    }
    return out;
  };
  const auto started = std::chrono::steady_clock::now();
  auto [status, deleted] = co_await RunBlocking(pool_, work);
  counters_.wal_objects_deleted += deleted;
  if (!status.ok()) spdlog::warn("WAL garbage collection failed error=\"{}\"", status.ToString());
  spdlog::debug("collected WAL garbage objects_deleted={} seconds={:.3f}", deleted,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  collecting_garbage_ = false;
}

}  // namespace kafscale::log
