#include "metastore/embedded_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <filesystem>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

#include "metastore/record_log.h"

namespace kafscale {

using embedded::LogEntry;
using embedded::LogRecord;

namespace {

// etcd's default --max-txn-ops.
constexpr size_t kMaxTxnOps = 128;
// etcd's MaxLeaseTTL; also keeps deadline arithmetic far from overflow.
constexpr int64_t kMaxLeaseTtlSeconds = 9'000'000'000;

constexpr std::string_view kLogPrefix = "wal-";
constexpr std::string_view kLogSuffix = ".log";

bool ValidLeaseTtl(int64_t ttl_seconds) { return ttl_seconds > 0 && ttl_seconds <= kMaxLeaseTtlSeconds; }

bool HasPrefix(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Generation of a log file name "wal-<n>.log", or 0 if the name is not one.
uint64_t LogGeneration(const std::string& name) {
  if (!HasPrefix(name, kLogPrefix) || name.size() <= kLogPrefix.size() + kLogSuffix.size() ||
      name.compare(name.size() - kLogSuffix.size(), kLogSuffix.size(), kLogSuffix) != 0) {
    return 0;
  }
  std::string_view digits(name);
  digits = digits.substr(kLogPrefix.size(), digits.size() - kLogPrefix.size() - kLogSuffix.size());
  if (digits.size() > 18) return 0;  // more than we ever write; avoids overflow
  uint64_t generation = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return 0;
    generation = generation * 10 + static_cast<uint64_t>(c - '0');
  }
  return generation;
}

template <typename T>
int ThreeWay(const T& left, const T& right) {
  return left < right ? -1 : (right < left ? 1 : 0);
}

// Rejects what etcd rejects before running a branch: too many ops, empty
// keys, and a branch that writes one key twice (two puts, or a put and a
// delete covering the same key), whose result would depend on op order.
Status ValidateBranch(const std::vector<TxnOp>& ops) {
  if (ops.size() > kMaxTxnOps) {
    return Status::InvalidArgument("too many operations in txn request (limit 128)");
  }
  std::set<std::string_view> put_keys;
  for (const TxnOp& op : ops) {
    bool names_one_key = op.type == TxnOp::Type::kPut || op.type == TxnOp::Type::kDelete ||
                         op.type == TxnOp::Type::kDeleteRange || op.type == TxnOp::Type::kGet;
    if (names_one_key && op.key.empty()) return Status::InvalidArgument("key is not provided");
    if (op.type == TxnOp::Type::kDeleteRange && op.range_end.empty()) {
      return Status::InvalidArgument("range end is not provided");
    }
    if (op.type == TxnOp::Type::kPut && !put_keys.insert(op.key).second) {
      return Status::InvalidArgument("duplicate key given in txn request: " + op.key);
    }
  }
  for (const TxnOp& op : ops) {
    bool overlaps = false;
    if (op.type == TxnOp::Type::kDelete) {
      overlaps = put_keys.count(op.key) > 0;
    } else if (op.type == TxnOp::Type::kDeletePrefix) {
      auto it = put_keys.lower_bound(op.key);
      overlaps = it != put_keys.end() && HasPrefix(*it, op.key);
    } else if (op.type == TxnOp::Type::kDeleteRange) {
      auto it = put_keys.lower_bound(op.key);
      overlaps = it != put_keys.end() && *it < op.range_end;
    }
    if (overlaps) return Status::InvalidArgument("duplicate key given in txn request: " + op.key);
  }
  return Status::OK();
}

}  // namespace

class EmbeddedMetadataStore::WatchHandle final : public Watch {
 public:
  WatchHandle(EmbeddedMetadataStore* store, uint64_t id) : store_(store), id_(id) {}
  ~WatchHandle() override { store_->CancelWatch(id_); }

 private:
  EmbeddedMetadataStore* const store_;
  const uint64_t id_;
};

Result<std::unique_ptr<EmbeddedMetadataStore>> EmbeddedMetadataStore::Open(const std::string& dir) {
  return Open(dir, Options());
}

Result<std::unique_ptr<EmbeddedMetadataStore>> EmbeddedMetadataStore::Open(const std::string& dir,
                                                                           const Options& options) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Status::IOError("create directory " + dir + ": " + error.message());
  std::unique_ptr<EmbeddedMetadataStore> store(new EmbeddedMetadataStore(dir, options));
  Status status = embedded::LockFile(dir + "/LOCK", &store->lock_fd_);
  if (status.ok()) status = store->Recover();
  if (!status.ok()) return status;
  EmbeddedMetadataStore* raw = store.get();
  store->reaper_thread_ = std::thread([raw] { raw->ReapLeases(); });
  store->notifier_thread_ = std::thread([raw] { raw->NotifyWatches(); });
  return store;
}

