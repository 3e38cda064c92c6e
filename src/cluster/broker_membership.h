// BrokerMembership: this broker's registration in the metadata store and the
// set of live brokers.
//
// A broker is live while its registration /kafscale/brokers/{id} exists. The
// registration is bound to an etcd-style lease that this class keeps alive;
// every partition and group lease the broker takes is bound to the same
// lease, so a broker that dies (or is paused past the TTL) loses all of them
// at once when the store expires the lease.
//
// Runs on the broker's core executor (not thread-safe); store calls go to the
// I/O pool.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/noncopyable.h"
#include "common/status.h"
#include "metastore/metadata_store.h"

namespace kafscale::cluster {

struct BrokerEndpoint {
  int32_t id = 0;
  std::string host;  // advertised
  int32_t port = 0;  // advertised
  bool operator==(const BrokerEndpoint&) const = default;
};

class BrokerMembership : NonCopyable {
 public:
  BrokerMembership(boost::asio::any_io_executor executor, boost::asio::thread_pool& pool, MetadataStore& store,
                   int32_t lease_ttl_seconds);
  ~BrokerMembership();

  // Grants a lease and writes this broker's registration under it. A
  // registration left by an earlier process with the same broker id (a
  // restart after a crash) is revoked first, so its partition and group
  // leases are released at once instead of after the TTL. Then keeps the
  // lease alive (every TTL/3) and refreshes the live set (every `poll`).
  // Errors: the store's (Unavailable, Timeout).
  boost::asio::awaitable<Status> Join(const BrokerEndpoint& self);

  // Revokes the lease: the registration and every lease bound to it vanish
  // in one store revision. Best effort (errors are logged); stops the loops.
  boost::asio::awaitable<void> Leave();

  // The lease every ownership key of this broker must be bound to; 0 before
  // Join. Changes when the lease was lost and a new one granted.
  LeaseId lease() const { return lease_; }
  int32_t self_id() const { return self_.id; }

  // Live brokers (this one included once joined), by id, as of the last
  // refresh.
  const std::map<int32_t, BrokerEndpoint>& live() const { return live_; }
  const BrokerEndpoint* Find(int32_t id) const;

  // Each listener is called on the core executor after the live set changed
  // or after this broker's lease was lost and replaced (lease_replaced: every
  // key bound to the old lease is gone, so listeners drop what they owned).
  // Add listeners before Join.
  using Listener = std::function<void(bool lease_replaced)>;
  void add_listener(Listener listener) { listeners_.push_back(std::move(listener)); }

  // Re-reads the live set now (also done periodically).
  boost::asio::awaitable<Status> Refresh();

 private:
  boost::asio::awaitable<void> KeepAliveLoop();
  boost::asio::awaitable<Status> Register();

  boost::asio::any_io_executor executor_;
  boost::asio::thread_pool& pool_;
  MetadataStore& store_;
  const std::chrono::seconds ttl_;
  BrokerEndpoint self_;
  LeaseId lease_ = 0;
  bool stopping_ = false;
  boost::asio::steady_timer timer_;
  std::map<int32_t, BrokerEndpoint> live_;
  std::vector<Listener> listeners_;
};

// Stored form of a registration: kafscale.metadata.BrokerRegistration.
std::string EncodeBrokerRegistration(const BrokerEndpoint& broker);
Status DecodeBrokerRegistration(std::string_view bytes, BrokerEndpoint* broker);

}  // namespace kafscale::cluster
