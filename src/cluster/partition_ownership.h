// PartitionOwnership: which broker writes each partition.
//
// Each partition has at most one owner, the holder of its partition lease
// /kafscale/partition-leases/{topic}/{partition} (a PartitionAssignment bound
// to the owner's broker lease). Taking a lease also raises the partition's
// leader epoch in /kafscale/topics/{topic}/partitions/{partition}, so every
// change of owner has a new epoch. Brokers balance by themselves: each one
// keeps about ceil(partitions / live brokers) and takes free partitions up to
// that share, preferring by rendezvous hash so brokers rarely race for the
// same one. A dead broker's leases vanish with its broker lease and the
// others take its partitions on their next pass.
//
// Runs on the broker's core executor (not thread-safe); store calls go to the
// I/O pool.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "cluster/broker_membership.h"
#include "cluster/topic_manager.h"
#include "common/async.h"
#include "common/noncopyable.h"
#include "metastore/metadata_store.h"

namespace kafscale::cluster {

// What entitles a broker to write a partition: its partition lease, whose
// key's create revision identifies this tenure, and the tenure's leader
// epoch. Every commit of a new next offset is fenced on it.
struct OwnershipToken {
  int32_t leader_epoch = 0;
  int64_t lease_revision = 0;
  bool operator==(const OwnershipToken&) const = default;
};

// The partition logs as ownership sees them (implemented by the LogManager).
// Called on the core executor.
class PartitionWriters {
 public:
  virtual ~PartitionWriters() = default;
  // Starts writing the partition under `token` (the lease was just taken).
  // On error the partition stays read-only and the caller releases the lease.
  virtual boost::asio::awaitable<Status> TakeOwnership(const std::string& topic, int32_t partition,
                                                       const OwnershipToken& token) = 0;
  // Stops accepting writes and flushes what is buffered, answering its
  // producers; the caller then releases the lease.
  virtual boost::asio::awaitable<void> GiveUpOwnership(const std::string& topic, int32_t partition) = 0;
  // Stops writing at once: the lease is gone.
  virtual void LoseOwnership(const std::string& topic, int32_t partition) = 0;
  // The token the partition is written under, if this broker writes it.
  virtual std::optional<OwnershipToken> Owner(const std::string& topic, int32_t partition) const = 0;
};

struct PartitionLeader {
  int32_t broker_id = -1;  // -1: no owner right now
  int32_t leader_epoch = -1;
};

class PartitionOwnership : NonCopyable {
 public:
  PartitionOwnership(boost::asio::any_io_executor executor, boost::asio::thread_pool& pool, MetadataStore& store,
                     BrokerMembership& membership, const TopicManager& topics, PartitionWriters& writers);

  // Reconciles every `interval` and whenever the live brokers change, until
  // Stop. Call after the membership joined.
  void Start(std::chrono::milliseconds interval = std::chrono::milliseconds(500));
  void Stop();

  // One balancing pass: drops partitions whose lease this broker lost,
  // hands over partitions above its share and takes free ones up to it.
  // Passes run one at a time; a call made during a pass returns after a
  // later pass has completed. Store errors are logged and retried next pass.
  boost::asio::awaitable<void> Reconcile();

  // The partition's owner as of the last pass (this broker's own ownership
  // is always current).
  PartitionLeader LeaderOf(const std::string& topic, int32_t partition) const;

 private:
  using PartitionKey = std::pair<std::string, int32_t>;
  struct Holder {
    int32_t broker_id = -1;
    int32_t leader_epoch = 0;
    int64_t create_revision = 0;
  };

  boost::asio::awaitable<void> ReconcileOnce();
  boost::asio::awaitable<void> Loop();
  boost::asio::awaitable<bool> Acquire(const PartitionKey& partition);
  // Acquire for a batch: stores whether it was taken and sets `all_done` when
  // the last of the batch finishes.
  boost::asio::awaitable<void> AcquireAndCount(const PartitionKey& partition, char* taken, size_t* remaining,
                                               AsyncEvent* all_done);
  boost::asio::awaitable<void> Release(const PartitionKey& partition, int64_t create_revision);

  boost::asio::any_io_executor executor_;
  boost::asio::thread_pool& pool_;
  MetadataStore& store_;
  BrokerMembership& membership_;
  const TopicManager& topics_;
  PartitionWriters& writers_;
  std::chrono::milliseconds interval_{500};
  boost::asio::steady_timer timer_;
  bool stopping_ = false;
  bool running_ = false;
  bool rerun_ = false;
  AsyncNotifier pass_finished_;
  std::map<PartitionKey, Holder> holders_;
};

}  // namespace kafscale::cluster
