#include "metastore/etcd/client.h"

#include <algorithm>
#include <utility>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "metastore/etcd/errors.h"
#include "metastore/etcd/grpc_runtime.h"

namespace kafscale::etcd {

namespace {

// A restarted member is found within a second rather than after gRPC's
// default backoff (up to two minutes).
constexpr int kMaxReconnectBackoffMs = 1000;
constexpr int kInitialReconnectBackoffMs = 100;
constexpr int kKeepAliveTimeMs = 10'000;
constexpr int kKeepAliveTimeoutMs = 5'000;
// How long one connectivity watch lasts before it is renewed; bounds how
// long destroying a client waits for its watcher.
constexpr auto kConnectionWatchPeriod = std::chrono::milliseconds(20);
// How often a wait for a connection checks whether its caller gave up.
constexpr auto kConnectWaitSlice = std::chrono::milliseconds(50);
// How long a call waits for an endpoint that failed before to connect.
constexpr auto kFailedEndpointRecheck = std::chrono::milliseconds(200);

std::shared_ptr<grpc::Channel> OpenChannel(const std::string& endpoint, std::chrono::milliseconds dial_timeout) {
  constexpr std::string_view kHttps = "https://";
  const bool tls = endpoint.compare(0, kHttps.size(), kHttps) == 0;
  const std::string target = endpoint.substr(endpoint.find("://") + 3);
  grpc::ChannelArguments arguments;
  // A range page may be larger than gRPC's default 4 MiB limit.
  arguments.SetMaxReceiveMessageSize(-1);
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kInitialReconnectBackoffMs);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
  // gRPC takes this as the time one connection attempt (TCP, TLS, HTTP/2
  // settings) may last.
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, static_cast<int>(dial_timeout.count()));
  // etcd is reached directly, whatever proxy the environment names.
  arguments.SetInt(GRPC_ARG_ENABLE_HTTP_PROXY, 0);
  // Each client keeps its own connections: one client's failing connection
  // does not take down another's (a test's second store, a CLI call).
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Pings notice a server that vanished without closing the connection (an
  // idle watch would otherwise wait forever); etcd refuses pings more often
  // than every 5 s.
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepAliveTimeMs);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepAliveTimeoutMs);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  // An idle watch sends nothing after its request; without this gRPC stops
  // pinging after two pings.
  arguments.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  auto credentials = tls ? grpc::SslCredentials(grpc::SslCredentialsOptions()) : grpc::InsecureChannelCredentials();
  return grpc::CreateCustomChannel(target, credentials, arguments);
}

// Connects `channel` if it is not connected, within `dial_timeout`. False
// when the endpoint cannot be reached: at once when a fresh attempt fails
// (refused), after a short recheck when it had failed before, else at the
// deadline.
bool ConnectChannel(grpc::Channel& channel, std::chrono::milliseconds dial_timeout,
                    const std::function<bool()>& give_up) {
  auto deadline = std::chrono::system_clock::now() + dial_timeout;
  grpc_connectivity_state state = channel.GetState(/*try_to_connect=*/true);
  if (state == GRPC_CHANNEL_TRANSIENT_FAILURE) {
    // It failed before: it would wait out its backoff, and it keeps
    // reporting the failure while it tries again. One fresh attempt, now,
    // gets a short while to succeed.
    grpc::experimental::ChannelResetConnectionBackoff(&channel);
    deadline = std::min(deadline, std::chrono::system_clock::now() + kFailedEndpointRecheck);
  }
  bool attempted = false;
  while (state != GRPC_CHANNEL_READY) {
    if (state == GRPC_CHANNEL_SHUTDOWN || (state == GRPC_CHANNEL_TRANSIENT_FAILURE && attempted)) return false;
    if (state == GRPC_CHANNEL_CONNECTING) attempted = true;
    const auto slice_end = std::min(deadline, std::chrono::system_clock::now() + kConnectWaitSlice);
    if (!channel.WaitForStateChange(state, slice_end)) {
      if (slice_end == deadline || (give_up && give_up())) return false;
    }
    state = channel.GetState(/*try_to_connect=*/true);
  }
  return true;
}

}  // namespace

EtcdClient::EtcdClient(ClientOptions options) : options_(std::move(options)), endpoints_(options_.endpoints) {
  PrepareGrpcRuntime();
  for (const std::string& endpoint : options_.endpoints) {
    Endpoint opened;
    opened.channel = OpenChannel(endpoint, options_.dial_timeout);
    opened.stubs.kv = etcdserverpb::KV::NewStub(opened.channel);
    opened.stubs.watch = etcdserverpb::Watch::NewStub(opened.channel);
    opened.stubs.lease = etcdserverpb::Lease::NewStub(opened.channel);
    opened.stubs.maintenance = etcdserverpb::Maintenance::NewStub(opened.channel);
    opened.stubs.auth = etcdserverpb::Auth::NewStub(opened.channel);
    channels_.push_back(std::move(opened));
  }
  for (size_t index = 0; index < channels_.size(); ++index) WatchConnection(index);
  watcher_ = std::thread([this] { WatchConnections(); });
}

