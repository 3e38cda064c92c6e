#include "objectstore/s3_object_store.h"

#include <algorithm>
#include <charconv>
#include <span>
#include <thread>

#include "common/noncopyable.h"
#include "objectstore/s3/crypto.h"
#include "objectstore/s3/documents.h"
#include "objectstore/s3/xml.h"
#include "objectstore/store_support.h"

namespace kafscale {

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kMinPartSize = uint64_t{5} << 20;  // S3's limits
constexpr uint64_t kMaxPartSize = uint64_t{5} << 30;
constexpr uint64_t kMaxParts = 10000;
constexpr uint64_t kMaxSinglePutBytes = uint64_t{5} << 30;
// SHA-256 of nothing: the payload hash of every request without a body.
constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

Status ValidateOptions(const S3Options& options) {
  auto invalid = [](const std::string& what) { return Status::InvalidArgument("S3 options: " + what); };
  if (options.bucket.size() < 3 || options.bucket.size() > 63) {
    return invalid("bucket name \"" + options.bucket + "\" must have 3 to 63 characters");
  }
  if (options.region.empty()) return invalid("region is empty");
  if (!options.access_key_id.empty() && options.secret_access_key.empty()) {
    return invalid("access key id \"" + options.access_key_id + "\" has no secret access key");
  }
  if (options.connect_timeout.count() <= 0 || options.request_timeout.count() <= 0) {
    return invalid("timeouts must be positive");
  }
  if (options.max_retries < 0) return invalid("max_retries must be >= 0");
  if (options.retry_base_delay.count() < 0 || options.retry_max_delay < options.retry_base_delay) {
    return invalid("retry delays must satisfy 0 <= base <= max");
  }
  if (options.multipart_part_size < kMinPartSize || options.multipart_part_size > kMaxPartSize) {
    return invalid("multipart_part_size " + std::to_string(options.multipart_part_size) +
                   " is outside S3's 5 MiB to 5 GiB");
  }
  return Status::OK();
}

uint64_t MicrosecondsSince(Clock::time_point start) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
}

Result<uint64_t> ParseContentLength(const std::string& text) {
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return Status::IOError("S3 answered with a bad Content-Length \"" + text + "\"");
  }
  return value;
}

// `status` with its message replaced.
Status WithMessage(const Status& status, const std::string& message) {
  switch (status.code()) {
    case Status::Code::kOk: return status;
    case Status::Code::kNotFound: return Status::NotFound(message);
    case Status::Code::kAlreadyExists: return Status::AlreadyExists(message);
    case Status::Code::kCorruption: return Status::Corruption(message);
    case Status::Code::kInvalidArgument: return Status::InvalidArgument(message);
    case Status::Code::kIOError: return Status::IOError(message);
    case Status::Code::kUnavailable: return Status::Unavailable(message);
    case Status::Code::kTimeout: return Status::Timeout(message);
    case Status::Code::kConflict: return Status::Conflict(message);
    case Status::Code::kPermissionDenied: return Status::PermissionDenied(message);
    case Status::Code::kAborted: return Status::Aborted(message);
  }
  return Status::IOError(message);
}

// Why S3 may have refused the credentials, by its error code.
std::string CredentialHint(const std::string& code) {
  if (code == "SignatureDoesNotMatch") return "the secret access key is wrong";
  if (code == "InvalidAccessKeyId") return "the access key id is unknown to this endpoint";
  if (code == "AccessDenied") return "the credentials have no access to this bucket";
  return "the credentials were rejected";
}

}  // namespace

std::string_view S3OperationName(S3Operation operation) {
  switch (operation) {
    case S3Operation::kPut: return "put";
    case S3Operation::kPutIfAbsent: return "put_if_absent";
    case S3Operation::kGet: return "get";
    case S3Operation::kHead: return "head";
    case S3Operation::kList: return "list";
    case S3Operation::kDeleteBatch: return "delete_batch";
  }
  return "unknown";
}

// The injected name NonCopyable is ObjectStore's private base here, hence the qualification.
class S3ObjectStore::CallRecorder : ::kafscale::NonCopyable {
 public:
  explicit CallRecorder(AtomicOperationStats& stats) : stats_(stats), start_(Clock::now()) {}

  void OnRequest(uint64_t bytes_sent) {
    stats_.http_requests.fetch_add(1, std::memory_order_relaxed);
    stats_.bytes_sent.fetch_add(bytes_sent, std::memory_order_relaxed);
  }
  void OnResponse(uint64_t bytes_received) {
    stats_.bytes_received.fetch_add(bytes_received, std::memory_order_relaxed);
  }
  void OnRetry() {
    stats_.retries.fetch_add(1, std::memory_order_relaxed);
    retried_ = true;
  }
  // Whether a request of this call was sent more than once.
  bool retried() const { return retried_; }

