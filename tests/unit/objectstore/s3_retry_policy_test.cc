// Which S3 failures are retried, how long the store waits, and the Status
// each failure becomes.
#include "objectstore/s3/retry_policy.h"

#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "objectstore/s3/http_client.h"

namespace kafscale::s3 {
namespace {

using ::testing::HasSubstr;

TEST(RetryClassificationTest, RetriesServerErrorsThrottlingAndTimeoutsOnly) {
  for (long status : {408L, 429L, 500L, 502L, 503L, 504L, 599L}) EXPECT_TRUE(IsRetriableHttpStatus(status)) << status;
  for (long status : {200L, 204L, 206L, 301L, 400L, 403L, 404L, 409L, 412L, 416L, 600L}) {
    EXPECT_FALSE(IsRetriableHttpStatus(status)) << status;
  }
  EXPECT_TRUE(ShouldRetry(Status::OK(), 503));
  EXPECT_FALSE(ShouldRetry(Status::OK(), 403));
  EXPECT_TRUE(ShouldRetry(Status::Unavailable("refused"), 0));
  EXPECT_TRUE(ShouldRetry(Status::Timeout("slow"), 0));
  EXPECT_TRUE(ShouldRetry(Status::IOError("odd"), 0));
  EXPECT_FALSE(ShouldRetry(Status::InvalidArgument("bad url"), 0));
}

TEST(RetryClassificationTest, CurlFailuresMapToRetriableStatuses) {
  EXPECT_EQ(CurlCodeToStatus(CURLE_COULDNT_CONNECT, "x").code(), Status::Code::kUnavailable);
  EXPECT_EQ(CurlCodeToStatus(CURLE_COULDNT_RESOLVE_HOST, "x").code(), Status::Code::kUnavailable);
  EXPECT_EQ(CurlCodeToStatus(CURLE_RECV_ERROR, "x").code(), Status::Code::kUnavailable);
  EXPECT_EQ(CurlCodeToStatus(CURLE_SEND_ERROR, "x").code(), Status::Code::kUnavailable);
  EXPECT_EQ(CurlCodeToStatus(CURLE_GOT_NOTHING, "x").code(), Status::Code::kUnavailable);
  EXPECT_EQ(CurlCodeToStatus(CURLE_PARTIAL_FILE, "x").code(), Status::Code::kUnavailable);
  EXPECT_EQ(CurlCodeToStatus(CURLE_OPERATION_TIMEDOUT, "x").code(), Status::Code::kTimeout);
  EXPECT_EQ(CurlCodeToStatus(CURLE_URL_MALFORMAT, "x").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(CurlCodeToStatus(CURLE_OUT_OF_MEMORY, "x").code(), Status::Code::kIOError);
  EXPECT_THAT(CurlCodeToStatus(CURLE_COULDNT_CONNECT, "connection refused").message(),
              HasSubstr("connection refused"));
}

TEST(HttpErrorToStatusTest, MapsStatusesAndKeepsS3sWords) {
  Status not_found = HttpErrorToStatus(404, {"NoSuchKey", "The specified key does not exist."}, "GET b/k");
  EXPECT_TRUE(not_found.IsNotFound());
  EXPECT_EQ(not_found.message(), "GET b/k: HTTP 404 NoSuchKey (The specified key does not exist.)");
  EXPECT_EQ(HttpErrorToStatus(403, {"SignatureDoesNotMatch", ""}, "x").code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(HttpErrorToStatus(403, {}, "HEAD b/k").message(), "HEAD b/k: HTTP 403");
  EXPECT_EQ(HttpErrorToStatus(416, {"InvalidRange", ""}, "x").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(HttpErrorToStatus(408, {}, "x").code(), Status::Code::kTimeout);
  EXPECT_EQ(HttpErrorToStatus(429, {}, "x").code(), Status::Code::kUnavailable);
  EXPECT_EQ(HttpErrorToStatus(503, {"SlowDown", ""}, "x").code(), Status::Code::kUnavailable);
  EXPECT_EQ(HttpErrorToStatus(500, {"InternalError", ""}, "x").code(), Status::Code::kUnavailable);
  EXPECT_EQ(HttpErrorToStatus(409, {"BucketAlreadyExists", ""}, "x").code(), Status::Code::kConflict);
  EXPECT_EQ(HttpErrorToStatus(412, {"PreconditionFailed", ""}, "x").code(), Status::Code::kConflict);
  EXPECT_EQ(HttpErrorToStatus(400, {"XAmzContentSHA256Mismatch", ""}, "x").code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(HttpErrorToStatus(301, {"PermanentRedirect", ""}, "x").code(), Status::Code::kIOError);
}

TEST(BackoffTest, FullJitterUnderAnExponentialCeiling) {
  RetryPolicy policy{5, std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
  std::mt19937_64 random(1);
  for (int retry = 0; retry < 8; ++retry) {
    int64_t ceiling = std::min<int64_t>(100 << retry, 1000);
    int64_t largest = 0;
    int64_t smallest = ceiling;
    for (int i = 0; i < 500; ++i) {
      int64_t delay = policy.Backoff(retry, random).count();
      ASSERT_GE(delay, 0);
      ASSERT_LE(delay, ceiling) << "retry " << retry;
      largest = std::max(largest, delay);
      smallest = std::min(smallest, delay);
    }
    // Spread over the whole window, not clustered at its top.
    EXPECT_GT(largest, ceiling * 8 / 10) << "retry " << retry;
    EXPECT_LT(smallest, ceiling * 2 / 10) << "retry " << retry;
  }
  EXPECT_LE(policy.Backoff(1000, random).count(), 1000);  // huge retry counts do not overflow
  RetryPolicy no_delay{3, std::chrono::milliseconds(0), std::chrono::milliseconds(0)};
  EXPECT_EQ(no_delay.Backoff(3, random).count(), 0);
}

}  // namespace
}  // namespace kafscale::s3
