// Where an S3 request goes: the endpoint, path-style or virtual-host
// addressing, and the encoded URL and canonical URI that go with them. Pure
// and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "objectstore/s3/sigv4.h"

namespace kafscale::s3 {

struct Endpoint {
  std::string scheme;     // "http" or "https"
  std::string authority;  // "host" or "host:port", as the Host header carries it
};

// Parses "http://host[:port]" or "https://host[:port]" (a trailing '/' is
// allowed, no other path). An empty `endpoint` means AWS:
// https://s3.<region>.amazonaws.com. Errors: InvalidArgument saying what is
// wrong.
Result<Endpoint> ParseEndpoint(std::string_view endpoint, std::string_view region);

struct RequestTarget {
  std::string host;             // Host header
  std::string canonical_uri;    // encoded path, as signed
  std::string canonical_query;  // encoded, sorted query, as signed
  std::string url;              // scheme://host + path + ('?' + query)
};

// The target of a request for `key` (bucket-level when empty) in `bucket`.
// Path style: host is the endpoint, path "/bucket/key" ("/bucket" for the
// bucket). Virtual-host style: host "bucket.endpoint", path "/key" ("/").
RequestTarget MakeRequestTarget(const Endpoint& endpoint, std::string_view bucket, bool path_style,
                                std::string_view key, const QueryParams& query);

}  // namespace kafscale::s3
