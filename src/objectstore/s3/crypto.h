// Hashes and encodings the S3 protocol needs (SigV4, payload hashes,
// Content-MD5), on OpenSSL. All functions are pure and thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace kafscale::s3 {

// Lower-case hex of `bytes`.
std::string HexEncode(std::string_view bytes);

// Standard base64 (with '=' padding) of `bytes`.
std::string Base64Encode(std::string_view bytes);

// Raw 32-byte SHA-256 digest of `data`.
std::string Sha256(std::string_view data);

// Lower-case hex SHA-256 of `data` (or of `pieces` back to back): the
// x-amz-content-sha256 value.
std::string Sha256Hex(std::string_view data);
std::string Sha256Hex(std::span<const std::string_view> pieces);

// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);

// Base64 of the raw MD5 of `data`: the Content-MD5 value.
std::string Md5Base64(std::string_view data);

// Lower-case hex MD5 of `data` (or of `pieces` back to back): the ETag S3
// gives an object stored by one (not multipart) unencrypted or SSE-S3 PUT.
std::string Md5Hex(std::string_view data);
std::string Md5Hex(std::span<const std::string_view> pieces);

}  // namespace kafscale::s3
