// EtcdClient: calls to etcd's v3 gRPC API with endpoint failover and token
// authentication. Shared (shared_ptr) by the store and its watch streams.
//
// Thread-safe: calls run concurrently over one channel per endpoint (HTTP/2
// multiplexes them, and the watch streams, on one connection).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/support/status.h>

#include "common/noncopyable.h"
#include "common/status.h"
#include "metastore/etcd/endpoints.h"
#include "metastore/etcd/proto/etcd_rpc.grpc.pb.h"

namespace kafscale::etcd {

struct ClientOptions {
  std::vector<std::string> endpoints;  // "http://host:port" or "https://host:port", no trailing '/'
  std::string username;                // empty: no authentication
  std::string password;
  std::chrono::milliseconds request_timeout{5000};  // whole call to one endpoint
  std::chrono::milliseconds dial_timeout{2000};     // connecting to one endpoint
};

// Which failures a call may retry on the next endpoint.
enum class RetryPolicy {
  // Reads: any transport failure or unavailable answer moves on.
  kIdempotent,
  // Writes: only a request that never left (no connection) moves on; once
  // sent it may have been applied, so the caller gets Unavailable/Timeout.
  kUnsentOnly,
};

// The services of one endpoint.
struct Stubs {
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
  std::unique_ptr<etcdserverpb::Auth::Stub> auth;
};

// Makes one call on `stubs` with `context` (deadline and token already set).
using Invoke = std::function<grpc::Status(Stubs& stubs, grpc::ClientContext& context)>;

class EtcdClient : NonCopyable {
 public:
  // `options.endpoints` must not be empty (the store validates options).
  explicit EtcdClient(ClientOptions options);
  ~EtcdClient();

  // Runs `invoke` on the endpoints in EndpointSet order within `retry`;
  // with credentials, sends the token and, once per call, re-authenticates
  // when etcd calls it invalid. Errors: StatusFromError's mapping of etcd's
  // answer; Unavailable/Timeout when no endpoint answered.
  Status Call(RetryPolicy retry, const Invoke& invoke);

  // The token to send ("" without credentials), authenticating first if
  // none is held. PermissionDenied for a wrong user name or password.
  Status Token(std::string* token);
  // Forgets `token` if it is still the one held, because etcd refused it.
  void InvalidateToken(const std::string& token);

  // Connects to endpoint `index` unless connected, within the dial timeout
  // (less for an endpoint that failed before). False if it cannot be
  // reached, or once `give_up` (checked every 50 ms) returns true.
  bool Connect(size_t index, const std::function<bool()>& give_up = {});
  // The services of endpoint `index`, for streaming calls.
  Stubs& StubsOf(size_t index) { return channels_[index].stubs; }

  EndpointSet& endpoints() { return endpoints_; }

 private:
  struct Endpoint {
    std::shared_ptr<grpc::Channel> channel;
    Stubs stubs;
  };
  // One call over the endpoints with a fixed token. *invalid_token is set
  // when etcd refused the token.
  Status CallWithFailover(const std::string& token, RetryPolicy retry, const Invoke& invoke, bool* invalid_token);
  // Runs on watcher_: follows every channel's connectivity, so a connection
  // etcd closed while idle (a restart) is noticed before the next call,
  // which then connects anew instead of writing into the dead one (where a
  // write could not tell whether etcd got it).
  void WatchConnections();
  // Arms one connectivity watch of endpoint `index` on connection_events_
  // (not after Shutdown: the caller holds watcher_mu_ or is the constructor).
  void WatchConnection(size_t index);

  const ClientOptions options_;
  EndpointSet endpoints_;
  std::vector<Endpoint> channels_;  // one per endpoint, in options_.endpoints order

  grpc::CompletionQueue connection_events_;
  std::mutex watcher_mu_;  // orders re-arming a watch against shutting the queue down
  bool stopping_ = false;
  std::thread watcher_;

  // Held while authenticating, so concurrent callers wait for one token
  // instead of each asking etcd for their own.
  std::mutex token_mu_;
  std::string token_;
};

}  // namespace kafscale::etcd
