#include "objectstore/s3/addressing.h"

namespace kafscale::s3 {

Result<Endpoint> ParseEndpoint(std::string_view endpoint, std::string_view region) {
  if (endpoint.empty()) return Endpoint{"https", "s3." + std::string(region) + ".amazonaws.com"};
  Endpoint parsed;
  size_t separator = endpoint.find("://");
  if (separator != std::string_view::npos) parsed.scheme = endpoint.substr(0, separator);
  if (parsed.scheme != "http" && parsed.scheme != "https") {
    return Status::InvalidArgument("S3 endpoint \"" + std::string(endpoint) +
                                   "\" must start with http:// or https://");
  }
  std::string_view rest = endpoint.substr(separator + 3);
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string_view::npos) {
    return Status::InvalidArgument("S3 endpoint \"" + std::string(endpoint) +
                                   "\" must be scheme://host[:port] with no path, query or user");
  }
  parsed.authority = rest;
  return parsed;
}

RequestTarget MakeRequestTarget(const Endpoint& endpoint, std::string_view bucket, bool path_style,
                                std::string_view key, const QueryParams& query) {
  RequestTarget target;
  std::string encoded_key = UriEncode(key, true);
  if (path_style) {
    target.host = endpoint.authority;
    target.canonical_uri = "/" + UriEncode(bucket, false);
    if (!key.empty()) target.canonical_uri += "/" + encoded_key;
  } else {
    target.host = std::string(bucket) + "." + endpoint.authority;
    target.canonical_uri = "/" + encoded_key;
  }
  target.canonical_query = CanonicalQueryString(query);
  target.url = endpoint.scheme + "://" + target.host + target.canonical_uri;
  if (!target.canonical_query.empty()) target.url += "?" + target.canonical_query;
  return target;
}

}  // namespace kafscale::s3