EmbeddedMetadataStore::EmbeddedMetadataStore(std::string dir, const Options& options)
    : dir_(std::move(dir)), options_(options) {}

EmbeddedMetadataStore::~EmbeddedMetadataStore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    assert(watches_.empty() && "Watch handles must be destroyed before the store");
  }
  reaper_cv_.notify_all();
  notifier_cv_.notify_all();
  if (reaper_thread_.joinable()) reaper_thread_.join();
  if (notifier_thread_.joinable()) notifier_thread_.join();
}

std::string EmbeddedMetadataStore::LogPath(uint64_t generation) const {
  return dir_ + "/" + std::string(kLogPrefix) + std::to_string(generation) + std::string(kLogSuffix);
}

// ---------------------------------------------------------------------------
// Recovery

Status EmbeddedMetadataStore::Recover() {
  const std::string snapshot_path = dir_ + "/snapshot";
  std::string contents;
  Status status = embedded::ReadFileToString(snapshot_path, &contents);
  if (status.ok()) {
    Result<embedded::Snapshot> snapshot = embedded::DecodeSnapshotFile(contents);
    if (!snapshot.ok()) return Status::Corruption(snapshot_path + ": " + snapshot.status().message());
    revision_ = snapshot->revision;
    next_lease_id_ = snapshot->next_lease_id;
    log_generation_ = snapshot->log_generation;
    snapshot_bytes_ = contents.size();
    const Clock::time_point now = Clock::now();
    for (const embedded::SnapshotLease& lease : snapshot->leases) {
      if (!ValidLeaseTtl(lease.ttl_seconds)) return Status::Corruption(snapshot_path + ": lease with a bad TTL");
      leases_[lease.id] = Lease{lease.ttl_seconds, now + std::chrono::seconds(lease.ttl_seconds), {}};
    }
    for (KeyValue& kv : snapshot->kvs) {
      if (kv.lease != 0) {
        auto lease = leases_.find(kv.lease);
        if (lease == leases_.end()) {
          return Status::Corruption(snapshot_path + ": key bound to an unknown lease: " + kv.key);
        }
        lease->second.keys.insert(kv.key);
      }
      std::string key = kv.key;
      kvs_.emplace(std::move(key), std::move(kv));
    }
    // The snapshot holds state, not the events that produced it.
    compacted_revision_ = revision_;
  } else if (!status.IsNotFound()) {
    return status;
  }

  const std::string log_path = LogPath(log_generation_);
  status = ReplayLog(log_path);
  if (!status.ok()) return status;
  durable_revision_ = revision_;

  // Leftovers of an interrupted snapshot: the temp file and superseded logs.
  std::error_code error;
  std::filesystem::remove(snapshot_path + ".tmp", error);
  for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
    uint64_t generation = LogGeneration(entry.path().filename().string());
    if (generation != 0 && generation < log_generation_) std::filesystem::remove(entry.path(), error);
  }

  log_fd_ = embedded::UniqueFd(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log_fd_.valid()) return embedded::ErrnoError("open", log_path);
  return embedded::SyncDirectory(dir_);
}

Status EmbeddedMetadataStore::ReplayLog(const std::string& path) {
  std::string contents;
  Status status = embedded::ReadFileToString(path, &contents);
  if (status.IsNotFound()) return Status::OK();
  if (!status.ok()) return status;
  Result<embedded::ScannedLog> scanned = embedded::ScanFramedRecords(contents);
  if (!scanned.ok()) return Status::Corruption(path + ": " + scanned.status().message());
  for (std::string_view payload : scanned->payloads) {
    Result<LogRecord> record = embedded::DecodeLogRecord(payload);
    if (!record.ok()) return Status::Corruption(path + ": " + record.status().message());
    status = ApplyReplayedRecord(*record);
    if (!status.ok()) return Status::Corruption(path + ": " + status.message());
  }
  if (scanned->torn_tail) {
    spdlog::warn("metadata log {}: dropping {} bytes of an incomplete last write", path,
                 contents.size() - scanned->valid_bytes);
    status = embedded::TruncateFile(path, scanned->valid_bytes);
    if (!status.ok()) return status;
  }
  log_bytes_ = scanned->valid_bytes;
  return Status::OK();
}

