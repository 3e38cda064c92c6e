#include "cluster/broker_membership.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/async.h"
#include "common/logging.h"
#include "metastore/keys.h"
#include "metastore/proto/kafscale_metadata.pb.h"

namespace kafscale::cluster {

namespace asio = boost::asio;

namespace {
// How often the live set is re-read; bounds how stale Metadata answers are.
constexpr std::chrono::milliseconds kRefreshInterval{500};
}  // namespace

std::string EncodeBrokerRegistration(const BrokerEndpoint& broker) {
  kafscale::metadata::BrokerRegistration record;
  record.set_broker_id(std::to_string(broker.id));
  record.set_host(broker.host);
  record.set_port(broker.port);
  record.set_started_at(FormatRfc3339Utc(std::chrono::system_clock::now()));
  record.set_version("kafscale-cpp");
  return record.SerializeAsString();
}

Status DecodeBrokerRegistration(std::string_view bytes, BrokerEndpoint* broker) {
  kafscale::metadata::BrokerRegistration record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption("not a kafscale.metadata.BrokerRegistration");
  }
  broker->host = record.host();
  broker->port = record.port();
  return Status::OK();
}

BrokerMembership::BrokerMembership(asio::any_io_executor executor, asio::thread_pool& pool, MetadataStore& store,
                                   int32_t lease_ttl_seconds)
    : executor_(executor), pool_(pool), store_(store), ttl_(lease_ttl_seconds), timer_(executor) {}

BrokerMembership::~BrokerMembership() = default;

const BrokerEndpoint* BrokerMembership::Find(int32_t id) const {
  auto it = live_.find(id);
  return it == live_.end() ? nullptr : &it->second;
}

asio::awaitable<Status> BrokerMembership::Register() {
  const std::string key = keys::BrokerKey(self_.id);
  const std::string value = EncodeBrokerRegistration(self_);
  auto work = [this, key, value] {
    std::pair<Status, LeaseId> out;
    // A registration under another lease is an earlier process with this
    // id: it is dead (or must be treated so), and revoking its lease frees
    // its partitions now rather than after the TTL.
    KeyValue previous;
    Status found = store_.Get(key, &previous);
    if (found.ok() && previous.lease != 0 && previous.lease != lease_) {
      Status revoked = store_.RevokeLease(previous.lease);
      if (!revoked.ok() && !revoked.IsNotFound()) {
        out.first = revoked;
        return out;
      }
    } else if (!found.ok() && !found.IsNotFound()) {
      out.first = found;
      return out;
    }
    out.first = store_.GrantLease(ttl_.count(), &out.second);
    if (out.first.ok()) out.first = store_.Put(key, value, out.second);
    return out;
  };
  auto [status, lease] = co_await RunBlocking(pool_, work);
  if (!status.ok()) co_return status;
  lease_ = lease;
  LogInfo("broker registered", {{"broker_id", std::to_string(self_.id)}, {"lease", std::to_string(lease_)}});
  co_return Status::OK();
}

asio::awaitable<Status> BrokerMembership::Join(const BrokerEndpoint& self) {
  self_ = self;
  Status status = co_await Register();
  if (status.ok()) status = co_await Refresh();
  if (!status.ok()) co_return status;
  asio::co_spawn(executor_, [this]() { return KeepAliveLoop(); }, AbortOnException{"membership keep-alive"});
  co_return Status::OK();
}

asio::awaitable<void> BrokerMembership::Leave() {
  stopping_ = true;
  timer_.cancel();
  if (lease_ == 0) co_return;
  auto work = [this, lease = lease_] { return store_.RevokeLease(lease); };
  Status status = co_await RunBlocking(pool_, work);
  if (!status.ok()) LogWarn("cannot revoke broker lease", {{"error", status.ToString()}});
  lease_ = 0;
}

asio::awaitable<Status> BrokerMembership::Refresh() {
  auto work = [this] {
    std::pair<Status, std::vector<KeyValue>> out;
    out.first = store_.Range(keys::BrokersPrefix(), &out.second);
    return out;
  };
  auto [status, kvs] = co_await RunBlocking(pool_, work);
  if (!status.ok()) co_return status;
  std::map<int32_t, BrokerEndpoint> live;
  for (const KeyValue& kv : kvs) {
    std::optional<int32_t> id = keys::ParseBrokerKey(kv.key);
    BrokerEndpoint endpoint;
    if (!id || !DecodeBrokerRegistration(kv.value, &endpoint).ok()) {
      LogWarn("ignoring unreadable broker registration", {{"key", kv.key}});
      continue;
    }
    endpoint.id = *id;
    live[*id] = std::move(endpoint);
  }
  if (live != live_) {
    live_ = std::move(live);
    for (const Listener& listener : listeners_) listener(false);
  }
  co_return Status::OK();
}

asio::awaitable<void> BrokerMembership::KeepAliveLoop() {
  static RateLimitedLog trouble(1, std::chrono::seconds(10));
  const auto keepalive_every = std::max<std::chrono::milliseconds>(ttl_ / 3, kRefreshInterval);
  auto next_keepalive = std::chrono::steady_clock::now() + keepalive_every;
  while (!stopping_) {
    timer_.expires_after(kRefreshInterval);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) co_return;
    if (std::chrono::steady_clock::now() >= next_keepalive) {
      auto work = [this, lease = lease_] { return store_.KeepAlive(lease); };
      Status status = co_await RunBlocking(pool_, work);
      if (stopping_) co_return;
      if (status.IsNotFound()) {
        LogWarn("broker lease expired; registering again and giving up every partition and group it held",
                {{"lease", std::to_string(lease_)}});
        status = co_await Register();
        if (status.ok()) {
          for (const Listener& listener : listeners_) listener(true);
        }
      }
      if (status.ok()) {
        next_keepalive = std::chrono::steady_clock::now() + keepalive_every;
      } else {
        trouble.Log("keepalive", LogLevel::kWarn, "cannot keep the broker lease alive",
                    {{"error", status.ToString()}});
      }
    }
    Status refreshed = co_await Refresh();
    if (!refreshed.ok()) {
      trouble.Log("refresh", LogLevel::kWarn, "cannot read live brokers", {{"error", refreshed.ToString()}});
    }
  }
}

}  // namespace kafscale::cluster
