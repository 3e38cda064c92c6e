// A minimal HTTP/1.1 GET over plain TCP, for reading a broker's /readyz.
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"

namespace kafscale::cli {

struct HttpReply {
  int status = 0;
  std::string body;
};

// GETs `url` ("http://host:port/path"; https is not supported) and reads
// the whole reply (Content-Length or until close). Errors: InvalidArgument
// for a bad URL, network errors, Corruption for a reply that is not HTTP.
// Thread-safe.
Result<HttpReply> HttpGet(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace kafscale::cli
