// EtcdClient: unary calls to etcd's v3 JSON gateway over libcurl, with
// endpoint failover and token authentication. Shared (shared_ptr) by the
// store and its watch streams.
//
// Thread-safe: calls run concurrently, each on a curl handle taken from a
// pool (handles keep their connections open between calls).
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/noncopyable.h"
#include "common/status.h"
#include "metastore/etcd/curl_handles.h"
#include "metastore/etcd/endpoints.h"
#include "metastore/etcd/json_codec.h"

namespace kafscale::etcd {

struct ClientOptions {
  std::vector<std::string> endpoints;  // "http://host:port", no trailing '/'
  std::string username;                // empty: no authentication
  std::string password;
  std::chrono::milliseconds request_timeout{5000};  // whole call to one endpoint
  std::chrono::milliseconds dial_timeout{2000};     // TCP connect to one endpoint
};

// Which failures a call may retry on the next endpoint.
enum class RetryPolicy {
  // Reads: any transport failure or unavailable answer moves on.
  kIdempotent,
  // Writes: only a request that never left (no connection) moves on; once
  // sent it may have been applied, so the caller gets Unavailable/Timeout.
  kUnsentOnly,
};

class EtcdClient : NonCopyable {
 public:
  // `options.endpoints` must not be empty (the store validates options).
  explicit EtcdClient(ClientOptions options);
  ~EtcdClient();

  // POSTs `request` to `path` ("/v3/kv/range"...) and parses the JSON
  // answer into *response. Tries the endpoints as EndpointSet orders them
  // within `retry`; with credentials, sends the token and, once per call,
  // re-authenticates when etcd calls it invalid. Errors: StatusFromError's
  // mapping of etcd's answer; Unavailable/Timeout when no endpoint
  // answered; IOError for an answer that is not the expected JSON.
  Status Call(std::string_view path, const nlohmann::json& request, RetryPolicy retry,
              nlohmann::json* response);

  // The token to send ("" without credentials), authenticating first if
  // none is held. PermissionDenied for a wrong user name or password.
  Status Token(std::string* token);
  // Forgets `token` if it is still the one held, because etcd refused it.
  void InvalidateToken(const std::string& token);

  EndpointSet& endpoints() { return endpoints_; }
  const ClientOptions& options() const { return options_; }

 private:
  struct Attempt;
  // One call over the endpoints with a fixed token. *invalid_token is set
  // when etcd refused the token.
  Status CallWithFailover(std::string_view path, const std::string& body, const std::string& token,
                          RetryPolicy retry, nlohmann::json* response, bool* invalid_token);
  void Post(const std::string& url, const std::string& body, const std::string& token, Attempt* attempt);
  CurlEasy AcquireHandle();
  void ReleaseHandle(CurlEasy handle);

  const ClientOptions options_;
  EndpointSet endpoints_;

  std::mutex pool_mu_;
  std::vector<CurlEasy> idle_handles_;

  // Held while authenticating, so concurrent callers wait for one token
  // instead of each asking etcd for their own.
  std::mutex token_mu_;
  std::string token_;
};

}  // namespace kafscale::etcd