  // Records the end of the call and passes its outcome through.
  Status Finish(Status status) {
    uint64_t latency = MicrosecondsSince(start_);
    stats_.calls.fetch_add(1, std::memory_order_relaxed);
    bool callers_fault =
        status.IsNotFound() || status.IsAlreadyExists() || status.code() == Status::Code::kInvalidArgument;
    if (!status.ok() && !callers_fault) stats_.failures.fetch_add(1, std::memory_order_relaxed);
    stats_.latency_total_us.fetch_add(latency, std::memory_order_relaxed);
    uint64_t max = stats_.latency_max_us.load(std::memory_order_relaxed);
    while (latency > max && !stats_.latency_max_us.compare_exchange_weak(max, latency, std::memory_order_relaxed)) {
    }
    return status;
  }

 private:
  AtomicOperationStats& stats_;
  const Clock::time_point start_;
  bool retried_ = false;
};

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Open(const S3Options& options) {
  if (Status s = ValidateOptions(options); !s.ok()) return s;
  Result<s3::Endpoint> endpoint = s3::ParseEndpoint(options.endpoint, options.region);
  if (!endpoint.ok()) return endpoint.status();
  std::unique_ptr<S3ObjectStore> store(new S3ObjectStore(options, std::move(endpoint).value()));
  if (Status s = store->CheckBucket(); !s.ok()) return s;
  return store;
}

S3ObjectStore::S3ObjectStore(const S3Options& options, s3::Endpoint endpoint)
    : options_(options),
      endpoint_(std::move(endpoint)),
      credentials_{options.access_key_id, options.secret_access_key, options.session_token},
      retry_policy_{options.max_retries, options.retry_base_delay, options.retry_max_delay},
      http_(s3::HttpClientOptions{options.connect_timeout, options.request_timeout}) {}

std::string S3ObjectStore::Describe(const Request& request) const {
  return std::string(request.method) + " " + options_.bucket + "/" + std::string(request.key);
}

Status S3ObjectStore::Execute(const Request& request, s3::HttpResponse* response, CallRecorder& recorder) {
  s3::RequestTarget target =
      s3::MakeRequestTarget(endpoint_, options_.bucket, options_.path_style, request.key, request.query);
  std::string payload_hash = request.body.size() == 0  ? std::string(kEmptySha256)
                             : options_.sign_payload ? s3::Sha256Hex(request.body.pieces())
                                                     : std::string(kUnsignedPayload);
  thread_local std::mt19937_64 random(std::random_device{}());
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) {
      recorder.OnRetry();
      std::this_thread::sleep_for(retry_policy_.Backoff(attempt - 1, random));
    }
    s3::HttpRequest http{request.method, target.url, request.headers, request.body, request.response_sink};
    http.headers.emplace_back("host", target.host);
    if (!credentials_.access_key_id.empty()) {
      // Signed per attempt: S3 rejects signatures older than 15 minutes.
      std::string amz_date = s3::AmzDate(std::chrono::system_clock::now());
      s3::AddSigV4Headers(credentials_, amz_date, payload_hash, &http.headers);
      s3::SigV4Request signing{request.method, target.canonical_uri, target.canonical_query, http.headers,
                               payload_hash};
      http.headers.emplace_back("authorization",
                                s3::SigV4Authorization(signing, credentials_, options_.region, "s3", amz_date));
    }
    if (request.response_sink != nullptr) request.response_sink->clear();
    recorder.OnRequest(request.body.size());
    Status transport = http_.Perform(http, response);
    recorder.OnResponse(response->bytes_received);
    if (transport.ok() && request.error_document_means_failure && response->status / 100 == 2 &&
        s3::IsErrorDocument(response->body)) {
      response->status = 500;
    }
    if (transport.ok() && response->status / 100 == 2) return Status::OK();
    if (attempt < retry_policy_.max_retries && s3::ShouldRetry(transport, response->status)) continue;
    Status failure = transport.ok() ? s3::HttpErrorToStatus(response->status, s3::ParseS3Error(response->body),
                                                            Describe(request))
                                    : transport;
    if (attempt == 0) return failure;
    return WithMessage(failure, failure.message() + " (after " + std::to_string(attempt + 1) + " attempts)");
  }
}

