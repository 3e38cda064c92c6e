// AWS Signature Version 4 for S3 requests, and the URI encoding it depends on
// (the same strings go on the wire, so what is signed is what is sent).
// All functions are pure and thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kafscale::s3 {

// Unencoded query parameters; a parameter without a value ("?uploads") has an
// empty value and is sent as "uploads=", which S3 treats the same.
using QueryParams = std::vector<std::pair<std::string, std::string>>;
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// S3's URI encoding: every byte except the unreserved A-Z a-z 0-9 - . _ ~ is
// written as %XX (upper-case hex); '/' is kept when keep_slash (object key
// paths) and encoded otherwise (query names and values).
std::string UriEncode(std::string_view text, bool keep_slash);

// Decodes %XX escapes, and '+' as a space when plus_is_space (the form
// encoding S3 uses for keys in "encoding-type=url" listings). Malformed
// escapes are kept literally.
std::string UriDecode(std::string_view text, bool plus_is_space);

// The canonical query string: names and values URI-encoded, pairs sorted by
// encoded name then value, joined by '&'. Sent as the URL's query too.
std::string CanonicalQueryString(const QueryParams& params);

// "20130524T000000Z" for the x-amz-date header.
std::string AmzDate(std::chrono::system_clock::time_point time);

struct SigV4Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // sent as x-amz-security-token when non-empty
};

// One request to sign. Every header in `headers` is signed; it must include
// host, x-amz-date and x-amz-content-sha256 (AddSigV4Headers adds the last
// two).
struct SigV4Request {
  std::string_view method;           // "GET", "PUT", ...
  std::string_view canonical_uri;    // already URI-encoded path, starting with '/'
  std::string_view canonical_query;  // CanonicalQueryString's result, without '?'
  HttpHeaders headers;
  std::string_view payload_sha256_hex;
};

// Adds x-amz-date, x-amz-content-sha256 and (with a session token)
// x-amz-security-token to *headers.
void AddSigV4Headers(const SigV4Credentials& credentials, std::string_view amz_date,
                     std::string_view payload_sha256_hex, HttpHeaders* headers);

// The canonical request of the SigV4 specification (exposed for tests).
std::string CanonicalRequest(const SigV4Request& request);

// The Authorization header value ("AWS4-HMAC-SHA256 Credential=...,
// SignedHeaders=...,Signature=...") for `request`, signed at `amz_date` (the
// request's own x-amz-date) for `region` and `service` ("s3").
std::string SigV4Authorization(const SigV4Request& request, const SigV4Credentials& credentials,
                               std::string_view region, std::string_view service, std::string_view amz_date);

}  // namespace kafscale::s3
