#include "metastore/etcd/watch_stream.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "metastore/etcd/errors.h"
#include "metastore/etcd/proto_codec.h"

namespace kafscale::etcd {

using namespace std::chrono_literals;

namespace {

constexpr std::chrono::milliseconds kFirstBackoff = 100ms;
constexpr std::chrono::milliseconds kMaxBackoff = 2000ms;

bool Contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

void ThreadCounter::Add() {
  std::lock_guard<std::mutex> lock(mu_);
  ++running_;
}

void ThreadCounter::Done() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--running_ == 0) zero_cv_.notify_all();
}

void ThreadCounter::WaitForZero() {
  std::unique_lock<std::mutex> lock(mu_);
  zero_cv_.wait(lock, [this] { return running_ == 0; });
}

WatchStream::WatchStream(std::shared_ptr<EtcdClient> client, std::string prefix, int64_t start_revision,
                         WatchCallback callback)
    : client_(std::move(client)),
      prefix_(std::move(prefix)),
      callback_(std::move(callback)),
      resume_revision_(start_revision) {}

WatchStream::~WatchStream() = default;

void WatchStream::RequestStop() {
  std::lock_guard<std::mutex> lock(mu_);
  stop_ = true;
  if (stream_context_ != nullptr) stream_context_->TryCancel();
  stop_cv_.notify_all();
}

void WatchStream::Sleep(std::chrono::milliseconds duration) {
  std::unique_lock<std::mutex> lock(mu_);
  stop_cv_.wait_for(lock, duration, [this] { return stopping(); });
}

void WatchStream::Run() {
  std::chrono::milliseconds backoff = kFirstBackoff;
  while (!stopping()) {
    const Outcome outcome = RunConnection(client_->endpoints().AttemptOrder().front());
    if (outcome == Outcome::kEnded || stopping()) return;
    if (outcome == Outcome::kConnected) backoff = kFirstBackoff;
    Sleep(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

WatchStream::Outcome WatchStream::RunConnection(size_t endpoint_index) {
  const std::string& endpoint = client_->endpoints().at(endpoint_index);
  std::string token;
  Status status = client_->Token(&token);
  if (!status.ok()) {
    spdlog::warn("etcd watch of {}: cannot authenticate: {}", prefix_, status.ToString());
    return Outcome::kReconnect;
  }
  bool created = false;
  bool ended = false;
  std::string why;  // set when a stream message ends the connection
  if (!client_->Connect(endpoint_index, [this] { return stopping(); })) {
    why = "cannot connect";
  } else {
    grpc::ClientContext context;
    if (!token.empty()) context.AddMetadata("token", token);
    // A member cut off from the cluster's quorum would keep this stream open
    // and silent while the others move on; with "hasleader" etcd closes it
    // ("etcdserver: no leader") and refuses a new one there, and the failed
    // creation moves the watch to another endpoint.
    context.AddMetadata("hasleader", "true");
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping()) return Outcome::kReconnect;
      stream_context_ = &context;
    }
    auto stream = client_->StubsOf(endpoint_index).watch->Watch(&context);
    connection_start_revision_ = resume_revision_;
    etcdserverpb::WatchResponse response;
    if (stream->Write(WatchCreateRequest(prefix_, connection_start_revision_))) {
      while (why.empty() && !stopping() && stream->Read(&response)) {
        HandleMessage(response, endpoint_index, token, &created, &ended, &why);
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      stream_context_ = nullptr;
    }
    // Finish waits for the stream to end: a stream left by choice is
    // cancelled first.
    if (!why.empty() || stopping()) context.TryCancel();
    const grpc::Status finished = stream->Finish();
    if (why.empty()) {
      const EtcdError error = ErrorFromGrpc(finished);
      if (IsInvalidToken(error)) client_->InvalidateToken(token);
      why = finished.ok() ? "closed by the server" : StatusFromError(error).ToString();
    }
  }
  if (ended) return Outcome::kEnded;
  if (stopping()) return Outcome::kReconnect;
  if (!created) client_->endpoints().ReportFailure(endpoint_index);
  // The first failure is worth a warning; retries while etcd stays away are not.
  spdlog::log(in_trouble_ ? spdlog::level::debug : spdlog::level::warn,
              "etcd watch of {} on {}: {}; resuming from revision {}", prefix_, endpoint, why, resume_revision_);
  in_trouble_ = true;
  return created ? Outcome::kConnected : Outcome::kReconnect;
}

void WatchStream::HandleMessage(const etcdserverpb::WatchResponse& response, size_t endpoint_index,
                                const std::string& token, bool* created, bool* ended, std::string* why) {
  WatchMessage message = DecodeWatchResponse(response);
  if (message.canceled) {
    if (message.compact_revision > 0) {
      spdlog::error(
          "etcd watch of {}: cannot resume from revision {}, compacted up to {}; changes in between are "
          "lost, so the watch ends here",
          prefix_, resume_revision_, message.compact_revision);
      *ended = true;
      *why = "compacted";
      return;
    }
    // Canceled at creation for a refused token: "rpc error: code =
    // Unauthenticated desc = etcdserver: invalid auth token".
    if (Contains(message.cancel_reason, "Unauthenticated")) client_->InvalidateToken(token);
    *why = "canceled by etcd: " + message.cancel_reason;
    return;
  }
  if (message.created) {
    *created = true;
    client_->endpoints().ReportSuccess(endpoint_index);
    if (in_trouble_) {
      spdlog::info("etcd watch of {}: resumed on {} from revision {}", prefix_, client_->endpoints().at(endpoint_index),
                   resume_revision_);
      in_trouble_ = false;
    }
  }
  if (!message.events.empty()) {
    Deliver(std::move(message.events));
  } else if (message.IsProgressNotify() && message.header_revision >= resume_revision_) {
    resume_revision_ = message.header_revision + 1;
  }
}

void WatchStream::Deliver(std::vector<WatchEvent> events) {
  // etcd sends nothing older than the revision a connection asked for; the
  // filter keeps a misbehaving server from causing repeats all the same. It
  // never splits a revision: etcd sends each revision's events together.
  std::erase_if(events,
                [this](const WatchEvent& event) { return event.kv.mod_revision < connection_start_revision_; });
  if (events.empty() || stopping()) return;
  const int64_t last_revision = events.back().kv.mod_revision;
  if (last_revision >= resume_revision_) resume_revision_ = last_revision + 1;
  callback_(events);
}

}  // namespace kafscale::etcd