Status S3ObjectStore::CheckBucket() {
  CallRecorder recorder(stats_[static_cast<size_t>(S3Operation::kHead)]);
  std::string where = "S3 bucket \"" + options_.bucket + "\" at " + endpoint_.scheme + "://" + endpoint_.authority;
  s3::HttpResponse response;
  Status s = Execute({.method = "HEAD"}, &response, recorder);
  if (s.ok()) return recorder.Finish(s);
  if (response.status == 0) return recorder.Finish(WithMessage(s, "cannot reach " + where + ": " + s.message()));
  // HEAD answers carry no body; a one-key listing shows S3's error code.
  s3::HttpResponse listing;
  Execute({.method = "GET", .query = {{"list-type", "2"}, {"max-keys", "1"}}}, &listing, recorder);
  s3::S3Error error = s3::ParseS3Error(listing.body);
  std::string detail = error.code.empty() ? "HTTP " + std::to_string(response.status) : error.code;
  if (!error.message.empty()) detail += " (" + error.message + ")";
  if (response.status == 403) {
    return recorder.Finish(Status::PermissionDenied(where + " refused access key id \"" + options_.access_key_id +
                                                    "\": " + detail + "; " + CredentialHint(error.code)));
  }
  if (response.status == 404) {
    if (options_.create_bucket_if_missing) return recorder.Finish(CreateBucket());
    return recorder.Finish(Status::NotFound(where + " does not exist: " + detail +
                                            " (create it, or allow creating it)"));
  }
  std::string bucket_region = response.Header("x-amz-bucket-region");
  if (!bucket_region.empty() && bucket_region != options_.region) {
    detail += "; the bucket is in region " + bucket_region + ", not " + options_.region;
  }
  return recorder.Finish(WithMessage(s, "checking " + where + ": " + s.message() + ": " + detail));
}

Status S3ObjectStore::CreateBucket() {
  CallRecorder recorder(stats_[static_cast<size_t>(S3Operation::kPut)]);
  std::string body = s3::CreateBucketBody(options_.region);
  s3::HttpResponse response;
  Status s = Execute({.method = "PUT", .body = body}, &response, recorder);
  // Another broker may have created it first.
  if (s.IsConflict() && s3::ParseS3Error(response.body).code == "BucketAlreadyOwnedByYou") s = Status::OK();
  if (!s.ok()) s = WithMessage(s, "creating S3 bucket \"" + options_.bucket + "\": " + s.message());
  return recorder.Finish(s);
}

Status S3ObjectStore::Put(const std::string& key, const ObjectBody& data) {
  CallRecorder recorder(stats_[static_cast<size_t>(S3Operation::kPut)]);
  if (Status s = ValidateObjectKey(key); !s.ok()) return recorder.Finish(s);
  if (data.size() > options_.multipart_threshold) {
    // Parts are cut out of one buffer.
    std::string storage;
    return recorder.Finish(PutMultipart(key, data.Contiguous(&storage), recorder));
  }
  return recorder.Finish(PutSingle(key, data, recorder));
}

Status S3ObjectStore::PutSingle(const std::string& key, const ObjectBody& data, CallRecorder& recorder) {
  s3::HttpResponse response;
  return Execute({.method = "PUT", .key = key, .body = data}, &response, recorder);
}

Status S3ObjectStore::PutIfAbsent(const std::string& key, const ObjectBody& data) {
  CallRecorder recorder(stats_[static_cast<size_t>(S3Operation::kPutIfAbsent)]);
  if (Status s = ValidateObjectKey(key); !s.ok()) return recorder.Finish(s);
  // Never multipart: the retry check below relies on the ETag of one PUT.
  if (data.size() > kMaxSinglePutBytes) {
    return recorder.Finish(Status::InvalidArgument("PutIfAbsent of " + key + ": " + std::to_string(data.size()) +
                                                   " bytes exceed S3's single-PUT limit of 5 GiB"));
  }
  s3::HttpResponse response;
  Status s = Execute({.method = "PUT", .key = key, .headers = {{"if-none-match", "*"}}, .body = data}, &response,
                     recorder);
  // Conflict comes only from an HTTP answer, so response.status is that answer's.
  if (!s.IsConflict() || response.status != 412) return recorder.Finish(s);
  Status taken = Status::AlreadyExists("object " + key + " already exists in S3 bucket " + options_.bucket);
  if (!recorder.retried()) return recorder.Finish(taken);
  ObjectInfo stored;
  Status head = HeadObject(key, &stored, recorder);
  // A retriable failure leaves the question open for the caller to retry;
  // any other (the object deleted meanwhile, say) cannot show it was ours.
  if (head.IsRetriable()) {
    return recorder.Finish(WithMessage(head, "PutIfAbsent of " + key + " got 412 after a retry; checking whether "
                                                 "an earlier attempt stored it failed: " + head.message()));
  }
  if (head.ok() && stored.size == data.size() && stored.etag == s3::Md5Hex(data.pieces())) {
    return recorder.Finish(Status::OK());
  }
  return recorder.Finish(taken);
}

