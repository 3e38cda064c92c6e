#include "log/log_manager.h"

#include <spdlog/spdlog.h>

#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/logging.h"
#include "metastore/keys.h"
#include "storage/record_batch.h"
#include "storage/segment_format.h"
#include "storage/segment_key.h"

namespace kafscale::log {

namespace asio = boost::asio;
using kafka::ErrorCode;

namespace {
// Index entry every this many messages, as the original KafScale.
constexpr int32_t kIndexInterval = 100;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Holds while the partition lease is the one this broker's tenure took: a
// lease that expired (even if this broker took it again since) fails it.
Compare LeaseHeld(const std::string& topic, int32_t partition, const cluster::OwnershipToken& token) {
  return Compare::CreateRevisionEquals(keys::PartitionLeaseKey(topic, partition), token.lease_revision);
}

}  // namespace

struct PendingBatch {
  int64_t base_offset;
  int64_t last_offset;
  int64_t max_timestamp;
  std::string bytes;  // owned copy with the base offset assigned
};

struct LogManager::Partition {
  std::string topic;
  int32_t index = 0;
  int64_t log_start_offset = 0;
  int64_t high_watermark = 0;  // next offset that is durable (committed)
  int64_t next_offset = 0;     // next offset to assign
  std::map<int64_t, std::string> segments;  // durable segments: base offset -> object key
  bool segments_listed = false;             // `segments` is complete (listed from the store)
  std::vector<PendingBatch> pending;
  uint64_t pending_bytes = 0;
  std::shared_ptr<FlushTicket> pending_ticket;
  std::optional<cluster::OwnershipToken> owner;  // set while this broker may append and commit
  bool handing_over = false;            // giving up ownership: appends refused until flushed
  bool flushing = false;
  bool dropped = false;
  AsyncNotifier data_waiters;
};

LogManager::LogManager(asio::any_io_executor executor, asio::thread_pool& pool, ObjectStore& objects,
                       MetadataStore& metadata, LogOptions options)
    : executor_(executor),
      pool_(pool),
      objects_(objects),
      metadata_(metadata),
      options_(std::move(options)),
      cache_(options_.cache_bytes),
      flush_timer_(executor) {}

LogManager::~LogManager() = default;

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

LogManager::Partition& LogManager::AddPartition(const std::string& topic, int32_t partition) {
  auto p = std::make_shared<Partition>();
  p->topic = topic;
  p->index = partition;
  auto& slot = partitions_[PartitionKey(topic, partition)];
  slot = std::move(p);
  return *slot;
}

void LogManager::OnTopicCreated(const cluster::TopicInfo& info) { OnPartitionsAdded(info, 0); }

void LogManager::OnPartitionsAdded(const cluster::TopicInfo& info, int32_t old_count) {
  for (int32_t p = old_count; p < info.partitions; ++p) AddPartition(info.name, p);
}

asio::awaitable<Status> LogManager::Recover(const std::vector<const cluster::TopicInfo*>& topics) {
  auto work = [this] {
    std::pair<Status, std::vector<KeyValue>> out;
    out.first = metadata_.Range(keys::TopicsPrefix(), &out.second);
    return out;
  };
  auto [status, kvs] = co_await RunBlocking(pool_, work);
  if (!status.ok()) co_return status;
  for (const cluster::TopicInfo* topic : topics) {
    for (int32_t index = 0; index < topic->partitions; ++index) AddPartition(topic->name, index);
  }
  // Segments are listed when a partition is first read or taken over, so
  // start-up costs no object-store request however much data there is.
  for (const KeyValue& kv : kvs) {
    std::optional<keys::TopicPartition> partition = keys::ParseNextOffsetKey(kv.key);
    Partition* p = partition ? Find(partition->topic, partition->partition) : nullptr;
    if (!p) continue;
    auto parsed = ParseNextOffset(kv.value);
    if (!parsed.ok()) co_return Status::Corruption(kv.key + ": " + parsed.status().message());
    p->high_watermark = p->next_offset = *parsed;
  }
  spdlog::info("recovered partitions={}", partitions_.size());
  co_return Status::OK();
}

void LogManager::Start() {
  asio::co_spawn(executor_, [this]() { return FlushLoop(); }, asio::detached);
}

asio::awaitable<void> LogManager::FlushLoop() {
  while (!stopping_) {
    flush_timer_.expires_after(options_.flush_interval);
    boost::system::error_code ec;
    co_await flush_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) co_return;
    for (auto& [key, p] : partitions_) MaybeStartFlush(*p);
  }
}

