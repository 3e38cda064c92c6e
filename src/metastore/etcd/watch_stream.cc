#include "metastore/etcd/watch_stream.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "metastore/etcd/json_codec.h"

namespace kafscale::etcd {

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr std::chrono::milliseconds kFirstBackoff = 100ms;
constexpr std::chrono::milliseconds kMaxBackoff = 2000ms;
// How long one curl wait may last; stops and data wake it earlier.
constexpr int kPollMillis = 1000;
// TCP keepalive notices a server that vanished without closing (an idle
// watch otherwise waits forever).
constexpr long kKeepAliveSeconds = 5;

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
      multi_((EnsureCurlInitialized(), curl_multi_init())),
      resume_revision_(start_revision) {}

WatchStream::~WatchStream() { curl_multi_cleanup(multi_); }

void WatchStream::RequestStop() {
  stop_ = true;
  curl_multi_wakeup(multi_);
}

void WatchStream::Sleep(std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (!stopping()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return;
    curl_multi_poll(multi_, nullptr, 0, static_cast<int>(left.count()), nullptr);
  }
}

void WatchStream::Run() {
  if (multi_ == nullptr) {
    spdlog::error("etcd watch of {}: curl_multi_init failed; the watch delivers nothing", prefix_);
    return;
  }
  std::chrono::milliseconds backoff = kFirstBackoff;
  while (!stopping()) {
    const Outcome outcome = RunConnection(client_->endpoints().AttemptOrder().front());
    if (outcome == Outcome::kEnded || stopping()) return;
    if (outcome == Outcome::kConnected) backoff = kFirstBackoff;
    Sleep(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

size_t WatchStream::OnData(char* data, size_t size, size_t count, void* stream) {
  static_cast<WatchStream*>(stream)->parser_.Feed(std::string_view(data, size * count));
  return size * count;
}

WatchStream::Outcome WatchStream::RunConnection(size_t endpoint_index) {
  const std::string& endpoint = client_->endpoints().at(endpoint_index);
  std::string token;
  Status status = client_->Token(&token);
  if (!status.ok()) {
    spdlog::warn("etcd watch of {}: cannot authenticate: {}", prefix_, status.ToString());
    return Outcome::kReconnect;
  }
  CurlEasy handle(curl_easy_init());
  if (handle == nullptr) return Outcome::kReconnect;
  CURL* curl = handle.get();
  const std::string url = endpoint + "/v3/watch";
  connection_start_revision_ = resume_revision_;
  const std::string body = WatchCreateRequest(prefix_, connection_start_revision_).dump();
  CurlHeaders headers;
  AddRequestHeaders(token, &headers);
  char error_buffer[CURL_ERROR_SIZE] = {};
  SetPostOptions(curl, url, body, headers, error_buffer, client_->options().dial_timeout);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WatchStream::OnData);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, kKeepAliveSeconds);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, kKeepAliveSeconds);

  parser_.Reset();
  curl_multi_add_handle(multi_, curl);
  bool created = false;
  bool ended = false;
  std::string why;  // set when a stream message ends the connection
  int running = 1;
  while (why.empty() && !stopping()) {
    curl_multi_perform(multi_, &running);
    std::string object;
    while (why.empty() && !stopping() && parser_.Next(&object)) {
      HandleObject(object, endpoint_index, token, &created, &ended, &why);
    }
    if (running == 0) break;
    if (why.empty() && !stopping()) curl_multi_poll(multi_, nullptr, 0, kPollMillis, nullptr);
  }
  CURLcode result = CURLE_OK;
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
    if (message->msg == CURLMSG_DONE) result = message->data.result;
  }
  long http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  curl_multi_remove_handle(multi_, curl);

  if (ended) return Outcome::kEnded;
  if (stopping()) return Outcome::kReconnect;
  if (!created) client_->endpoints().ReportFailure(endpoint_index);
  if (why.empty()) {
    if (result != CURLE_OK) {
      why = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(result);
    } else if (http_status != 200) {
      why = "HTTP " + std::to_string(http_status);
    } else {
      why = "closed by the server";
    }
  }
  // The first failure is worth a warning; retries while etcd stays away are not.
  spdlog::log(in_trouble_ ? spdlog::level::debug : spdlog::level::warn,
              "etcd watch of {} on {}: {}; resuming from revision {}", prefix_, endpoint, why,
              resume_revision_);
  in_trouble_ = true;
  return created ? Outcome::kConnected : Outcome::kReconnect;
}

void WatchStream::HandleObject(const std::string& text, size_t endpoint_index, const std::string& token,
                               bool* created, bool* ended, std::string* why) {
  const json object = json::parse(text, nullptr, /*allow_exceptions=*/false);
  WatchMessage message;
  EtcdError error;
  Status status = object.is_discarded() ? Status::IOError("unparseable watch message")
                                        : DecodeWatchMessage(object, &message, &error);
  if (!status.ok()) {
    if (IsInvalidToken(error)) client_->InvalidateToken(token);
    *why = status.ToString();
    return;
  }
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