Status EmbeddedMetadataStore::ApplyReplayedRecord(const LogRecord& record) {
  bool changes_keys = false;
  for (const LogEntry& entry : record.entries) {
    switch (entry.kind) {
      case LogEntry::Kind::kPut:
        if (entry.lease != 0 && leases_.count(entry.lease) == 0) {
          return Status::Corruption("put bound to an unknown lease");
        }
        changes_keys = true;
        break;
      case LogEntry::Kind::kDelete:
        changes_keys = true;
        break;
      case LogEntry::Kind::kGrantLease:
        if (!ValidLeaseTtl(entry.ttl_seconds)) return Status::Corruption("lease with a bad TTL");
        break;
      case LogEntry::Kind::kRevokeLease:
        if (leases_.count(entry.lease) == 0) return Status::Corruption("revoke of an unknown lease");
        break;
    }
  }
  if (changes_keys && record.revision <= revision_) {
    return Status::Corruption("log record revision does not advance");
  }
  for (const LogEntry& entry : record.entries) ApplyEntry(entry, record.revision);
  if (changes_keys) revision_ = record.revision;
  TrimHistory();
  return Status::OK();
}

// ---------------------------------------------------------------------------
// State changes

void EmbeddedMetadataStore::ApplyEntry(const LogEntry& entry, int64_t revision) {
  switch (entry.kind) {
    case LogEntry::Kind::kPut: {
      auto [it, inserted] = kvs_.try_emplace(entry.key);
      KeyValue& kv = it->second;
      if (inserted) {
        kv.key = entry.key;
        kv.create_revision = revision;
      }
      if (kv.lease != entry.lease) {
        if (auto old_lease = leases_.find(kv.lease); old_lease != leases_.end()) {
          old_lease->second.keys.erase(entry.key);
        }
        if (auto new_lease = leases_.find(entry.lease); new_lease != leases_.end()) {
          new_lease->second.keys.insert(entry.key);
        }
      }
      kv.value = entry.value;
      kv.lease = entry.lease;
      kv.mod_revision = revision;
      ++kv.version;
      history_.push_back(HistoryEvent{revision, WatchEvent{WatchEvent::Type::kPut, kv}});
      break;
    }
    case LogEntry::Kind::kDelete: {
      auto it = kvs_.find(entry.key);
      if (it == kvs_.end()) break;
      if (auto lease = leases_.find(it->second.lease); lease != leases_.end()) {
        lease->second.keys.erase(entry.key);
      }
      kvs_.erase(it);
      WatchEvent event;
      event.type = WatchEvent::Type::kDelete;
      event.kv.key = entry.key;
      event.kv.mod_revision = revision;
      history_.push_back(HistoryEvent{revision, std::move(event)});
      break;
    }
    case LogEntry::Kind::kGrantLease:
      leases_[entry.lease] =
          Lease{entry.ttl_seconds, Clock::now() + std::chrono::seconds(entry.ttl_seconds), {}};
      next_lease_id_ = std::max(next_lease_id_, entry.lease + 1);
      break;
    case LogEntry::Kind::kRevokeLease:
      leases_.erase(entry.lease);
      break;
  }
}

bool EmbeddedMetadataStore::LeaseIsLive(LeaseId id, Clock::time_point now) const {
  auto it = leases_.find(id);
  return it != leases_.end() && it->second.deadline > now;
}

void EmbeddedMetadataStore::RevokeLocked(LeaseId id, LogRecord* record) {
  auto lease = leases_.find(id);
  // Copied because applying the deletions edits the lease's key set.
  const std::set<std::string> keys = lease->second.keys;
  record->revision = keys.empty() ? 0 : revision_ + 1;
  for (const std::string& key : keys) {
    record->entries.push_back(LogEntry{LogEntry::Kind::kDelete, key, {}, 0, 0});
    ApplyEntry(record->entries.back(), record->revision);
  }
  record->entries.push_back(LogEntry{LogEntry::Kind::kRevokeLease, {}, {}, id, 0});
  ApplyEntry(record->entries.back(), record->revision);
  if (!keys.empty()) revision_ = record->revision;
}