asio::awaitable<void> LogManager::Shutdown() {
  stopping_ = true;
  flush_timer_.cancel();
  std::vector<std::shared_ptr<Partition>> all;
  for (auto& [key, p] : partitions_) {
    MaybeStartFlush(*p);  // every partition's flush at once, then wait for each
    all.push_back(p);
  }
  for (const std::shared_ptr<Partition>& p : all) co_await Drain(p);
}

asio::awaitable<void> LogManager::Drain(const std::shared_ptr<Partition>& p) {
  while (p->flushing || (p->owner && !p->pending.empty())) {
    MaybeStartFlush(*p);
    asio::steady_timer wait(executor_, std::chrono::milliseconds(5));
    boost::system::error_code ec;
    co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
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
  for (const ValidatedBatch& batch : batches) {
    PendingBatch pending;
    pending.bytes.assign(data.substr(batch.position, batch.size));
    pending.base_offset = p->next_offset;
    pending.last_offset = p->next_offset + batch.header.last_offset_delta;
    pending.max_timestamp = batch.header.max_timestamp;
    SetBaseOffset(pending.bytes.data(), pending.base_offset);
    p->next_offset = pending.last_offset + 1;
    p->pending_bytes += pending.bytes.size();
    buffered_bytes_ += pending.bytes.size();
    p->pending.push_back(std::move(pending));
  }
  if (!p->pending_ticket) p->pending_ticket = std::make_shared<FlushTicket>();
  result.ticket = p->pending_ticket;
  result.log_start_offset = p->log_start_offset;
  if (p->pending_bytes >= options_.segment_bytes) MaybeStartFlush(*p);
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

void LogManager::MaybeStartFlush(Partition& p) {
  if (p.flushing || p.pending.empty() || p.dropped || !p.owner) return;
  p.flushing = true;
  auto self = partitions_.at(PartitionKey(p.topic, p.index));
  asio::co_spawn(executor_, [this, self]() { return Flush(self); }, asio::detached);
}

asio::awaitable<void> LogManager::Flush(std::shared_ptr<Partition> p) {
  // Started from MaybeStartFlush, but the partition may have lost its owner
  // or its buffered batches since.
  if (p->pending.empty() || !p->owner || p->dropped) {
    p->flushing = false;
    co_return;
  }
  std::vector<PendingBatch> batches = std::move(p->pending);
  p->pending.clear();
  const uint64_t flushing_bytes = p->pending_bytes;
  p->pending_bytes = 0;
  std::shared_ptr<FlushTicket> ticket = std::move(p->pending_ticket);
  const int64_t base = batches.front().base_offset;
  const int64_t next = batches.back().last_offset + 1;
  const int64_t previous_committed = p->high_watermark;
  const std::string key = SegmentKey(options_.object_namespace, p->topic, p->index, base);
  const std::string index_key = IndexKey(options_.object_namespace, p->topic, p->index, base);
  const std::string offset_key = keys::NextOffsetKey(p->topic, p->index);
  const cluster::OwnershipToken token = *p->owner;
  const UploadTarget target{p->topic, p->index, base, token};

  auto work = [&]() {
    std::pair<Status, std::shared_ptr<LoadedSegment>> out;
    SegmentBuilder builder(kIndexInterval);
    for (const PendingBatch& b : batches) {
      out.first = builder.Add(b.bytes);
      if (!out.first.ok()) return out;
    }
    Result<EncodedSegment> built = builder.Finish(NowMs());
    if (!built.ok()) {
      out.first = built.status();
      return out;
    }
    std::string segment_bytes = built->Flatten();
    out.first = PutCreateOnly(target, key, segment_bytes);
    if (out.first.ok()) out.first = PutCreateOnly(target, index_key, built->index);
    if (out.first.ok()) {
      TxnResult txn;
      // Fenced compare-and-swap: this broker's tenure still holds the lease,
      // and the committed offset is the one this flush follows (absent
      // before the first flush).
      const Compare unchanged = previous_committed == 0
                                    ? Compare::Absent(offset_key)
                                    : Compare::ValueEquals(offset_key, FormatNextOffset(previous_committed));
      out.first = metadata_.Txn({LeaseHeld(p->topic, p->index, token), unchanged},
                                {TxnOp::Put(offset_key, FormatNextOffset(next))}, {}, &txn);
      if (out.first.ok() && !txn.succeeded) {
        out.first = Status::Conflict("partition lease of " + p->topic + "-" + std::to_string(p->index) +
                                     " was lost or its next offset changed underneath this broker");
      }
    }
    if (out.first.ok()) {
      auto loaded = std::make_shared<LoadedSegment>();
      auto bytes = std::make_shared<const std::string>(std::move(segment_bytes));
      size_t position = kSegmentHeaderSize;
      for (const PendingBatch& b : batches) {
        loaded->batches.push_back(StoredBatch{b.base_offset, b.last_offset, b.max_timestamp,
                                              std::string_view(bytes->data() + position, b.bytes.size())});
        position += b.bytes.size();
      }
      loaded->bytes = std::move(bytes);
      out.second = std::move(loaded);
    }
    return out;
  };
  auto [status, segment] = co_await RunBlocking(pool_, work);

  p->flushing = false;
  if (p->dropped) {
    ticket->status = Status::NotFound("topic was deleted");
  } else if (status.ok()) {
    p->segments[base] = key;
    p->high_watermark = next;
    cache_.Insert(key, std::move(segment));
    ticket->status = Status::OK();
    p->data_waiters.NotifyAll();
  } else {
    spdlog::error("flush failed topic={} partition={} base_offset={} error=\"{}\"", p->topic, p->index, base,
                  status.ToString());
    ticket->status = status;
    // Nothing after the committed offset is durable: drop what was buffered
    // meanwhile too, so offsets are reassigned without gaps. Its producers
    // get the same error and retry.
    DropPending(*p, status);
    // Fenced, or this broker's view of the partition is stale: stop writing;
    // ownership is taken again from scratch if this broker should have it.
    if (status.IsConflict()) p->owner.reset();
  }
  ticket->done = true;
  ticket->notifier.NotifyAll();
  ReleaseBuffer(flushing_bytes);
  if (!p->pending.empty() && (stopping_ || p->pending_bytes >= options_.segment_bytes)) MaybeStartFlush(*p);
}

void LogManager::ReleaseBuffer(uint64_t bytes) {
  buffered_bytes_ -= bytes;
  if (buffered_bytes_ < options_.max_buffered_bytes) buffer_space_.NotifyAll();
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
  p.pending.clear();
  ReleaseBuffer(p.pending_bytes);
  p.pending_bytes = 0;
  p.next_offset = p.high_watermark;
}

Status LogManager::PutCreateOnly(const UploadTarget& target, const std::string& key, std::string_view data) {
  Status status = objects_.PutIfAbsent(key, data);
  if (!status.IsAlreadyExists()) return status;
  // Someone uploaded this base without committing it (an earlier owner that
  // died or was fenced mid-flush), or it was committed and this broker's view
  // is stale. Only the lease holder commits, so while the lease still holds
  // and the committed offset is at or below `base`, the object is garbage.
  TxnResult txn;
  const std::string offset_key = keys::NextOffsetKey(target.topic, target.partition);
  status = metadata_.Txn({LeaseHeld(target.topic, target.partition, target.token)}, {TxnOp::Get(offset_key)}, {},
                         &txn);
  if (!status.ok()) return status;
  if (!txn.succeeded) return Status::Conflict("partition lease lost while uploading " + key);
  int64_t committed = 0;
  if (!txn.results.empty() && !txn.results[0].empty()) {
    auto parsed = ParseNextOffset(txn.results[0][0].value);
    if (!parsed.ok()) return parsed.status();
    committed = *parsed;
  }
  if (committed > target.base) {
    return Status::Conflict(key + " is already committed (next offset " + std::to_string(committed) +
                            "): this broker's view of the partition is stale");
  }
  spdlog::warn("replacing an uncommitted upload left by an earlier owner key={}", key);
  status = objects_.DeleteBatch({key});
  if (status.ok()) status = objects_.PutIfAbsent(key, data);
  if (status.IsAlreadyExists()) return Status::Conflict(key + " was uploaded again by another broker");
  return status;
}

asio::awaitable<Status> LogManager::ReloadSegments(const std::shared_ptr<Partition>& p) {
  const std::string prefix = PartitionPrefix(p->topic, p->index);
  auto work = [this, prefix] {
    std::pair<Status, std::vector<ObjectInfo>> out;
    out.first = ListAll(objects_, prefix, &out.second);
    return out;
  };
  auto [status, objects] = co_await RunBlocking(pool_, work);
  if (!status.ok()) co_return status;
  std::set<std::string> index_keys;
  for (const ObjectInfo& object : objects) {
    if (object.key.ends_with(".index")) index_keys.insert(object.key);
  }
  std::map<int64_t, std::string> segments;
  for (const ObjectInfo& object : objects) {
    ParsedSegmentKey parsed;
    if (!ParseSegmentKey(object.key, &parsed).ok() || parsed.kind != SegmentObjectKind::kSegment) continue;
    if (parsed.base_offset >= p->high_watermark) continue;  // uploaded, never committed
    if (!index_keys.count(IndexKey(options_.object_namespace, p->topic, p->index, parsed.base_offset))) {
      spdlog::error("segment has no index; it will not be served key={}", object.key);
      continue;
    }
    segments[parsed.base_offset] = object.key;
  }
  if (segments.empty() && p->high_watermark > p->log_start_offset) {
    static RateLimitedLog missing(1, std::chrono::seconds(60));
    missing.Log(p->topic + "-" + std::to_string(p->index), LogLevel::kError,
                "partition has committed offsets but no segments",
                {{"topic", p->topic}, {"partition", std::to_string(p->index)},
                 {"high_watermark", std::to_string(p->high_watermark)}});
  }
  p->segments = std::move(segments);
  p->segments_listed = true;
  co_return Status::OK();
}

asio::awaitable<Status> LogManager::TakeOwnership(const std::string& topic, int32_t partition,
                                                  const cluster::OwnershipToken& token) {
  std::shared_ptr<Partition> p = Shared(topic, partition);
  if (!p) co_return Status::NotFound("unknown partition " + topic + "-" + std::to_string(partition));
  const std::string offset_key = keys::NextOffsetKey(topic, partition);
  auto work = [this, offset_key] {
    std::pair<Status, int64_t> out{Status::OK(), 0};
    KeyValue kv;
    Status s = metadata_.Get(offset_key, &kv);
    if (s.IsNotFound()) return out;
    out.first = s;
    if (s.ok()) {
      auto parsed = ParseNextOffset(kv.value);
      out.first = parsed.status();
      if (parsed.ok()) out.second = *parsed;
    }
    return out;
  };
  auto [status, committed] = co_await RunBlocking(pool_, work);
  if (!status.ok()) co_return status;
  if (p->dropped) co_return Status::NotFound("topic " + topic + " was deleted");
  if (committed != p->high_watermark || !p->segments_listed) {
    p->high_watermark = committed;
    status = co_await ReloadSegments(p);
    if (!status.ok()) co_return status;
  }
  // A crash most likely damaged the newest segment: check it before
  // appending after it (older ones are checked when first read).
  if (!p->segments.empty()) {
    Status verified;
    co_await LoadSegment(*p, p->segments.rbegin()->first, &verified);
    if (!verified.ok()) {
      spdlog::error("newest segment failed verification topic={} partition={} error=\"{}\"", topic, partition,
                    verified.ToString());
    }
  }
  p->next_offset = p->high_watermark;
  p->owner = token;
  p->handing_over = false;
  p->data_waiters.NotifyAll();
  spdlog::info("took ownership topic={} partition={} leader_epoch={} next_offset={}", topic, partition,
               token.leader_epoch, p->high_watermark);
  co_return Status::OK();
}

asio::awaitable<void> LogManager::GiveUpOwnership(const std::string& topic, int32_t partition) {
  std::shared_ptr<Partition> p = Shared(topic, partition);
  if (!p || !p->owner) co_return;
  p->handing_over = true;
  co_await Drain(p);
  p->owner.reset();
  p->handing_over = false;
  spdlog::info("gave up ownership topic={} partition={} next_offset={}", topic, partition, p->high_watermark);
}

void LogManager::LoseOwnership(const std::string& topic, int32_t partition) {
  Partition* p = Find(topic, partition);
  if (!p || !p->owner) return;
  p->owner.reset();
  p->handing_over = false;
  DropPending(*p, Status::Conflict("partition lease lost"));
  spdlog::warn("lost ownership topic={} partition={}", topic, partition);
}

std::optional<cluster::OwnershipToken> LogManager::Owner(const std::string& topic, int32_t partition) const {
  Partition* p = Find(topic, partition);
  if (!p || p->handing_over) return std::nullopt;
  return p->owner;
}

void LogManager::OnCommittedOffset(const std::string& topic, int32_t partition, int64_t next_offset) {
  Partition* p = Find(topic, partition);
  if (!p || p->owner || next_offset <= p->high_watermark) return;
  // Each commit covers one segment starting at the previous next offset. A
  // missed commit shows up as a gap that Read fills by listing.
  if (p->segments_listed) {
    p->segments[p->high_watermark] = SegmentKey(options_.object_namespace, topic, partition, p->high_watermark);
  }
  p->high_watermark = p->next_offset = next_offset;
  p->data_waiters.NotifyAll();
}

asio::awaitable<std::shared_ptr<const LoadedSegment>> LogManager::LoadSegment(Partition& p, int64_t base,
                                                                               Status* status) {
  const std::string key = p.segments.at(base);
  if (auto cached = cache_.Get(key)) co_return cached;
  auto work = [this, key]() {
    std::pair<Status, std::shared_ptr<LoadedSegment>> out;
    auto bytes = std::make_shared<std::string>();
    out.first = objects_.Get(key, bytes.get());
    SegmentView parsed;
    if (out.first.ok()) out.first = ParseSegment(*bytes, &parsed);
    if (out.first.ok()) {
      auto loaded = std::make_shared<LoadedSegment>();
      for (size_t i = 0; i < parsed.batches.size() && out.first.ok(); ++i) {
        RecordBatchHeader header;
        out.first = ParseBatchHeader(parsed.Batch(i), &header);
        loaded->batches.push_back(StoredBatch{parsed.batches[i].base_offset, parsed.batches[i].last_offset,
                                              header.max_timestamp, parsed.Batch(i)});
      }
      loaded->bytes = std::move(bytes);
      out.second = std::move(loaded);
    }
    return out;
  };
  auto [s, segment] = co_await RunBlocking(pool_, work);
  if (s.ok() && segment->base_offset() != base) {
    s = Status::Corruption("segment " + key + " starts at offset " + std::to_string(segment->base_offset()));
  }
  if (!s.ok()) {
    spdlog::error("segment cannot be served key={} error=\"{}\"", key, s.ToString());
    *status = s;
    co_return nullptr;
  }
  cache_.Insert(key, segment);
  *status = Status::OK();
  co_return segment;
}

void LogManager::ReadAhead(const std::shared_ptr<Partition>& p, int64_t base) {
  auto it = p->segments.upper_bound(base);
  for (size_t n = 0; n < options_.readahead_segments && it != p->segments.end(); ++n, ++it) {
    if (prefetching_.count(it->second) || cache_.Contains(it->second)) continue;
    prefetching_.insert(it->second);
    const int64_t next = it->first;
    asio::co_spawn(executor_, [this, p, next]() { return Prefetch(p, next); }, asio::detached);
  }
}

asio::awaitable<void> LogManager::Prefetch(std::shared_ptr<Partition> p, int64_t base) {
  const std::string key = p->segments.count(base) ? p->segments.at(base) : std::string();
  if (!key.empty() && !p->dropped) {
    Status status;
    co_await LoadSegment(*p, base, &status);
  }
  prefetching_.erase(key);
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
  if (!p->segments_listed && offset < p->high_watermark) {
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
    auto next = p->segments.upper_bound(position);
    Status status = Status::NotFound("no segment holds offset " + std::to_string(position));
    std::shared_ptr<const LoadedSegment> segment;
    if (next != p->segments.begin()) segment = co_await LoadSegment(*p, std::prev(next)->first, &status);
    if (segment && segment->last_offset() < position) {
      segment.reset();
      status = Status::NotFound("no segment holds offset " + std::to_string(position));
    }
    if (!segment && status.IsNotFound() && !reloaded) {
      // A committed offset learned without its segment (a commit this broker
      // missed): list the partition's segments once and look again.
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
      result.records.slices.push_back(kafka::SharedSlice{segment->bytes, batch.bytes});
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
  std::shared_ptr<Partition> p;
  if (auto it = partitions_.find(PartitionKey(topic, partition)); it != partitions_.end()) p = it->second;
  if (!p) co_return ErrorCode::kUnknownTopicOrPartition;
  if (!p->segments_listed) {
    Status listed = co_await ReloadSegments(p);
    if (!listed.ok()) co_return ErrorCode::kKafkaStorageError;
  }
  std::vector<int64_t> bases;
  for (const auto& [base, key] : p->segments) bases.push_back(base);
  for (int64_t base : bases) {
    if (p->dropped || !p->segments.count(base)) break;
    Status status;
    auto segment = co_await LoadSegment(*p, base, &status);
    if (!segment) co_return ErrorCode::kKafkaStorageError;
    for (const StoredBatch& batch : segment->batches) {
      if (batch.base_offset < p->log_start_offset || !scan.wants_batch(batch)) continue;
      std::vector<Record> records;
      RecordBatchHeader header;
      if (!ParseBatchHeader(batch.bytes, &header).ok() || !DecodeRecords(batch.bytes, &records).ok()) {
        co_return ErrorCode::kKafkaStorageError;
      }
      for (const Record& record : records) {
        if (scan.visit(batch.base_offset + record.offset_delta, header.base_timestamp + record.timestamp_delta)) {
          co_return ErrorCode::kNone;
        }
      }
    }
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
    visit(PartitionStats{p->topic, p->index, p->log_start_offset, p->high_watermark, p->pending_bytes});
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

}  // namespace kafscale::log
