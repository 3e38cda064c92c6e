#include "objectstore/s3/retry_policy.h"

#include <algorithm>

namespace kafscale::s3 {

std::chrono::milliseconds RetryPolicy::Backoff(int retry, std::mt19937_64& random) const {
  // Doubling stops at 2^20, far beyond any sensible max_delay, so it never overflows.
  int64_t ceiling = base_delay.count() << std::clamp(retry, 0, 20);
  ceiling = std::clamp<int64_t>(ceiling, 0, max_delay.count());
  std::uniform_int_distribution<int64_t> pick(0, ceiling);
  return std::chrono::milliseconds(pick(random));
}

bool IsRetriableHttpStatus(long http_status) {
  return http_status == 408 || http_status == 429 || (http_status >= 500 && http_status <= 599);
}

bool ShouldRetry(const Status& transport, long http_status) {
  if (!transport.ok()) return transport.IsRetriable();
  return IsRetriableHttpStatus(http_status);
}

Status HttpErrorToStatus(long http_status, const S3Error& error, std::string_view what) {
  std::string message = std::string(what) + ": HTTP " + std::to_string(http_status);
  if (!error.code.empty()) message += " " + error.code;
  if (!error.message.empty()) message += " (" + error.message + ")";
  if (http_status == 404) return Status::NotFound(message);
  if (http_status == 403) return Status::PermissionDenied(message);
  if (http_status == 416) return Status::InvalidArgument(message);
  if (http_status == 408) return Status::Timeout(message);
  if (http_status == 429 || (http_status >= 500 && http_status <= 599)) return Status::Unavailable(message);
  if (http_status == 409 || http_status == 412) return Status::Conflict(message);
  if (http_status >= 400 && http_status <= 499) return Status::InvalidArgument(message);
  return Status::IOError(message);
}

}  // namespace kafscale::s3
