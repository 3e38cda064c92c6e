// The S3 XML documents the store reads and writes, and small request
// helpers, kept apart from the HTTP code so they can be tested without a
// server. All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "objectstore/object_store.h"

namespace kafscale::s3 {

// S3 lists at most this many keys per page and deletes at most this many per
// DeleteObjects request.
inline constexpr size_t kMaxKeysPerRequest = 1000;

// The Code and Message of an S3 <Error> document; both empty when `body` is
// empty or not such a document (HEAD answers have no body).
struct S3Error {
  std::string code;
  std::string message;
};
S3Error ParseS3Error(std::string_view body);

// Fills *page from a ListObjectsV2 result (ListBucketResult). Keys are
// URL-decoded when the result says EncodingType url. ETags lose their quotes.
// next_continuation is set only when IsTruncated is true.
// Errors: IOError when the document is malformed or truncated without a
// NextContinuationToken.
Status ParseListObjectsV2(std::string_view body, ListPage* page);

// The UploadId of an InitiateMultipartUploadResult. Errors: IOError when
// missing or malformed.
Result<std::string> ParseUploadId(std::string_view body);

// Whether `body` is an <Error> document: CompleteMultipartUpload may answer
// 200 and still fail.
bool IsErrorDocument(std::string_view body);

// The per-key failures in a DeleteResult (a quiet delete lists only those).
struct DeleteFailure {
  std::string key;
  std::string code;
  std::string message;
};
Result<std::vector<DeleteFailure>> ParseDeleteFailures(std::string_view body);

// The quiet DeleteObjects request body for `keys`, which must satisfy
// XmlCanCarry.
std::string DeleteObjectsBody(std::span<const std::string> keys);

// The CompleteMultipartUpload body; part i + 1 has ETag part_etags[i].
std::string CompleteMultipartUploadBody(const std::vector<std::string>& part_etags);

// The CreateBucket body: empty for us-east-1 (which rejects a location
// constraint), a CreateBucketConfiguration naming `region` otherwise.
std::string CreateBucketBody(std::string_view region);

// The Range header value for bytes [offset, offset + length), or nullopt when
// the whole object is wanted (offset 0, length kToEnd). A length reaching
// past 2^64 means "to the end". length must be > 0: HTTP cannot ask for an
// empty range.
std::optional<std::string> RangeHeaderValue(uint64_t offset, uint64_t length);

// `etag` without surrounding double quotes.
std::string UnquoteETag(std::string_view etag);

}  // namespace kafscale::s3