// ---------------------------------------------------------------------------
// Durability

uint64_t EmbeddedMetadataStore::QueueRecord(const LogRecord& record) {
  embedded::AppendFramedRecord(embedded::EncodeLogRecord(record), &queued_records_);
  TrimHistory();
  return ++queued_sequence_;
}

Status EmbeddedMetadataStore::WaitDurable(std::unique_lock<std::mutex>& lock, uint64_t sequence) {
  while (durable_sequence_ < sequence) {
    if (!log_status_.ok()) return log_status_;
    if (syncing_) {
      durable_cv_.wait(lock);
      continue;
    }
    // Become the syncer for everything queued so far (group commit).
    syncing_ = true;
    std::string records;
    records.swap(queued_records_);
    const uint64_t batch_sequence = queued_sequence_;
    const int64_t batch_revision = revision_;
    const uint64_t next_generation = log_generation_ + 1;
    const bool start_new_log =
        log_bytes_ + records.size() > std::max(options_.snapshot_log_bytes, snapshot_bytes_);
    // The snapshot includes the queued records' effects, so they go into it
    // instead of the old log.
    const std::string snapshot_file = start_new_log ? EncodeSnapshotLocked(next_generation) : "";
    const uint64_t old_generation = log_generation_;
    lock.unlock();
    embedded::UniqueFd new_log;
    Status status = start_new_log ? WriteSnapshotAndStartLog(snapshot_file, next_generation, &new_log)
                                  : AppendToLog(records);
    if (status.ok() && start_new_log) {
      // Not fatal if it stays: recovery removes superseded logs.
      std::error_code ignored;
      std::filesystem::remove(LogPath(old_generation), ignored);
    }
    lock.lock();
    syncing_ = false;
    if (status.ok()) {
      durable_sequence_ = batch_sequence;
      durable_revision_ = batch_revision;
      if (start_new_log) {
        log_fd_ = std::move(new_log);
        log_generation_ = next_generation;
        log_bytes_ = 0;
        snapshot_bytes_ = snapshot_file.size();
      } else {
        log_bytes_ += records.size();
      }
      notifier_cv_.notify_one();
    } else {
      spdlog::error("metadata store {}: log write failed, refusing further calls: {}", dir_,
                    status.ToString());
      log_status_ = status;
    }
    durable_cv_.notify_all();
  }
  return Status::OK();
}

Status EmbeddedMetadataStore::AppendToLog(const std::string& records) {
  const std::string path = LogPath(log_generation_);
  Status status = embedded::WriteFully(log_fd_.get(), records, path);
  if (status.ok()) status = embedded::SyncFileData(log_fd_.get(), path);
  return status;
}

Status EmbeddedMetadataStore::WriteSnapshotAndStartLog(const std::string& snapshot_file,
                                                       uint64_t generation,
                                                       embedded::UniqueFd* new_log) {
  // The new log must exist before the snapshot that names it; the
  // directory fsync in ReplaceFileAtomically persists both entries.
  const std::string log_path = LogPath(generation);
  embedded::UniqueFd fd(
      ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid()) return embedded::ErrnoError("create", log_path);
  Status status = embedded::ReplaceFileAtomically(dir_, dir_ + "/snapshot", snapshot_file);
  if (!status.ok()) return status;
  *new_log = std::move(fd);
  return Status::OK();
}

std::string EmbeddedMetadataStore::EncodeSnapshotLocked(uint64_t log_generation) const {
  embedded::Snapshot snapshot;
  snapshot.revision = revision_;
  snapshot.next_lease_id = next_lease_id_;
  snapshot.log_generation = log_generation;
  snapshot.leases.reserve(leases_.size());
  for (const auto& [id, lease] : leases_) snapshot.leases.push_back({id, lease.ttl_seconds});
  snapshot.kvs.reserve(kvs_.size());
  for (const auto& [key, kv] : kvs_) snapshot.kvs.push_back(kv);
  return embedded::EncodeSnapshotFile(snapshot);
}

// ---------------------------------------------------------------------------
// Key-value API

void EmbeddedMetadataStore::RangeLocked(const std::string& prefix, std::vector<KeyValue>* out) const {
  out->clear();
  for (auto it = kvs_.lower_bound(prefix); it != kvs_.end() && HasPrefix(it->first, prefix); ++it) {
    out->push_back(it->second);
  }
}

