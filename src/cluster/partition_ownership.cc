#include "cluster/partition_ownership.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "common/logging.h"
#include "metastore/keys.h"
#include "metastore/proto/kafscale_metadata.pb.h"

namespace kafscale::cluster {

namespace asio = boost::asio;

namespace {

// Partitions taken over at once by one reconciliation pass.
constexpr size_t kParallelAcquires = 16;

// Rendezvous (highest random weight) score of a broker for a partition:
// FNV-1a, stable across processes so every broker ranks alike.
uint64_t RendezvousScore(const std::string& topic, int32_t partition, int32_t broker_id) {
  uint64_t hash = 14695981039346656037ull;
  auto mix = [&hash](std::string_view bytes) {
    for (unsigned char c : bytes) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
  };
  mix(topic);
  mix("/" + std::to_string(partition) + "/" + std::to_string(broker_id));
  return hash;
}

std::optional<int32_t> ParseBrokerId(const std::string& text) {
  int32_t id = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

}  // namespace

PartitionOwnership::PartitionOwnership(asio::any_io_executor executor, asio::thread_pool& pool,
                                       MetadataStore& store, BrokerMembership& membership,
                                       const TopicManager& topics, PartitionWriters& writers)
    : executor_(executor),
      pool_(pool),
      store_(store),
      membership_(membership),
      topics_(topics),
      writers_(writers),
      timer_(executor) {
  membership_.add_listener([this](bool lease_replaced) {
    if (stopping_) return;
    if (lease_replaced) {
      // Every partition lease went with the old broker lease.
      for (const TopicInfo* topic : topics_.List()) {
        for (int32_t p = 0; p < topic->partitions; ++p) writers_.LoseOwnership(topic->name, p);
      }
      holders_.clear();
    }
    asio::co_spawn(executor_, [this]() { return Reconcile(); }, AbortOnException{"ownership reconcile"});
  });
}

void PartitionOwnership::Start(std::chrono::milliseconds interval) {
  interval_ = interval;
  asio::co_spawn(executor_, [this]() { return Loop(); }, AbortOnException{"ownership loop"});
}

void PartitionOwnership::Stop() {
  stopping_ = true;
  timer_.cancel();
}

asio::awaitable<void> PartitionOwnership::Loop() {
  while (!stopping_) {
    co_await Reconcile();
    timer_.expires_after(interval_);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> PartitionOwnership::Reconcile() {
  if (running_) {
    rerun_ = true;
    AsyncEvent finished(executor_);
    pass_finished_.Add(&finished);
    co_await finished.Wait();
    co_return;
  }
  running_ = true;
  do {
    rerun_ = false;
    co_await ReconcileOnce();
  } while (rerun_ && !stopping_);
  running_ = false;
  pass_finished_.NotifyAll();
}

PartitionLeader PartitionOwnership::LeaderOf(const std::string& topic, int32_t partition) const {
  if (std::optional<OwnershipToken> token = writers_.Owner(topic, partition)) {
    return PartitionLeader{membership_.self_id(), token->leader_epoch};
  }
  auto it = holders_.find(PartitionKey(topic, partition));
  if (it == holders_.end() || !membership_.Find(it->second.broker_id)) return PartitionLeader{};
  return PartitionLeader{it->second.broker_id, it->second.leader_epoch};
}

asio::awaitable<void> PartitionOwnership::ReconcileOnce() {
  static RateLimitedLog trouble(1, std::chrono::seconds(10));
  if (stopping_ || membership_.lease() == 0) co_return;
  auto read = [this] {
    std::pair<Status, std::vector<KeyValue>> out;
    out.first = store_.Range(keys::PartitionLeasesPrefix(), &out.second);
    return out;
  };
  auto [status, leases] = co_await RunBlocking(pool_, read);
  if (!status.ok()) {
    trouble.Log("read", LogLevel::kWarn, "cannot read partition leases", {{"error", status.ToString()}});
    co_return;
  }
  const int32_t self = membership_.self_id();
  holders_.clear();
  for (const KeyValue& kv : leases) {
    std::optional<keys::TopicPartition> partition = keys::ParsePartitionLeaseKey(kv.key);
    kafscale::metadata::PartitionAssignment assignment;
    std::optional<int32_t> broker;
    if (partition && assignment.ParseFromString(kv.value)) broker = ParseBrokerId(assignment.broker_id());
    if (!broker) {
      trouble.Log("decode", LogLevel::kWarn, "ignoring unreadable partition lease", {{"key", kv.key}});
      continue;
    }
    holders_[PartitionKey(partition->topic, partition->partition)] =
        Holder{*broker, assignment.epoch(), kv.create_revision};
  }

  std::vector<PartitionKey> all;
  for (const TopicInfo* topic : topics_.List()) {
    for (int32_t p = 0; p < topic->partitions; ++p) all.emplace_back(topic->name, p);
  }
  // Agree with the store about what this broker writes.
  std::vector<PartitionKey> mine;
  std::vector<std::pair<PartitionKey, int64_t>> stale_leases;
  for (const PartitionKey& key : all) {
    std::optional<OwnershipToken> token = writers_.Owner(key.first, key.second);
    auto it = holders_.find(key);
    const bool held = it != holders_.end() && it->second.broker_id == self;
    if (token && !(held && it->second.create_revision == token->lease_revision)) {
      writers_.LoseOwnership(key.first, key.second);
    } else if (token) {
      mine.push_back(key);
    } else if (held) {
      stale_leases.emplace_back(key, it->second.create_revision);
    }
  }
  // Leases of this broker on partitions that are not written here (a failed
  // take, a fenced flush, a deleted topic).
  for (const auto& [key, holder] : holders_) {
    if (holder.broker_id == self && !std::binary_search(all.begin(), all.end(), key)) {
      stale_leases.emplace_back(key, holder.create_revision);
    }
  }
  for (const auto& [key, revision] : stale_leases) co_await Release(key, revision);

  const size_t live = std::max<size_t>(membership_.live().size(), 1);
  const size_t share = (all.size() + live - 1) / live;
  auto by_preference = [self](const PartitionKey& a, const PartitionKey& b) {
    return RendezvousScore(a.first, a.second, self) > RendezvousScore(b.first, b.second, self);
  };
  if (mine.size() > share) {
    std::sort(mine.begin(), mine.end(), by_preference);
    for (size_t i = share; i < mine.size() && !stopping_; ++i) {
      co_await writers_.GiveUpOwnership(mine[i].first, mine[i].second);
      co_await Release(mine[i], holders_[mine[i]].create_revision);
    }
    co_return;
  }
  std::vector<PartitionKey> free;
  for (const PartitionKey& key : all) {
    if (!holders_.count(key)) free.push_back(key);
  }
  std::sort(free.begin(), free.end(), by_preference);
  size_t owned = mine.size();
  // Several at once: taking a partition costs a few store round trips, and a
  // new 1,000-partition topic took a minute one by one.
  for (size_t i = 0; i < free.size() && owned < share && !stopping_ && membership_.lease() != 0;) {
    const size_t batch = std::min({kParallelAcquires, free.size() - i, share - owned});
    std::vector<char> taken(batch, 0);
    size_t remaining = batch;
    AsyncEvent all_done(executor_);
    for (size_t k = 0; k < batch; ++k) {
      asio::co_spawn(executor_, AcquireAndCount(free[i + k], &taken[k], &remaining, &all_done),
                     AbortOnException{"partition lease acquisition"});
    }
    co_await all_done.Wait();
    for (char t : taken) owned += t ? 1 : 0;
    i += batch;
  }
}

asio::awaitable<void> PartitionOwnership::AcquireAndCount(const PartitionKey& partition, char* taken,
                                                          size_t* remaining, AsyncEvent* all_done) {
  *taken = co_await Acquire(partition) ? 1 : 0;
  if (--*remaining == 0) all_done->Set();
}

asio::awaitable<bool> PartitionOwnership::Acquire(const PartitionKey& partition) {
  const std::string lease_key = keys::PartitionLeaseKey(partition.first, partition.second);
  const std::string state_key = keys::PartitionStateKey(partition.first, partition.second);
  const int32_t self = membership_.self_id();
  const LeaseId lease = membership_.lease();
  auto work = [&] {
    std::pair<Status, Holder> out;
    KeyValue current;
    kafscale::metadata::PartitionState state;
    Status read = store_.Get(state_key, &current);
    if (read.ok() && !state.ParseFromString(current.value)) {
      read = Status::Corruption(state_key + " is not a kafscale.metadata.PartitionState");
    }
    if (!read.ok() && !read.IsNotFound()) {
      out.first = read;
      return out;
    }
    const int32_t epoch = state.leader_epoch() + 1;
    state.set_topic(partition.first);
    state.set_partition(partition.second);
    state.set_leader_broker(std::to_string(self));
    state.set_leader_epoch(epoch);
    kafscale::metadata::PartitionAssignment assignment;
    assignment.set_broker_id(std::to_string(self));
    assignment.set_epoch(epoch);
    assignment.set_assigned_at(FormatRfc3339Utc(std::chrono::system_clock::now()));
    const Compare state_unchanged =
        read.ok() ? Compare::ModRevisionEquals(state_key, current.mod_revision) : Compare::Absent(state_key);
    TxnResult txn;
    out.first = store_.Txn({Compare::Absent(lease_key), state_unchanged},
                           {TxnOp::Put(lease_key, assignment.SerializeAsString(), lease),
                            TxnOp::Put(state_key, state.SerializeAsString())},
                           {}, &txn);
    if (out.first.ok() && txn.succeeded) out.second = Holder{self, epoch, txn.revision};
    return out;
  };
  auto [status, holder] = co_await RunBlocking(pool_, work);
  if (!status.ok()) {
    LogWarn("cannot take partition lease", {{"topic", partition.first},
                                            {"partition", std::to_string(partition.second)},
                                            {"error", status.ToString()}});
    co_return false;
  }
  if (holder.broker_id != self) co_return false;  // another broker was faster
  holders_[partition] = holder;
  const OwnershipToken token{holder.leader_epoch, holder.create_revision};
  Status taken = co_await writers_.TakeOwnership(partition.first, partition.second, token);
  if (!taken.ok()) {
    LogWarn("cannot recover partition; releasing its lease", {{"topic", partition.first},
                                                               {"partition", std::to_string(partition.second)},
                                                               {"error", taken.ToString()}});
    co_await Release(partition, holder.create_revision);
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> PartitionOwnership::Release(const PartitionKey& partition, int64_t create_revision) {
  const std::string lease_key = keys::PartitionLeaseKey(partition.first, partition.second);
  auto work = [this, &lease_key, create_revision] {
    TxnResult txn;
    return store_.Txn({Compare::CreateRevisionEquals(lease_key, create_revision)}, {TxnOp::Delete(lease_key)}, {},
                      &txn);
  };
  Status status = co_await RunBlocking(pool_, work);
  if (!status.ok()) {
    LogWarn("cannot release partition lease", {{"key", lease_key}, {"error", status.ToString()}});
    co_return;
  }
  holders_.erase(partition);
}

}  // namespace kafscale::cluster