Status S3ObjectStore::PutMultipart(const std::string& key, std::string_view data, CallRecorder& recorder) {
  s3::HttpResponse response;
  Status s = Execute({.method = "POST", .key = key, .query = {{"uploads", ""}}}, &response, recorder);
  if (!s.ok()) return s;
  Result<std::string> upload_id = s3::ParseUploadId(response.body);
  if (!upload_id.ok()) return upload_id.status();

  // Parts grow beyond the configured size only when S3's part limit needs it.
  uint64_t part_size = std::max<uint64_t>(options_.multipart_part_size, (data.size() + kMaxParts - 1) / kMaxParts);
  std::vector<std::string> part_etags;
  for (uint64_t offset = 0; offset < data.size() && s.ok(); offset += part_size) {
    std::string part_number = std::to_string(part_etags.size() + 1);
    s = Execute({.method = "PUT",
                 .key = key,
                 .query = {{"partNumber", part_number}, {"uploadId", *upload_id}},
                 .body = data.substr(offset, part_size)},
                &response, recorder);
    if (s.ok()) {
      part_etags.push_back(response.Header("etag"));
      if (part_etags.back().empty()) s = Status::IOError("S3 returned no ETag for part " + part_number + " of " + key);
    }
  }
  if (s.ok()) {
    std::string body = s3::CompleteMultipartUploadBody(part_etags);
    s = Execute({.method = "POST",
                 .key = key,
                 .query = {{"uploadId", *upload_id}},
                 .headers = {{"content-type", "application/xml"}},
                 .body = body,
                 .error_document_means_failure = true},
                &response, recorder);
  }
  // Aborting after a failed Complete is safe too: if it did complete after
  // all, the abort finds no upload.
  if (!s.ok()) AbortMultipartUpload(key, *upload_id, recorder);
  return s;
}

void S3ObjectStore::AbortMultipartUpload(const std::string& key, const std::string& upload_id,
                                         CallRecorder& recorder) {
  s3::HttpResponse response;
  // Best effort: a leftover upload costs storage until a lifecycle rule removes it, never correctness.
  Execute({.method = "DELETE", .key = key, .query = {{"uploadId", upload_id}}}, &response, recorder);
}

Status S3ObjectStore::Get(const std::string& key, std::string* out, uint64_t offset, uint64_t length) {
  CallRecorder recorder(stats_[static_cast<size_t>(S3Operation::kGet)]);
  if (Status s = ValidateObjectKey(key); !s.ok()) return recorder.Finish(s);
  if (length == 0) {
    // HTTP cannot ask for no bytes; the object's size decides between OK and InvalidArgument.
    ObjectInfo info;
    if (Status s = HeadObject(key, &info, recorder); !s.ok()) return recorder.Finish(s);
    Result<uint64_t> readable = RangeLength(key, info.size, offset, length);
    out->clear();
    return recorder.Finish(readable.status());
  }
  Request request{.method = "GET", .key = key, .response_sink = out};
  std::optional<std::string> range = s3::RangeHeaderValue(offset, length);
  if (range) request.headers.emplace_back("range", *range);
  s3::HttpResponse response;
  Status s = Execute(request, &response, recorder);
  if (s.ok() && range && response.status == 200) {
    // The service ignored Range (HTTP allows that) and sent the whole object.
    Result<uint64_t> readable = RangeLength(key, out->size(), offset, length);
    if (!readable.ok()) return recorder.Finish(readable.status());
    out->erase(0, offset);
    out->resize(*readable);
  }
  if (response.status == 416) {
    out->clear();
    // Every range from offset 0 of a non-empty object is satisfiable.
    if (offset == 0) return recorder.Finish(Status::OK());
    return recorder.Finish(Status::InvalidArgument("range offset " + std::to_string(offset) +
                                                   " is at or past the end of " + key));
  }
  return recorder.Finish(s);
}

Status S3ObjectStore::Head(const std::string& key, ObjectInfo* info) {
  CallRecorder recorder(stats_[static_cast<size_t>(S3Operation::kHead)]);
  if (Status s = ValidateObjectKey(key); !s.ok()) return recorder.Finish(s);
  return recorder.Finish(HeadObject(key, info, recorder));
}

