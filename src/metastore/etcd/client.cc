#include "metastore/etcd/client.h"

#include <utility>

namespace kafscale::etcd {

using nlohmann::json;

struct EtcdClient::Attempt {
  CURLcode transport = CURLE_OK;
  std::string transport_error;
  bool sent = false;  // some request bytes left for the server
  long http_status = 0;
  std::string body;
};

EtcdClient::EtcdClient(ClientOptions options) : options_(std::move(options)), endpoints_(options_.endpoints) {
  EnsureCurlInitialized();
}

EtcdClient::~EtcdClient() = default;

CurlEasy EtcdClient::AcquireHandle() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!idle_handles_.empty()) {
      CurlEasy handle = std::move(idle_handles_.back());
      idle_handles_.pop_back();
      return handle;
    }
  }
  return CurlEasy(curl_easy_init());
}

void EtcdClient::ReleaseHandle(CurlEasy handle) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  idle_handles_.push_back(std::move(handle));
}

void EtcdClient::Post(const std::string& url, const std::string& body, const std::string& token,
                      Attempt* attempt) {
  CurlEasy handle = AcquireHandle();
  if (handle == nullptr) {
    attempt->transport = CURLE_OUT_OF_MEMORY;
    attempt->transport_error = "curl_easy_init failed";
    return;
  }
  CURL* curl = handle.get();
  // Reset keeps the handle's open connections but drops the last call's options.
  curl_easy_reset(curl);
  CurlHeaders headers;
  AddRequestHeaders(token, &headers);
  char error_buffer[CURL_ERROR_SIZE] = {};
  SetPostOptions(curl, url, body, headers, error_buffer, options_.dial_timeout);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &attempt->body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  attempt->transport = curl_easy_perform(curl);
  if (attempt->transport != CURLE_OK) {
    attempt->transport_error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(attempt->transport);
  }
  long request_bytes = 0;
  curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_bytes);
  attempt->sent = request_bytes > 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &attempt->http_status);
  // The error buffer and header list die with this frame.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  ReleaseHandle(std::move(handle));
}

Status EtcdClient::CallWithFailover(std::string_view path, const std::string& body, const std::string& token,
                                    RetryPolicy retry, json* response, bool* invalid_token) {
  *invalid_token = false;
  Status last = Status::Unavailable("etcd: no endpoint tried");
  for (size_t index : endpoints_.AttemptOrder()) {
    const std::string& endpoint = endpoints_.at(index);
    Attempt attempt;
    Post(endpoint + std::string(path), body, token, &attempt);
    if (attempt.transport != CURLE_OK) {
      endpoints_.ReportFailure(index);
      const std::string message = "etcd " + endpoint + ": " + attempt.transport_error;
      last = attempt.transport == CURLE_OPERATION_TIMEDOUT ? Status::Timeout(message)
                                                           : Status::Unavailable(message);
      if (attempt.sent && retry == RetryPolicy::kUnsentOnly) return last;
      continue;
    }
    if (attempt.http_status != 200) {
      const EtcdError error = ErrorFromHttpAnswer(attempt.http_status, attempt.body);
      if (attempt.http_status >= 500 || error.grpc_code == kGrpcUnavailable) {
        endpoints_.ReportFailure(index);
        last = StatusFromError(error);
        if (retry == RetryPolicy::kUnsentOnly) return last;
        continue;
      }
      endpoints_.ReportSuccess(index);
      *invalid_token = IsInvalidToken(error);
      return StatusFromError(error);
    }
    endpoints_.ReportSuccess(index);
    *response = json::parse(attempt.body, nullptr, /*allow_exceptions=*/false);
    if (!response->is_object()) {
      return Status::IOError("etcd " + endpoint + ": answer is not a JSON object: " + attempt.body.substr(0, 200));
    }
    // Streaming calls (lease keepalive) answer 200 with {"error": {...}}.
    EtcdError error;
    if (FindError(*response, &error)) {
      *invalid_token = IsInvalidToken(error);
      return StatusFromError(error);
    }
    return Status::OK();
  }
  return last;
}

Status EtcdClient::Call(std::string_view path, const json& request, RetryPolicy retry, json* response) {
  const std::string body = request.dump();
  for (int attempt = 0;; ++attempt) {
    std::string token;
    Status status = Token(&token);
    if (!status.ok()) return status;
    bool invalid_token = false;
    status = CallWithFailover(path, body, token, retry, response, &invalid_token);
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
    json response;
    bool invalid_token = false;
    Status status = CallWithFailover("/v3/auth/authenticate",
                                     AuthenticateRequest(options_.username, options_.password).dump(), "",
                                     RetryPolicy::kIdempotent, &response, &invalid_token);
    if (!status.ok()) return status;
    auto field = response.find("token");
    if (field == response.end() || !field->is_string() || field->get_ref<const std::string&>().empty()) {
      return Status::IOError("etcd: authenticate answered without a token");
    }
    token_ = field->get<std::string>();
  }
  *token = token_;
  return Status::OK();
}

void EtcdClient::InvalidateToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(token_mu_);
  if (token_ == token) token_.clear();
}

}  // namespace kafscale::etcd