Status EmbeddedMetadataStore::Get(const std::string& key, KeyValue* out) {
  if (key.empty()) return Status::InvalidArgument("key is not provided");
  std::unique_lock<std::mutex> lock(mu_);
  auto it = kvs_.find(key);
  const bool found = it != kvs_.end();
  KeyValue kv = found ? it->second : KeyValue();
  Status status = WaitDurable(lock, queued_sequence_);
  if (!status.ok()) return status;
  if (!found) return Status::NotFound("key not found: " + key);
  *out = std::move(kv);
  return Status::OK();
}

Status EmbeddedMetadataStore::Range(const std::string& prefix, std::vector<KeyValue>* out,
                                    int64_t* revision) {
  std::unique_lock<std::mutex> lock(mu_);
  std::vector<KeyValue> kvs;
  RangeLocked(prefix, &kvs);
  const int64_t read_revision = revision_;
  Status status = WaitDurable(lock, queued_sequence_);
  if (!status.ok()) return status;
  *out = std::move(kvs);
  if (revision != nullptr) *revision = read_revision;
  return Status::OK();
}

Status EmbeddedMetadataStore::Put(const std::string& key, const std::string& value, LeaseId lease) {
  TxnResult ignored;
  return Txn({}, {TxnOp::Put(key, value, lease)}, {}, &ignored);
}

Status EmbeddedMetadataStore::Delete(const std::string& key) {
  TxnResult ignored;
  return Txn({}, {TxnOp::Delete(key)}, {}, &ignored);
}

bool EmbeddedMetadataStore::CompareHolds(const Compare& compare) const {
  auto it = kvs_.find(compare.key);
  if (it == kvs_.end() && compare.target == Compare::Target::kValue) {
    // As etcd: a value comparison against a missing key always fails.
    return false;
  }
  // A missing key has version and revisions 0.
  const KeyValue absent;
  const KeyValue& kv = it == kvs_.end() ? absent : it->second;
  int order = 0;
  switch (compare.target) {
    case Compare::Target::kValue: order = ThreeWay(kv.value, compare.value); break;
    case Compare::Target::kVersion: order = ThreeWay(kv.version, compare.number); break;
    case Compare::Target::kCreateRevision: order = ThreeWay(kv.create_revision, compare.number); break;
    case Compare::Target::kModRevision: order = ThreeWay(kv.mod_revision, compare.number); break;
  }
  switch (compare.op) {
    case Compare::Op::kEqual: return order == 0;
    case Compare::Op::kNotEqual: return order != 0;
    case Compare::Op::kGreater: return order > 0;
    case Compare::Op::kLess: return order < 0;
  }
  return false;
}

Status EmbeddedMetadataStore::Txn(const std::vector<Compare>& compares,
                                  const std::vector<TxnOp>& success,
                                  const std::vector<TxnOp>& failure, TxnResult* result) {
  if (compares.size() > kMaxTxnOps) {
    return Status::InvalidArgument("too many compares in txn request (limit 128)");
  }
  Status status = ValidateBranch(success);
  if (status.ok()) status = ValidateBranch(failure);
  if (!status.ok()) return status;

  std::unique_lock<std::mutex> lock(mu_);
  if (!log_status_.ok()) return log_status_;
  LogRecord record;
  TxnResult outcome;
  status = RunTxnLocked(compares, success, failure, &outcome, &record);
  if (!status.ok()) return status;
  const uint64_t sequence = record.entries.empty() ? queued_sequence_ : QueueRecord(record);
  status = WaitDurable(lock, sequence);
  if (!status.ok()) return status;
  *result = std::move(outcome);
  return Status::OK();
}

