// How S3 failures are classified: which ones are retried, how long to wait
// between attempts, and which Status each HTTP answer becomes. Pure and
// thread-safe (Backoff uses the caller's random generator).
#pragma once

#include <chrono>
#include <random>
#include <string_view>

#include "common/status.h"
#include "objectstore/s3/documents.h"

namespace kafscale::s3 {

struct RetryPolicy {
  int max_retries = 3;  // attempts after the first
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{5000};

  // "Full jitter": the wait before retry number `retry` (0 for the first
  // retry) is uniform in [0, min(max_delay, base_delay * 2^retry)], so
  // clients that failed together do not retry together.
  std::chrono::milliseconds Backoff(int retry, std::mt19937_64& random) const;
};

// 408 Request Timeout, 429 Too Many Requests and every 5xx are worth
// retrying; other statuses are final.
bool IsRetriableHttpStatus(long http_status);

// Whether an attempt that ended with `transport` (the HTTP client's status:
// OK when an answer arrived) and, if one arrived, `http_status` should be
// retried.
bool ShouldRetry(const Status& transport, long http_status);

// The Status for a non-2xx S3 answer; `what` names the request ("GET
// bucket/key") for the message. 404 -> NotFound, 403 -> PermissionDenied,
// 416 -> InvalidArgument, 408 -> Timeout, 429 and 5xx -> Unavailable,
// 409 and 412 -> Conflict, other 4xx -> InvalidArgument, anything else ->
// IOError.
Status HttpErrorToStatus(long http_status, const S3Error& error, std::string_view what);

}  // namespace kafscale::s3