Status S3ObjectStore::HeadObject(const std::string& key, ObjectInfo* info, CallRecorder& recorder) {
  s3::HttpResponse response;
  if (Status s = Execute({.method = "HEAD", .key = key}, &response, recorder); !s.ok()) return s;
  Result<uint64_t> size = ParseContentLength(response.Header("content-length"));
  if (!size.ok()) return size.status();
  info->key = key;
  info->size = *size;
  info->etag = s3::UnquoteETag(response.Header("etag"));
  return Status::OK();
}

Status S3ObjectStore::List(const std::string& prefix, const std::string& continuation, size_t max_keys,
                           ListPage* page) {
  CallRecorder recorder(stats_[static_cast<size_t>(S3Operation::kList)]);
  if (Status s = ValidateMaxKeys(max_keys); !s.ok()) return recorder.Finish(s);
  // encoding-type=url: keys may hold bytes that XML 1.0 cannot carry.
  Request request{.method = "GET",
                  .query = {{"list-type", "2"},
                            {"encoding-type", "url"},
                            {"prefix", prefix},
                            {"max-keys", std::to_string(std::min(max_keys, s3::kMaxKeysPerRequest))}}};
  if (!continuation.empty()) request.query.emplace_back("continuation-token", continuation);
  s3::HttpResponse response;
  if (Status s = Execute(request, &response, recorder); !s.ok()) return recorder.Finish(s);
  return recorder.Finish(s3::ParseListObjectsV2(response.body, page));
}

Status S3ObjectStore::DeleteBatch(const std::vector<std::string>& keys) {
  CallRecorder recorder(stats_[static_cast<size_t>(S3Operation::kDeleteBatch)]);
  for (const std::string& key : keys) {
    if (Status s = ValidateObjectKey(key); !s.ok()) return recorder.Finish(s);
  }
  // Keys XML cannot carry go one DELETE each; the rest in DeleteObjects requests.
  std::vector<std::string> batchable;
  for (const std::string& key : keys) {
    if (s3::XmlCanCarry(key)) {
      batchable.push_back(key);
      continue;
    }
    s3::HttpResponse response;
    Status s = Execute({.method = "DELETE", .key = key}, &response, recorder);
    if (!s.ok() && !s.IsNotFound()) return recorder.Finish(s);
  }
  for (size_t start = 0; start < batchable.size(); start += s3::kMaxKeysPerRequest) {
    std::span<const std::string> chunk(batchable.data() + start,
                                       std::min(s3::kMaxKeysPerRequest, batchable.size() - start));
    std::string body = s3::DeleteObjectsBody(chunk);
    s3::HttpResponse response;
    Status s = Execute({.method = "POST",
                        .query = {{"delete", ""}},
                        .headers = {{"content-md5", s3::Md5Base64(body)}, {"content-type", "application/xml"}},
                        .body = body},
                       &response, recorder);
    if (!s.ok()) return recorder.Finish(s);
    Result<std::vector<s3::DeleteFailure>> failures = s3::ParseDeleteFailures(response.body);
    if (!failures.ok()) return recorder.Finish(failures.status());
    if (!failures->empty()) {
      const s3::DeleteFailure& first = failures->front();
      std::string message = "S3 could not delete " + std::to_string(failures->size()) + " of " +
                            std::to_string(chunk.size()) + " keys, first " + first.key + ": " + first.code + " (" +
                            first.message + ")";
      return recorder.Finish(first.code == "AccessDenied" ? Status::PermissionDenied(message)
                                                          : Status::IOError(message));
    }
  }
  return recorder.Finish(Status::OK());
}

S3Stats S3ObjectStore::stats() const {
  S3Stats snapshot;
  for (size_t i = 0; i < kS3OperationCount; ++i) {
    const AtomicOperationStats& from = stats_[i];
    S3OperationStats& to = snapshot.operations[i];
    to.calls = from.calls.load(std::memory_order_relaxed);
    to.failures = from.failures.load(std::memory_order_relaxed);
    to.http_requests = from.http_requests.load(std::memory_order_relaxed);
    to.retries = from.retries.load(std::memory_order_relaxed);
    to.bytes_sent = from.bytes_sent.load(std::memory_order_relaxed);
    to.bytes_received = from.bytes_received.load(std::memory_order_relaxed);
    to.latency_total_us = from.latency_total_us.load(std::memory_order_relaxed);
    to.latency_max_us = from.latency_max_us.load(std::memory_order_relaxed);
  }
  return snapshot;
}

}  // namespace kafscale