Status EmbeddedMetadataStore::RunTxnLocked(const std::vector<Compare>& compares,
                                           const std::vector<TxnOp>& success,
                                           const std::vector<TxnOp>& failure, TxnResult* result,
                                           LogRecord* record) {
  const bool succeeded = std::all_of(compares.begin(), compares.end(),
                                     [this](const Compare& compare) { return CompareHolds(compare); });
  const std::vector<TxnOp>& ops = succeeded ? success : failure;
  const Clock::time_point now = Clock::now();
  for (const TxnOp& op : ops) {
    if (op.type == TxnOp::Type::kPut && op.lease != 0 && !LeaseIsLive(op.lease, now)) {
      return Status::NotFound("lease not found: " + std::to_string(op.lease));
    }
  }

  result->succeeded = succeeded;
  result->results.assign(ops.size(), {});
  const int64_t revision = revision_ + 1;
  auto apply = [&](LogEntry entry) {
    record->entries.push_back(std::move(entry));
    ApplyEntry(record->entries.back(), revision);
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    const TxnOp& op = ops[i];
    switch (op.type) {
      case TxnOp::Type::kPut:
        apply(LogEntry{LogEntry::Kind::kPut, op.key, op.value, op.lease, 0});
        break;
      case TxnOp::Type::kDelete:
        if (kvs_.count(op.key) > 0) apply(LogEntry{LogEntry::Kind::kDelete, op.key, {}, 0, 0});
        break;
      case TxnOp::Type::kDeletePrefix: {
        std::vector<KeyValue> doomed;
        RangeLocked(op.key, &doomed);
        for (const KeyValue& kv : doomed) apply(LogEntry{LogEntry::Kind::kDelete, kv.key, {}, 0, 0});
        break;
      }
      case TxnOp::Type::kDeleteRange: {
        std::vector<std::string> doomed;  // applying a delete erases from kvs_
        for (auto it = kvs_.lower_bound(op.key); it != kvs_.end() && it->first < op.range_end; ++it) {
          doomed.push_back(it->first);
        }
        for (std::string& key : doomed) apply(LogEntry{LogEntry::Kind::kDelete, std::move(key), {}, 0, 0});
        break;
      }
      case TxnOp::Type::kGet:
        if (auto it = kvs_.find(op.key); it != kvs_.end()) result->results[i].push_back(it->second);
        break;
      case TxnOp::Type::kGetPrefix:
        RangeLocked(op.key, &result->results[i]);
        break;
    }
  }
  if (!record->entries.empty()) {
    record->revision = revision;
    revision_ = revision;
  }
  result->revision = revision_;
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Leases

Status EmbeddedMetadataStore::GrantLease(int64_t ttl_seconds, LeaseId* id) {
  if (!ValidLeaseTtl(ttl_seconds)) {
    return Status::InvalidArgument("lease TTL must be in [1, 9000000000] seconds");
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (!log_status_.ok()) return log_status_;
  LogRecord record;
  record.entries.push_back(LogEntry{LogEntry::Kind::kGrantLease, {}, {}, next_lease_id_, ttl_seconds});
  ApplyEntry(record.entries.back(), 0);
  reaper_cv_.notify_one();
  Status status = WaitDurable(lock, QueueRecord(record));
  if (!status.ok()) return status;
  *id = record.entries.back().lease;
  return Status::OK();
}

Status EmbeddedMetadataStore::KeepAlive(LeaseId id) {
  std::unique_lock<std::mutex> lock(mu_);
  const Clock::time_point now = Clock::now();
  if (!LeaseIsLive(id, now)) return Status::NotFound("lease not found: " + std::to_string(id));
  Lease& lease = leases_[id];
  lease.deadline = now + std::chrono::seconds(lease.ttl_seconds);
  return WaitDurable(lock, queued_sequence_);
}

Status EmbeddedMetadataStore::RevokeLease(LeaseId id) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!log_status_.ok()) return log_status_;
  if (leases_.count(id) == 0) return Status::NotFound("lease not found: " + std::to_string(id));
  LogRecord record;
  RevokeLocked(id, &record);
  return WaitDurable(lock, QueueRecord(record));
}

void EmbeddedMetadataStore::ReapLeases() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (!log_status_.ok()) {
      // A broken store cannot record expiries; wait for shutdown.
      reaper_cv_.wait(lock, [this] { return stopping_; });
      return;
    }
    const Clock::time_point now = Clock::now();
    std::vector<LeaseId> expired;
    std::optional<Clock::time_point> next_deadline;
    for (const auto& [id, lease] : leases_) {
      if (lease.deadline <= now) {
        expired.push_back(id);
      } else if (!next_deadline || lease.deadline < *next_deadline) {
        next_deadline = lease.deadline;
      }
    }
    if (!expired.empty()) {
      uint64_t sequence = 0;
      for (LeaseId id : expired) {
        LogRecord record;
        RevokeLocked(id, &record);
        sequence = QueueRecord(record);
      }
      // A failure is recorded in log_status_ and handled on the next pass.
      WaitDurable(lock, sequence);
      continue;
    }
    if (next_deadline) {
      reaper_cv_.wait_until(lock, *next_deadline);
    } else {
      reaper_cv_.wait(lock);
    }
  }
}

