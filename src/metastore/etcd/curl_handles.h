// Small RAII owners for libcurl objects shared by the etcd client and its
// watch streams.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "common/noncopyable.h"

namespace kafscale::etcd {

// Runs curl_global_init once per process (it is not thread-safe itself);
// call before creating any handle. The matching cleanup is left to process
// exit, since other libraries in the process may use curl too.
void EnsureCurlInitialized();

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

// A curl_slist of HTTP headers.
class CurlHeaders : NonCopyable {
 public:
  ~CurlHeaders() { curl_slist_free_all(list_); }
  void Append(const std::string& header) { list_ = curl_slist_append(list_, header.c_str()); }
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

// The JSON headers every etcd request carries, plus the auth token when
// non-empty. "Expect:" stops curl from waiting for 100-continue on large
// bodies, which the gateway never sends.
void AddRequestHeaders(const std::string& token, CurlHeaders* headers);

// Sets what every etcd request shares: a JSON POST of `body` to `url` with
// `headers`, errors described in `error_buffer` (CURL_ERROR_SIZE bytes),
// no signals (threads), TCP keepalive, and no proxy: etcd is reached
// directly even where http_proxy is set for the outside world. Every
// argument must outlive the transfer.
void SetPostOptions(CURL* curl, const std::string& url, const std::string& body, const CurlHeaders& headers,
                    char* error_buffer, std::chrono::milliseconds dial_timeout);

// CURLOPT_WRITEFUNCTION appending to the std::string in CURLOPT_WRITEDATA.
size_t AppendToString(char* data, size_t size, size_t count, void* target);

}  // namespace kafscale::etcd
