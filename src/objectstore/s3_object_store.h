// S3ObjectStore: the ObjectStore on Amazon S3 or any S3-compatible service
// (Ceph RADOS Gateway, MinIO, ...), spoken directly over HTTP with libcurl
// and AWS Signature Version 4.
//
// Requests that fail with a 5xx, 408, 429 or a connection problem are
// retried with exponential backoff and full jitter; other 4xx answers are
// final. Puts larger than the multipart threshold are uploaded in parts
// (and the upload aborted if a part fails), so no single request carries
// more than a part. PutIfAbsent is always one conditional PUT.
//
// PutIfAbsent sends `If-None-Match: *`; S3 answers 412 when the key exists.
// A 412 to the first attempt is AlreadyExists. A 412 after a retry may
// answer our own earlier attempt, which stored the object but whose answer
// was lost (a timeout, a 500), so the store then HEADs the key: the ETag of
// an object from one PUT is the hex MD5 of its body, and when ETag and size
// match `data` the call reports OK (the key holds exactly these bytes,
// whoever wrote them); otherwise AlreadyExists. With SSE-KMS or SSE-C the
// ETag is not the MD5, so that case reports AlreadyExists: a false
// "someone else owns it", never a false success.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "objectstore/object_store.h"
#include "objectstore/s3/addressing.h"
#include "objectstore/s3/http_client.h"
#include "objectstore/s3/retry_policy.h"
#include "objectstore/s3/sigv4.h"

namespace kafscale {

struct S3Options {
  std::string bucket;  // at least 3 characters
  std::string region = "us-east-1";
  // "http[s]://host[:port]"; empty means AWS, https://s3.<region>.amazonaws.com.
  std::string endpoint;
  // Path-style addressing (endpoint/bucket/key), which most S3-compatible
  // services need; otherwise virtual-host style (bucket.endpoint/key).
  bool path_style = false;
  // Empty access_key_id sends requests unsigned (public buckets).
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // for temporary credentials; may be empty
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};  // per HTTP request (one part of a multipart upload)
  int max_retries = 3;
  std::chrono::milliseconds retry_base_delay{100};
  std::chrono::milliseconds retry_max_delay{5000};
  // Puts of more than this many bytes use multipart upload, in parts of
  // multipart_part_size bytes (5 MiB to 5 GiB, S3's limits; parts grow when
  // an object would need more than 10,000).
  uint64_t multipart_threshold = uint64_t{64} << 20;
  uint64_t multipart_part_size = uint64_t{16} << 20;
  bool create_bucket_if_missing = false;
  // Sign each upload's body (its SHA-256 in the signature, so S3 rejects a
  // body changed in transit). false sends UNSIGNED-PAYLOAD and saves the
  // hash (about half a CPU-second per GB): for HTTPS, whose TLS protects
  // the body; KafScale's objects also carry CRC32Cs checked on every read.
  bool sign_payload = true;
};

// What the store has done, per operation, since it was opened.
enum class S3Operation { kPut, kPutIfAbsent, kGet, kHead, kList, kDeleteBatch };
inline constexpr size_t kS3OperationCount = 6;

// "put", "put_if_absent", "get", "head", "list", "delete_batch": for metric
// labels.
std::string_view S3OperationName(S3Operation operation);

struct S3OperationStats {
  uint64_t calls = 0;     // ObjectStore calls
  // Calls that failed for another reason than the caller's (NotFound,
  // AlreadyExists and InvalidArgument are the caller's).
  uint64_t failures = 0;
  uint64_t http_requests = 0;  // HTTP attempts, retries and multipart parts included
  uint64_t retries = 0;        // attempts repeated after a retriable failure
  uint64_t bytes_sent = 0;     // request bodies
  uint64_t bytes_received = 0; // response bodies
  uint64_t latency_total_us = 0;  // summed over calls, retries and backoff included
  uint64_t latency_max_us = 0;
};

struct S3Stats {
  std::array<S3OperationStats, kS3OperationCount> operations;

  const S3OperationStats& operator[](S3Operation operation) const {
    return operations[static_cast<size_t>(operation)];
  }
};