// ---------------------------------------------------------------------------
// Watches

Status EmbeddedMetadataStore::WatchPrefix(const std::string& prefix, int64_t start_revision,
                                          WatchCallback callback, std::unique_ptr<Watch>* handle) {
  if (start_revision < 0) return Status::InvalidArgument("negative watch start revision");
  if (!callback) return Status::InvalidArgument("watch callback is empty");
  std::lock_guard<std::mutex> lock(mu_);
  if (start_revision != 0 && start_revision <= compacted_revision_) {
    return Status::NotFound("required revision " + std::to_string(start_revision) +
                            " has been compacted; oldest available is " +
                            std::to_string(compacted_revision_ + 1));
  }
  const uint64_t id = next_watch_id_++;
  watches_[id] = WatchState{prefix, start_revision == 0 ? revision_ + 1 : start_revision,
                            std::make_shared<WatchCallback>(std::move(callback))};
  notifier_cv_.notify_one();
  *handle = std::make_unique<WatchHandle>(this, id);
  return Status::OK();
}

void EmbeddedMetadataStore::CancelWatch(uint64_t watch_id) {
  // Released after the lock so the callback's captures are destroyed outside it.
  std::shared_ptr<WatchCallback> callback;
  std::unique_lock<std::mutex> lock(mu_);
  auto it = watches_.find(watch_id);
  if (it == watches_.end()) return;
  callback = std::move(it->second.callback);
  watches_.erase(it);
  // A callback cancelling its own watch must not wait for itself.
  if (std::this_thread::get_id() != notifier_thread_.get_id()) {
    callback_cv_.wait(lock, [&] { return delivering_watch_id_ != watch_id; });
  }
}

bool EmbeddedMetadataStore::HasUndeliveredEvents() const {
  return std::any_of(watches_.begin(), watches_.end(), [this](const auto& entry) {
    return entry.second.next_revision <= durable_revision_;
  });
}

void EmbeddedMetadataStore::TrimHistory() {
  int64_t oldest_needed = std::numeric_limits<int64_t>::max();
  for (const auto& [id, watch] : watches_) oldest_needed = std::min(oldest_needed, watch.next_revision);
  while (history_.size() > options_.watch_history_events &&
         history_.front().revision < oldest_needed) {
    compacted_revision_ = history_.front().revision;
    history_.pop_front();
  }
  // Drop whole revisions only, so a replay never starts mid-transaction.
  while (!history_.empty() && history_.front().revision <= compacted_revision_) history_.pop_front();
}

void EmbeddedMetadataStore::NotifyWatches() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    notifier_cv_.wait(lock, [this] { return stopping_ || HasUndeliveredEvents(); });
    if (stopping_) return;
    // Walk watches by id: the map may change while a callback runs unlocked.
    for (uint64_t next_id = 0;;) {
      auto it = watches_.lower_bound(next_id);
      if (it == watches_.end()) break;
      const uint64_t id = it->first;
      next_id = id + 1;
      WatchState& watch = it->second;
      if (watch.next_revision > durable_revision_) continue;
      std::vector<WatchEvent> events;
      auto event = std::lower_bound(history_.begin(), history_.end(), watch.next_revision,
                                    [](const HistoryEvent& history_event, int64_t revision) {
                                      return history_event.revision < revision;
                                    });
      for (; event != history_.end() && event->revision <= durable_revision_; ++event) {
        if (HasPrefix(event->event.kv.key, watch.prefix)) events.push_back(event->event);
      }
      watch.next_revision = durable_revision_ + 1;
      if (events.empty()) continue;
      std::shared_ptr<WatchCallback> callback = watch.callback;
      delivering_watch_id_ = id;
      lock.unlock();
      (*callback)(events);
      callback.reset();  // if the watch was cancelled meanwhile, destroy it unlocked
      lock.lock();
      delivering_watch_id_ = 0;
      callback_cv_.notify_all();
    }
    TrimHistory();
  }
}

}  // namespace kafscale
