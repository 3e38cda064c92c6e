// A blocking HTTP/1.1 client on libcurl for the S3 store: one call per
// request, any number of calls at once. Each call borrows a curl easy handle
// from a pool and returns it afterwards, so connections (kept alive by the
// handle) and TLS sessions are reused; DNS answers and TLS sessions are
// shared between handles.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/noncopyable.h"
#include "common/status.h"
#include "objectstore/object_store.h"
#include "objectstore/s3/sigv4.h"

namespace kafscale::s3 {

struct HttpRequest {
  std::string_view method;  // "GET", "HEAD", "PUT", "POST", "DELETE"
  std::string url;          // fully encoded; sent as is
  HttpHeaders headers;      // sent as given (curl adds only Content-Length, Accept and User-Agent)
  ObjectBody body = std::string_view();  // sent for PUT and POST, even when empty; must outlive Perform
  // When set, a 2xx answer's body is appended here instead of to
  // HttpResponse::body (error bodies always go to HttpResponse::body).
  std::string* response_sink = nullptr;
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;  // names lower-cased, values trimmed
  std::string body;
  uint64_t bytes_received = 0;  // body bytes, sink or not

  // The value of header `lower_case_name`, or "" when absent.
  std::string Header(std::string_view lower_case_name) const;
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};  // whole request, upload and download included
};

// The Status for a failed curl transfer (curl_code is a CURLcode): resolve,
// connect, send and receive failures are Unavailable, timeouts Timeout, a bad
// URL InvalidArgument, the rest IOError. `detail` goes into the message.
Status CurlCodeToStatus(int curl_code, std::string_view detail);

class HttpClient : NonCopyable {
 public:
  // Initialises libcurl once per process (curl_global_init is not
  // thread-safe, so the first HttpClient must not race other curl users).
  explicit HttpClient(const HttpClientOptions& options);
  ~HttpClient();

  // Performs one request and fills *response (reset first). OK means an
  // HTTP answer arrived, whatever its status; otherwise the transport
  // failed as CurlCodeToStatus describes and *response is unspecified.
  // Thread-safe; blocks for at most about connect + request timeout.
  Status Perform(const HttpRequest& request, HttpResponse* response);

 private:
  struct HandleDeleter {
    void operator()(void* handle) const;
  };
  using Handle = std::unique_ptr<void, HandleDeleter>;
  class Share;

  Handle Acquire();
  void Release(Handle handle);

  const HttpClientOptions options_;
  std::unique_ptr<Share> share_;
  std::mutex pool_mutex_;
  std::vector<Handle> idle_handles_;  // guarded by pool_mutex_
};

}  // namespace kafscale::s3
