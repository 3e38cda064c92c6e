// EmbeddedMetadataStore: an in-process MetadataStore with etcd's semantics,
// made crash-safe by a write-ahead log in a local directory. Used when no
// etcd is configured (one broker process owns the directory).
//
// Files in `dir`: LOCK (flock held while open), wal-<generation>.log
// (framed records, see record_log.h), snapshot (state at some revision plus
// the generation of the log that continues from it).
//
// Every mutation is appended to the log and fsynced before the call
// returns; concurrent callers share one fsync (group commit). When the log
// grows past Options::snapshot_log_bytes the state is written to a new
// snapshot and a fresh log is started. Reads wait until what they saw is
// durable, so no caller ever observes a write that a crash could undo.
//
// Threads: a lease reaper (expires leases, deleting their keys as one
// revision) and a watch notifier (runs watch callbacks, outside the lock).
// One mutex guards all state. After a log write fails the store is broken:
// every later call returns that IOError; reopen to recover.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "metastore/durable_file.h"
#include "metastore/embedded_records.h"
#include "metastore/metadata_store.h"

namespace kafscale {

class EmbeddedMetadataStore final : public MetadataStore {
 public:
  struct Options {
    // Log size after which the next commit writes a snapshot and a new log.
    size_t snapshot_log_bytes = 8 << 20;
    // Watch history kept in memory for WatchPrefix from an older revision.
    // Events a live watch still has to deliver are kept beyond this bound.
    size_t watch_history_events = 4096;
  };

  // Opens (creating if needed) the store in `dir`. Replays snapshot + log;
  // an incomplete last log record is dropped with a warning. Corruption if
  // a record before the end is damaged or the snapshot is unreadable;
  // Unavailable if another process has the directory open; IOError for
  // file system failures. Leases come back with their full TTL from now.
  static Result<std::unique_ptr<EmbeddedMetadataStore>> Open(const std::string& dir);
  static Result<std::unique_ptr<EmbeddedMetadataStore>> Open(const std::string& dir,
                                                             const Options& options);

  // Stops the background threads (waiting for a running watch callback) and
  // closes the files. Every Watch handle must already be destroyed, and no
  // other call may be running.
  ~EmbeddedMetadataStore() override;

  Status Get(const std::string& key, KeyValue* out) override;
  Status Range(const std::string& prefix, std::vector<KeyValue>* out,
               int64_t* revision = nullptr) override;
  Status Put(const std::string& key, const std::string& value, LeaseId lease = 0) override;
  Status Delete(const std::string& key) override;
  Status Txn(const std::vector<Compare>& compares, const std::vector<TxnOp>& success,
             const std::vector<TxnOp>& failure, TxnResult* result) override;
  Status GrantLease(int64_t ttl_seconds, LeaseId* id) override;
  Status KeepAlive(LeaseId id) override;
  Status RevokeLease(LeaseId id) override;
  Status WatchPrefix(const std::string& prefix, int64_t start_revision, WatchCallback callback,
                     std::unique_ptr<Watch>* handle) override;

 private:
  using Clock = std::chrono::steady_clock;
  class WatchHandle;

  struct Lease {
    int64_t ttl_seconds = 0;
    Clock::time_point deadline;
    std::set<std::string> keys;
  };

  struct WatchState {
    std::string prefix;
    int64_t next_revision = 0;  // first revision not yet delivered
    // Shared so a running callback outlives the cancellation of its watch.
    std::shared_ptr<WatchCallback> callback;
  };

  struct HistoryEvent {
    int64_t revision = 0;
    WatchEvent event;
  };

  EmbeddedMetadataStore(std::string dir, const Options& options);

  // Open() steps, run before the threads start.
  Status Recover();
  Status ReplayLog(const std::string& path);
  Status ApplyReplayedRecord(const embedded::LogRecord& record);

  // Applies one entry to the in-memory state at `revision`. Shared by the
  // live path and replay so both build identical state.
  void ApplyEntry(const embedded::LogEntry& entry, int64_t revision);
  bool LeaseIsLive(LeaseId id, Clock::time_point now) const;
  // Deletes a lease's keys (one new revision if there are any) and the
  // lease itself, describing the change in *record.
  void RevokeLocked(LeaseId id, embedded::LogRecord* record);
  // Queues for the log a record whose effects are already applied, and
  // returns the sequence number to wait on.
  uint64_t QueueRecord(const embedded::LogRecord& record);
  // Blocks until every record up to `sequence` is durable, writing and
  // fsyncing the queued records itself if no other caller is doing so.
  Status WaitDurable(std::unique_lock<std::mutex>& lock, uint64_t sequence);
  Status AppendToLog(const std::string& records);
  Status WriteSnapshotAndStartLog(const std::string& snapshot_file, uint64_t generation,
                                  embedded::UniqueFd* new_log);
  std::string EncodeSnapshotLocked(uint64_t log_generation) const;
  std::string LogPath(uint64_t generation) const;

  Status RunTxnLocked(const std::vector<Compare>& compares, const std::vector<TxnOp>& success,
                      const std::vector<TxnOp>& failure, TxnResult* result,
                      embedded::LogRecord* record);
  bool CompareHolds(const Compare& compare) const;
  void RangeLocked(const std::string& prefix, std::vector<KeyValue>* out) const;

  bool HasUndeliveredEvents() const;
  void TrimHistory();
  void ReapLeases();
  void NotifyWatches();
  void CancelWatch(uint64_t watch_id);

  const std::string dir_;
  const Options options_;
  embedded::UniqueFd lock_fd_;

  std::mutex mu_;
  std::condition_variable durable_cv_;   // durable_sequence_ advanced or sync finished
  std::condition_variable reaper_cv_;    // a lease was granted, or stopping
  std::condition_variable notifier_cv_;  // durable events or new watches, or stopping
  std::condition_variable callback_cv_;  // a watch callback returned

  // Key-value state.
  std::map<std::string, KeyValue> kvs_;
  int64_t revision_ = 1;  // etcd starts a new cluster at revision 1
  std::map<LeaseId, Lease> leases_;
  LeaseId next_lease_id_ = 1;

  // Log state. Records are queued in memory and written by whichever caller
  // becomes the syncer; only the syncer touches the log file descriptor.
  embedded::UniqueFd log_fd_;
  uint64_t log_generation_ = 1;
  size_t log_bytes_ = 0;
  // Size of the last snapshot: the log may grow at least this much before
  // the next one, so snapshot cost stays proportional to log volume.
  size_t snapshot_bytes_ = 0;
  std::string queued_records_;
  uint64_t queued_sequence_ = 0;    // sequence number of the last queued record
  uint64_t durable_sequence_ = 0;   // every record up to here is durable
  int64_t durable_revision_ = 1;    // revision_ as of durable_sequence_
  bool syncing_ = false;
  Status log_status_;               // first log failure; the store is broken after it

  // Watches.
  std::deque<HistoryEvent> history_;
  int64_t compacted_revision_ = 0;  // events at or below this may be missing from history_
  std::map<uint64_t, WatchState> watches_;
  uint64_t next_watch_id_ = 1;
  uint64_t delivering_watch_id_ = 0;  // watch whose callback runs now; 0 when none

  bool stopping_ = false;
  std::thread reaper_thread_;
  std::thread notifier_thread_;
};

}  // namespace kafscale