class S3ObjectStore final : public ObjectStore {
 public:
  // Validates `options`, then checks the bucket with HEAD bucket, so a bad
  // configuration fails start-up with a message that says what is wrong:
  // InvalidArgument for bad options; PermissionDenied naming the access key
  // id when S3 rejects the credentials (wrong key id or secret) or denies
  // access; NotFound when the bucket does not exist (it is created instead
  // when create_bucket_if_missing); Unavailable/Timeout when the endpoint
  // cannot be reached after the retries.
  static Result<std::unique_ptr<S3ObjectStore>> Open(const S3Options& options);

  // ObjectStore. Thread-safe: calls share nothing but a pool of HTTP
  // connections and the statistics. Blocking; a call takes at most about
  // (max_retries + 1) request timeouts plus backoff (times the part count
  // for a multipart Put). ETags are S3's, without quotes. Errors as in
  // object_store.h; S3's answers map as 404 -> NotFound, 403 ->
  // PermissionDenied, 416 -> InvalidArgument, 409/412 -> Conflict (but 412
  // -> AlreadyExists for PutIfAbsent, as described above), 5xx and 429
  // after the retries -> Unavailable, timeouts -> Timeout, connection
  // failures -> Unavailable, unreadable XML -> IOError. PutIfAbsent of more
  // than 5 GiB (S3's single-PUT limit) is InvalidArgument. DeleteBatch sends
  // up to 1,000 keys per DeleteObjects request, except keys with control
  // characters XML cannot carry, which get one DELETE each.
  Status Put(const std::string& key, const ObjectBody& data) override;
  Status PutIfAbsent(const std::string& key, const ObjectBody& data) override;
  Status Get(const std::string& key, std::string* out, uint64_t offset = 0, uint64_t length = kToEnd) override;
  Status Head(const std::string& key, ObjectInfo* info) override;
  Status List(const std::string& prefix, const std::string& continuation, size_t max_keys,
              ListPage* page) override;
  Status DeleteBatch(const std::vector<std::string>& keys) override;

  // A snapshot of the counters. Thread-safe; counters of calls in flight
  // may be partly included. Open's bucket check counts as a head, creating
  // the bucket as a put.
  S3Stats stats() const;

  const S3Options& options() const { return options_; }

 private:
  // One S3 request before signing; bucket-level when `key` is empty.
  struct Request {
    std::string_view method{};
    std::string_view key{};
    s3::QueryParams query{};
    s3::HttpHeaders headers{};  // beyond host and the SigV4 headers
    ObjectBody body = std::string_view();
    std::string* response_sink = nullptr;
    // CompleteMultipartUpload can answer 200 with an <Error> document; such
    // an answer then counts as a 500.
    bool error_document_means_failure = false;
  };
  struct AtomicOperationStats {
    std::atomic<uint64_t> calls{0};
    std::atomic<uint64_t> failures{0};
    std::atomic<uint64_t> http_requests{0};
    std::atomic<uint64_t> retries{0};
    std::atomic<uint64_t> bytes_sent{0};
    std::atomic<uint64_t> bytes_received{0};
    std::atomic<uint64_t> latency_total_us{0};
    std::atomic<uint64_t> latency_max_us{0};
  };
  // Times one ObjectStore call and adds it, and its HTTP requests, to the
  // statistics.
  class CallRecorder;

  S3ObjectStore(const S3Options& options, s3::Endpoint endpoint);

  Status CheckBucket();
  Status CreateBucket();
  Status PutSingle(const std::string& key, const ObjectBody& data, CallRecorder& recorder);
  Status PutMultipart(const std::string& key, std::string_view data, CallRecorder& recorder);
  void AbortMultipartUpload(const std::string& key, const std::string& upload_id, CallRecorder& recorder);
  Status HeadObject(const std::string& key, ObjectInfo* info, CallRecorder& recorder);

  // Signs and sends `request`, retrying per the retry policy. OK when S3
  // answered 2xx; the answer is in *response either way when one arrived.
  Status Execute(const Request& request, s3::HttpResponse* response, CallRecorder& recorder);
  // "METHOD bucket/key" for messages.
  std::string Describe(const Request& request) const;

  const S3Options options_;
  const s3::Endpoint endpoint_;
  const s3::SigV4Credentials credentials_;
  const s3::RetryPolicy retry_policy_;
  s3::HttpClient http_;
  std::array<AtomicOperationStats, kS3OperationCount> stats_;
};

}  // namespace kafscale