EtcdClient::~EtcdClient() {
  {
    std::lock_guard<std::mutex> lock(watcher_mu_);
    stopping_ = true;
    connection_events_.Shutdown();
  }
  watcher_.join();
}

void EtcdClient::WatchConnections() {
  void* tag = nullptr;
  bool changed = false;
  // Next ends once the queue is shut down and every pending watch is over.
  while (connection_events_.Next(&tag, &changed)) {
    std::lock_guard<std::mutex> lock(watcher_mu_);
    if (!stopping_) WatchConnection(reinterpret_cast<size_t>(tag));
  }
}

void EtcdClient::WatchConnection(size_t index) {
  grpc::Channel& channel = *channels_[index].channel;
  channel.NotifyOnStateChange(channel.GetState(/*try_to_connect=*/false),
                              std::chrono::system_clock::now() + kConnectionWatchPeriod, &connection_events_,
                              reinterpret_cast<void*>(index));
}

bool EtcdClient::Connect(size_t index, const std::function<bool()>& give_up) {
  return ConnectChannel(*channels_[index].channel, options_.dial_timeout, give_up);
}

Status EtcdClient::CallWithFailover(const std::string& token, RetryPolicy retry, const Invoke& invoke,
                                    bool* invalid_token) {
  *invalid_token = false;
  Status last = Status::Unavailable("etcd: no endpoint tried");
  for (size_t index : endpoints_.AttemptOrder()) {
    const std::string& endpoint = endpoints_.at(index);
    // Connecting first tells a request that never left (any call may move
    // on) from one that may have reached etcd.
    if (!Connect(index)) {
      endpoints_.ReportFailure(index);
      last = Status::Unavailable("etcd " + endpoint + ": cannot connect");
      continue;
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + options_.request_timeout);
    if (!token.empty()) context.AddMetadata("token", token);
    const grpc::Status answer = invoke(StubsOf(index), context);
    if (answer.ok()) {
      endpoints_.ReportSuccess(index);
      return Status::OK();
    }
    const EtcdError error = ErrorFromGrpc(answer);
    if (error.grpc_code == kGrpcUnavailable || error.grpc_code == kGrpcDeadlineExceeded) {
      endpoints_.ReportFailure(index);
      last = error.grpc_code == kGrpcDeadlineExceeded ? Status::Timeout("etcd " + endpoint + ": " + error.message)
                                                      : StatusFromError(error);
      if (retry == RetryPolicy::kUnsentOnly) return last;
      continue;
    }
    endpoints_.ReportSuccess(index);
    *invalid_token = IsInvalidToken(error);
    return StatusFromError(error);
  }
  return last;
}

Status EtcdClient::Call(RetryPolicy retry, const Invoke& invoke) {
  for (int attempt = 0;; ++attempt) {
    std::string token;
    Status status = Token(&token);
    if (!status.ok()) return status;
    bool invalid_token = false;
    status = CallWithFailover(token, retry, invoke, &invalid_token);
    // An expired token (or one another member issued) is normal; a fresh
    // one refused again is not.
    if (!invalid_token || token.empty() || attempt > 0) return status;
    InvalidateToken(token);
  }
}

Status EtcdClient::Token(std::string* token) {
  if (options_.username.empty()) {
    token->clear();
    return Status::OK();
  }
  std::lock_guard<std::mutex> lock(token_mu_);
  if (token_.empty()) {
    etcdserverpb::AuthenticateRequest request;
    request.set_name(options_.username);
    request.set_password(options_.password);
    etcdserverpb::AuthenticateResponse response;
    bool invalid_token = false;
    Status status = CallWithFailover(
        "", RetryPolicy::kIdempotent,
        [&](Stubs& stubs, grpc::ClientContext& context) {
          return stubs.auth->Authenticate(&context, request, &response);
        },
        &invalid_token);
    if (!status.ok()) return status;
    if (response.token().empty()) return Status::IOError("etcd: authenticate answered without a token");
    token_ = response.token();
  }
  *token = token_;
  return Status::OK();
}

void EtcdClient::InvalidateToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(token_mu_);
  if (token_ == token) token_.clear();
}

}  // namespace kafscale::etcd
