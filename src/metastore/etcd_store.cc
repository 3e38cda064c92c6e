#include "metastore/etcd_store.h"

#include <thread>
#include <utility>

#include "metastore/etcd/client.h"
#include "metastore/etcd/proto_codec.h"
#include "metastore/etcd/watch_stream.h"

namespace kafscale {

using etcd::RetryPolicy;
using etcd::Stubs;
using grpc::ClientContext;

namespace {

// etcd's default --max-txn-ops.
constexpr size_t kMaxTxnOps = 128;
// etcd's MaxLeaseTTL.
constexpr int64_t kMaxLeaseTtlSeconds = 9'000'000'000;
// Keys per Range request; bounds the size of one answer.
constexpr int64_t kRangePageSize = 1000;
// Range restarts when etcd compacts the revision it reads between pages.
constexpr int kRangeAttempts = 3;

bool HasPrefix(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

std::string Trim(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

bool IsReadOnly(const std::vector<TxnOp>& ops) {
  for (const TxnOp& op : ops) {
    if (op.type != TxnOp::Type::kGet && op.type != TxnOp::Type::kGetPrefix) return false;
  }
  return true;
}

}  // namespace

class EtcdMetadataStore::WatchHandle final : public Watch {
 public:
  WatchHandle(std::shared_ptr<etcd::WatchStream> stream, std::shared_ptr<etcd::ThreadCounter> threads)
      : stream_(std::move(stream)) {
    threads->Add();
    thread_ = std::thread([stream = stream_, threads]() mutable {
      stream->Run();
      // The stream (and with it the callback's captures) goes before the
      // store may be told that this thread is done.
      stream.reset();
      threads->Done();
    });
  }

  ~WatchHandle() override {
    stream_->RequestStop();
    // From inside its own callback the thread cannot be joined; it ends as
    // soon as the callback returns, and the store waits for it.
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }

 private:
  std::shared_ptr<etcd::WatchStream> stream_;
  std::thread thread_;
};

std::vector<std::string> EtcdMetadataStore::ParseEndpointList(std::string_view comma_separated) {
  std::vector<std::string> endpoints;
  while (!comma_separated.empty()) {
    const size_t comma = comma_separated.find(',');
    std::string item = Trim(comma_separated.substr(0, comma));
    if (!item.empty()) endpoints.push_back(std::move(item));
    if (comma == std::string_view::npos) break;
    comma_separated.remove_prefix(comma + 1);
  }
  return endpoints;
}

Result<std::unique_ptr<EtcdMetadataStore>> EtcdMetadataStore::Open(const Options& options) {
  etcd::ClientOptions client_options;
  if (options.endpoints.empty()) return Status::InvalidArgument("etcd: no endpoints given");
  for (std::string endpoint : options.endpoints) {
    if (!HasPrefix(endpoint, "http://") && !HasPrefix(endpoint, "https://")) {
      return Status::InvalidArgument("etcd endpoint must start with http:// or https://: " + endpoint);
    }
    while (endpoint.back() == '/') endpoint.pop_back();
    client_options.endpoints.push_back(std::move(endpoint));
  }
  if (options.username.empty() && !options.password.empty()) {
    return Status::InvalidArgument("etcd: a password was given without a user name");
  }
  if (options.request_timeout.count() <= 0 || options.dial_timeout.count() <= 0) {
    return Status::InvalidArgument("etcd: timeouts must be positive");
  }
  client_options.username = options.username;
  client_options.password = options.password;
  client_options.request_timeout = options.request_timeout;
  client_options.dial_timeout = options.dial_timeout;
  auto client = std::make_shared<etcd::EtcdClient>(std::move(client_options));

  // Status needs no auth; with credentials, the token proves them.
  etcdserverpb::StatusResponse response;
  Status status = client->Call(RetryPolicy::kIdempotent, [&](Stubs& stubs, ClientContext& context) {
    return stubs.maintenance->Status(&context, etcdserverpb::StatusRequest(), &response);
  });
  std::string token;
  if (status.ok()) status = client->Token(&token);
  if (!status.ok()) return status;
  return std::unique_ptr<EtcdMetadataStore>(new EtcdMetadataStore(std::move(client)));
}

EtcdMetadataStore::EtcdMetadataStore(std::shared_ptr<etcd::EtcdClient> client)
    : client_(std::move(client)), watch_threads_(std::make_shared<etcd::ThreadCounter>()) {}

EtcdMetadataStore::~EtcdMetadataStore() { watch_threads_->WaitForZero(); }

Status EtcdMetadataStore::Get(const std::string& key, KeyValue* out) {
  if (key.empty()) return Status::InvalidArgument("key is not provided");
  etcdserverpb::RangeRequest request;
  request.set_key(key);
  etcdserverpb::RangeResponse response;
  Status status = client_->Call(RetryPolicy::kIdempotent, [&](Stubs& stubs, ClientContext& context) {
    return stubs.kv->Range(&context, request, &response);
  });
  if (!status.ok()) return status;
  if (response.kvs().empty()) return Status::NotFound("key not found: " + key);
  *out = etcd::DecodeKeyValue(response.kvs(0));
  return Status::OK();
}

Status EtcdMetadataStore::RangePage(const std::string& prefix, const std::string& start_key, int64_t revision,
                                    std::vector<KeyValue>* out, int64_t* read_revision, std::string* next_key) {
  const etcdserverpb::RangeRequest request = etcd::PrefixRangeRequest(prefix, start_key, kRangePageSize, revision);
  etcdserverpb::RangeResponse response;
  Status status = client_->Call(RetryPolicy::kIdempotent, [&](Stubs& stubs, ClientContext& context) {
    return stubs.kv->Range(&context, request, &response);
  });
  if (!status.ok()) return status;
  std::vector<KeyValue> kvs = etcd::DecodeKeyValues(response);
  *read_revision = response.header().revision();
  next_key->clear();
  if (response.more() && !kvs.empty()) *next_key = kvs.back().key + std::string(1, '\0');
  out->insert(out->end(), std::make_move_iterator(kvs.begin()), std::make_move_iterator(kvs.end()));
  return Status::OK();
}

Status EtcdMetadataStore::Range(const std::string& prefix, std::vector<KeyValue>* out, int64_t* revision) {
  Status status;
  for (int attempt = 0; attempt < kRangeAttempts; ++attempt) {
    std::vector<KeyValue> kvs;
    int64_t first_revision = 0;
    std::string next_key;
    status = RangePage(prefix, "", 0, &kvs, &first_revision, &next_key);
    // Later pages read at the first page's revision, so the whole range
    // is one consistent snapshot.
    while (status.ok() && !next_key.empty()) {
      int64_t page_revision = 0;
      status = RangePage(prefix, next_key, first_revision, &kvs, &page_revision, &next_key);
    }
    if (status.ok()) {
      *out = std::move(kvs);
      if (revision != nullptr) *revision = first_revision;
      return status;
    }
    if (!status.IsNotFound()) return status;  // NotFound here means compacted meanwhile
  }
  return Status::Unavailable("etcd: range kept being compacted under the read: " + status.message());
}

Status EtcdMetadataStore::Put(const std::string& key, const std::string& value, LeaseId lease) {
  if (key.empty()) return Status::InvalidArgument("key is not provided");
  etcdserverpb::PutRequest request;
  request.set_key(key);
  request.set_value(value);
  request.set_lease(lease);
  etcdserverpb::PutResponse response;
  return client_->Call(RetryPolicy::kUnsentOnly, [&](Stubs& stubs, ClientContext& context) {
    return stubs.kv->Put(&context, request, &response);
  });
}

Status EtcdMetadataStore::Delete(const std::string& key) {
  if (key.empty()) return Status::InvalidArgument("key is not provided");
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(key);
  etcdserverpb::DeleteRangeResponse response;
  return client_->Call(RetryPolicy::kUnsentOnly, [&](Stubs& stubs, ClientContext& context) {
    return stubs.kv->DeleteRange(&context, request, &response);
  });
}

Status EtcdMetadataStore::Txn(const std::vector<Compare>& compares, const std::vector<TxnOp>& success,
                              const std::vector<TxnOp>& failure, TxnResult* result) {
  // etcd checks these too; answering locally saves a round trip and keeps
  // the messages the embedded store gives.
  if (compares.size() > kMaxTxnOps) {
    return Status::InvalidArgument("too many compares in txn request (limit 128)");
  }
  if (success.size() > kMaxTxnOps || failure.size() > kMaxTxnOps) {
    return Status::InvalidArgument("too many operations in txn request (limit 128)");
  }
  const RetryPolicy retry =
      IsReadOnly(success) && IsReadOnly(failure) ? RetryPolicy::kIdempotent : RetryPolicy::kUnsentOnly;
  const etcdserverpb::TxnRequest request = etcd::TxnRequest(compares, success, failure);
  etcdserverpb::TxnResponse response;
  Status status = client_->Call(
      retry, [&](Stubs& stubs, ClientContext& context) { return stubs.kv->Txn(&context, request, &response); });
  if (!status.ok()) return status;
  TxnResult outcome;
  status = etcd::DecodeTxnResponse(response, success, failure, &outcome);
  if (!status.ok()) return status;
  *result = std::move(outcome);
  return Status::OK();
}

Status EtcdMetadataStore::GrantLease(int64_t ttl_seconds, LeaseId* id) {
  // etcd itself raises a short TTL to its minimum rather than refusing it.
  if (ttl_seconds <= 0 || ttl_seconds > kMaxLeaseTtlSeconds) {
    return Status::InvalidArgument("lease TTL must be in [1, 9000000000] seconds");
  }
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl_seconds);
  etcdserverpb::LeaseGrantResponse response;
  Status status = client_->Call(RetryPolicy::kUnsentOnly, [&](Stubs& stubs, ClientContext& context) {
    return stubs.lease->LeaseGrant(&context, request, &response);
  });
  if (!status.ok()) return status;
  if (response.id() == 0) return Status::IOError("etcd: lease grant answered without an ID: " + response.error());
  *id = response.id();
  return Status::OK();
}

Status EtcdMetadataStore::KeepAlive(LeaseId id) {
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(id);
  etcdserverpb::LeaseKeepAliveResponse response;
  // A streaming call used for one exchange.
  Status status = client_->Call(RetryPolicy::kIdempotent, [&](Stubs& stubs, ClientContext& context) {
    auto stream = stubs.lease->LeaseKeepAlive(&context);
    stream->Write(request);
    stream->WritesDone();
    const bool answered = stream->Read(&response);
    grpc::Status finished = stream->Finish();
    if (finished.ok() && !answered) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "keepalive stream ended");
    return finished;
  });
  if (!status.ok()) return status;
  // etcd answers an unknown or expired lease with TTL 0.
  if (response.ttl() <= 0) return Status::NotFound("lease not found: " + std::to_string(id));
  return Status::OK();
}

Status EtcdMetadataStore::RevokeLease(LeaseId id) {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(id);
  etcdserverpb::LeaseRevokeResponse response;
  return client_->Call(RetryPolicy::kUnsentOnly, [&](Stubs& stubs, ClientContext& context) {
    return stubs.lease->LeaseRevoke(&context, request, &response);
  });
}

Status EtcdMetadataStore::WatchPrefix(const std::string& prefix, int64_t start_revision, WatchCallback callback,
                                      std::unique_ptr<Watch>* handle) {
  if (start_revision < 0) return Status::InvalidArgument("negative watch start revision");
  if (!callback) return Status::InvalidArgument("watch callback is empty");
  // One read settles where the watch starts: at a given revision it fails
  // if etcd has compacted that revision (a future one is fine); for "from
  // now" it names the current revision.
  etcdserverpb::RangeRequest request = etcd::PrefixRangeRequest(prefix, "", 1, start_revision);
  request.set_count_only(true);
  etcdserverpb::RangeResponse response;
  Status status = client_->Call(RetryPolicy::kIdempotent, [&](Stubs& stubs, ClientContext& context) {
    return stubs.kv->Range(&context, request, &response);
  });
  if (!status.ok() && !(start_revision > 0 && status.message().find("future revision") != std::string::npos)) {
    return status;  // NotFound with "compacted" for a compacted start
  }
  const int64_t first_revision = start_revision == 0 ? response.header().revision() + 1 : start_revision;
  auto stream = std::make_shared<etcd::WatchStream>(client_, prefix, first_revision, std::move(callback));
  *handle = std::make_unique<WatchHandle>(std::move(stream), watch_threads_);
  return Status::OK();
}

}  // namespace kafscale
