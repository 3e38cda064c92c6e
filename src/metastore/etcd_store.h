// EtcdMetadataStore: the MetadataStore of a distributed deployment, backed
// by an etcd 3.4+ cluster through its v3 gRPC API.
//
// Calls block for at most dial_timeout + request_timeout per endpoint
// tried. A call that cannot reach a member (no connection, a timeout, an
// unavailable member) moves on to the next endpoint; the last one that
// answered is tried first next time. A write that may have reached etcd is
// not resent (it may have been applied): the caller gets
// Unavailable/Timeout and may retry. With a user name the store
// authenticates, sends the token with each call and re-authenticates when
// etcd reports it invalid or expired; a wrong user name or password is
// PermissionDenied.
//
// Each watch runs on its own thread, as a stream on its endpoint's
// connection; see etcd/watch_stream.h for how it resumes after reconnects
// and what it does when etcd has compacted the revisions it needs.
//
// Thread-safe: any number of threads may call any method concurrently.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "metastore/metadata_store.h"

namespace kafscale {

namespace etcd {
class EtcdClient;
class ThreadCounter;
}  // namespace etcd

class EtcdMetadataStore final : public MetadataStore {
 public:
  struct Options {
    // Client URLs of the cluster members, "http://host:port" (https works
    // with the system's CA store).
    std::vector<std::string> endpoints;
    std::string username;  // empty: etcd runs without auth
    std::string password;
    std::chrono::milliseconds request_timeout{5000};
    std::chrono::milliseconds dial_timeout{2000};
  };

  // Splits a comma-separated endpoint list (KAFSCALE_ETCD_ENDPOINTS),
  // trimming spaces and dropping empty items.
  static std::vector<std::string> ParseEndpointList(std::string_view comma_separated);

  // Validates `options` (InvalidArgument: no endpoints, an endpoint that is
  // not http(s)://, a password without user name, a non-positive timeout),
  // then checks that a member answers and, with a user name, that the
  // credentials are accepted: Unavailable/Timeout if no endpoint answers,
  // PermissionDenied for refused credentials.
  static Result<std::unique_ptr<EtcdMetadataStore>> Open(const Options& options);

  // Waits for watch threads still finishing (a watch destroyed from its own
  // callback). Every Watch handle must already be destroyed.
  ~EtcdMetadataStore() override;

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
  class WatchHandle;

  explicit EtcdMetadataStore(std::shared_ptr<etcd::EtcdClient> client);

  // One page of Range; *next_key is empty when the range is complete.
  Status RangePage(const std::string& prefix, const std::string& start_key, int64_t revision,
                   std::vector<KeyValue>* out, int64_t* read_revision, std::string* next_key);

  const std::shared_ptr<etcd::EtcdClient> client_;
  const std::shared_ptr<etcd::ThreadCounter> watch_threads_;
};

}  // namespace kafscale
