// How S3ObjectStore handles failures, against a scripted HTTP server: which
// answers are retried and how often, timeouts, errors inside 200 answers,
// aborted multipart uploads, unsatisfiable ranges, bucket creation, how
// PutIfAbsent reads a 412, and the payload hash a PUT signs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "objectstore/s3_object_store.h"
#include "objectstore/scripted_http_server.h"

namespace kafscale::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Reply = ScriptedHttpServer::Reply;

std::string ErrorDocument(const std::string& code) {
  return "<?xml version=\"1.0\"?><Error><Code>" + code + "</Code><Message>scripted</Message></Error>";
}

S3Options OptionsFor(const ScriptedHttpServer& server) {
  S3Options options;
  options.bucket = "bucket";
  options.endpoint = server.endpoint();
  options.path_style = true;
  options.access_key_id = "AK";
  options.secret_access_key = "SK";
  options.max_retries = 3;
  options.retry_base_delay = std::chrono::milliseconds(1);
  options.retry_max_delay = std::chrono::milliseconds(5);
  return options;
}

// The request lines after Open's HEAD bucket.
std::vector<std::string> RequestLinesAfterOpen(const ScriptedHttpServer& server) {
  std::vector<std::string> lines;
  std::vector<ScriptedHttpServer::Recorded> requests = server.requests();
  for (size_t i = 1; i < requests.size(); ++i) lines.push_back(requests[i].request_line);
  return lines;
}

std::unique_ptr<S3ObjectStore> MustOpen(const S3Options& options) {
  Result<std::unique_ptr<S3ObjectStore>> store = S3ObjectStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

TEST(S3FailureTest, ServerErrorsAreRetriedUntilSuccess) {
  ScriptedHttpServer server({Reply{}, Reply{503, ErrorDocument("SlowDown")}, Reply{500, ErrorDocument("InternalError")},
                             Reply{429}, Reply{200}});
  std::unique_ptr<S3ObjectStore> store = MustOpen(OptionsFor(server));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("k", "value").ok());
  EXPECT_EQ(RequestLinesAfterOpen(server).size(), 4u);
  S3OperationStats put = store->stats()[S3Operation::kPut];
  EXPECT_EQ(put.calls, 1u);
  EXPECT_EQ(put.http_requests, 4u);
  EXPECT_EQ(put.retries, 3u);
  EXPECT_EQ(put.failures, 0u);
  EXPECT_EQ(put.bytes_sent, 4 * 5u);
  for (const auto& request : server.requests()) {
    if (request.request_line.starts_with("PUT")) {
      EXPECT_EQ(request.body, "value");
    }
  }
}

TEST(S3FailureTest, GivesUpAfterMaxRetriesWithUnavailable) {
  ScriptedHttpServer server({Reply{}, Reply{503, ErrorDocument("SlowDown")}, Reply{503, ErrorDocument("SlowDown")},
                             Reply{502}, Reply{503, ErrorDocument("SlowDown")}, Reply{200}});
  std::unique_ptr<S3ObjectStore> store = MustOpen(OptionsFor(server));
  ASSERT_NE(store, nullptr);
  Status s = store->Put("k", "v");
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("PUT bucket/k: HTTP 503 SlowDown"));
  EXPECT_THAT(s.message(), HasSubstr("after 4 attempts"));
  EXPECT_EQ(RequestLinesAfterOpen(server).size(), 4u);
  EXPECT_EQ(store->stats()[S3Operation::kPut].failures, 1u);
}

TEST(S3FailureTest, ClientErrorsAreNotRetried) {
  ScriptedHttpServer server({Reply{}, Reply{400, ErrorDocument("InvalidRequest")},
                             Reply{403, ErrorDocument("AccessDenied")}, Reply{404, ErrorDocument("NoSuchKey")}});
  std::unique_ptr<S3ObjectStore> store = MustOpen(OptionsFor(server));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Put("k", "v").code(), Status::Code::kInvalidArgument);
  std::string out;
  Status denied = store->Get("k", &out);
  EXPECT_EQ(denied.code(), Status::Code::kPermissionDenied);
  EXPECT_THAT(denied.message(), HasSubstr("AccessDenied"));
  EXPECT_TRUE(store->Get("k", &out).IsNotFound());
  EXPECT_EQ(RequestLinesAfterOpen(server).size(), 3u);
  EXPECT_EQ(store->stats()[S3Operation::kGet].retries, 0u);
}

TEST(S3FailureTest, SlowAnswersTimeOutAndAreRetried) {
  ScriptedHttpServer server({Reply{}, Reply{.delay = std::chrono::milliseconds(600)},
                             Reply{.delay = std::chrono::milliseconds(600)}});
  S3Options options = OptionsFor(server);
  options.request_timeout = std::chrono::milliseconds(150);
  options.max_retries = 1;
  std::unique_ptr<S3ObjectStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  ObjectInfo info;
  Status s = store->Head("k", &info);
  EXPECT_EQ(s.code(), Status::Code::kTimeout) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("after 2 attempts"));
}

TEST(S3FailureTest, ErrorInsideA200CompleteIsRetriedAndPartsAreSentInOrder) {
  const std::string data = std::string(5 << 20, 'a') + std::string(1 << 20, 'b');
  ScriptedHttpServer server({
      Reply{},
      Reply{200, "<InitiateMultipartUploadResult><UploadId>up&amp;1</UploadId></InitiateMultipartUploadResult>"},
      Reply{200, "", {{"ETag", "\"e1\""}}},
      Reply{200, "", {{"ETag", "\"e2\""}}},
      Reply{200, ErrorDocument("InternalError")},
      Reply{200, "<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>"},
  });
  S3Options options = OptionsFor(server);
  options.multipart_threshold = 5 << 20;
  options.multipart_part_size = 5 << 20;
  std::unique_ptr<S3ObjectStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  Status s = store->Put("dir/big", data);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_THAT(RequestLinesAfterOpen(server),
              ElementsAre("POST /bucket/dir/big?uploads= HTTP/1.1",
                          "PUT /bucket/dir/big?partNumber=1&uploadId=up%261 HTTP/1.1",
                          "PUT /bucket/dir/big?partNumber=2&uploadId=up%261 HTTP/1.1",
                          "POST /bucket/dir/big?uploadId=up%261 HTTP/1.1",
                          "POST /bucket/dir/big?uploadId=up%261 HTTP/1.1"));
  std::vector<ScriptedHttpServer::Recorded> requests = server.requests();
  EXPECT_TRUE(requests[2].body == data.substr(0, 5 << 20));
  EXPECT_TRUE(requests[3].body == data.substr(5 << 20));
  EXPECT_EQ(requests[5].body,
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part></CompleteMultipartUpload>");
}

TEST(S3FailureTest, AFailedPartAbortsTheUpload) {
  ScriptedHttpServer server({
      Reply{},
      Reply{200, "<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>"},
      Reply{403, ErrorDocument("AccessDenied")},
      Reply{204},
  });
  S3Options options = OptionsFor(server);
  options.multipart_threshold = 1;
  options.multipart_part_size = 5 << 20;
  std::unique_ptr<S3ObjectStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Put("k", "two bytes or more").code(), Status::Code::kPermissionDenied);
  EXPECT_THAT(RequestLinesAfterOpen(server),
              ElementsAre(StartsWith("POST /bucket/k?uploads="), StartsWith("PUT /bucket/k?partNumber=1&uploadId=u1"),
                          StartsWith("DELETE /bucket/k?uploadId=u1 ")));
}

TEST(S3FailureTest, UnsatisfiableRanges) {
  ScriptedHttpServer server({Reply{}, Reply{416, ErrorDocument("InvalidRange")},
                             Reply{416, ErrorDocument("InvalidRange")}, Reply{200, "", {{"Content-Length", "4"}}}});
  std::unique_ptr<S3ObjectStore> store = MustOpen(OptionsFor(server));
  ASSERT_NE(store, nullptr);
  std::string out = "stale";
  ASSERT_TRUE(store->Get("empty", &out, 0, 10).ok());  // only an empty object refuses a range at 0
  EXPECT_EQ(out, "");
  EXPECT_EQ(store->Get("k", &out, 7, 10).code(), Status::Code::kInvalidArgument);
  // No bytes asked for: a HEAD decides (offset 4 of a 4-byte object is past the end).
  EXPECT_EQ(store->Get("k", &out, 4, 0).code(), Status::Code::kInvalidArgument);
  EXPECT_THAT(RequestLinesAfterOpen(server),
              ElementsAre(StartsWith("GET /bucket/empty "), StartsWith("GET /bucket/k "), StartsWith("HEAD /bucket/k ")));
}

TEST(S3FailureTest, RangeIgnoredByTheServerIsCutLocally) {
  ScriptedHttpServer server({Reply{}, Reply{200, "0123456789"}, Reply{200, "0123456789"}, Reply{200, "0123456789"}});
  std::unique_ptr<S3ObjectStore> store = MustOpen(OptionsFor(server));
  ASSERT_NE(store, nullptr);
  std::string out;
  ASSERT_TRUE(store->Get("k", &out, 3, 4).ok());
  EXPECT_EQ(out, "3456");
  ASSERT_TRUE(store->Get("k", &out, 8).ok());
  EXPECT_EQ(out, "89");
  EXPECT_EQ(store->Get("k", &out, 10, 1).code(), Status::Code::kInvalidArgument);
}

TEST(S3FailureTest, BucketInAnotherRegionIsNamed) {
  ScriptedHttpServer server({Reply{301, "", {{"x-amz-bucket-region", "eu-north-1"}}},
                             Reply{301, ErrorDocument("PermanentRedirect")}});
  Result<std::unique_ptr<S3ObjectStore>> store = S3ObjectStore::Open(OptionsFor(server));
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("PermanentRedirect"));
  EXPECT_THAT(store.status().message(), HasSubstr("the bucket is in region eu-north-1, not us-east-1"));
}

TEST(S3FailureTest, MissingBucketIsCreatedInTheRegion) {
  ScriptedHttpServer server({Reply{404}, Reply{404, ErrorDocument("NoSuchBucket")}, Reply{200}});
  S3Options options = OptionsFor(server);
  options.region = "eu-west-1";
  options.create_bucket_if_missing = true;
  ASSERT_NE(MustOpen(options), nullptr);
  std::vector<ScriptedHttpServer::Recorded> requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_THAT(requests[0].request_line, StartsWith("HEAD /bucket "));
  EXPECT_THAT(requests[1].request_line, StartsWith("GET /bucket?list-type=2&max-keys=1 "));
  EXPECT_THAT(requests[2].request_line, StartsWith("PUT /bucket "));
  EXPECT_EQ(requests[2].body,
            "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint>"
            "</CreateBucketConfiguration>");
}

TEST(S3FailureTest, BucketOwnedByAnotherAccountIsReported) {
  ScriptedHttpServer server({Reply{404}, Reply{404, ErrorDocument("NoSuchBucket")},
                             Reply{409, ErrorDocument("BucketAlreadyExists")}});
  S3Options options = OptionsFor(server);
  options.create_bucket_if_missing = true;
  Result<std::unique_ptr<S3ObjectStore>> store = S3ObjectStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsConflict()) << store.status().ToString();
  EXPECT_THAT(store.status().message(), HasSubstr("creating S3 bucket \"bucket\""));
}

TEST(S3FailureTest, PutIfAbsentIsOneConditionalPutAnd412IsAlreadyExists) {
  ScriptedHttpServer server({Reply{}, Reply{412, ErrorDocument("PreconditionFailed")}});
  S3Options options = OptionsFor(server);
  options.multipart_threshold = 1;  // not for PutIfAbsent
  std::unique_ptr<S3ObjectStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  Status s = store->PutIfAbsent("seg/1", "segment bytes");
  EXPECT_TRUE(s.IsAlreadyExists()) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("seg/1"));
  // Not retried, and no HEAD: nothing but this call could have written the key.
  EXPECT_THAT(RequestLinesAfterOpen(server), ElementsAre("PUT /bucket/seg/1 HTTP/1.1"));
  std::vector<ScriptedHttpServer::Recorded> requests = server.requests();
  EXPECT_THAT(requests[1].headers, HasSubstr("if-none-match: *\r\n"));
  EXPECT_EQ(requests[1].body, "segment bytes");
  S3OperationStats stats = store->stats()[S3Operation::kPutIfAbsent];
  EXPECT_EQ(stats.calls, 1u);
  EXPECT_EQ(stats.failures, 0u);  // an answer, not a failure of the store
  EXPECT_EQ(store->stats()[S3Operation::kPut].calls, 0u);
}

// The payload hash a PUT signs: the body's SHA-256, or UNSIGNED-PAYLOAD
// when payload signing is off (then the body is not hashed at all).
TEST(S3FailureTest, PutsSignTheBodyHashUnlessPayloadSigningIsOff) {
  ScriptedHttpServer server({Reply{}, Reply{}, Reply{}});
  S3Options options = OptionsFor(server);
  std::unique_ptr<S3ObjectStore> signing = MustOpen(options);
  ASSERT_NE(signing, nullptr);
  ASSERT_TRUE(signing->Put("seg/1", "segment bytes").ok());
  options.sign_payload = false;
  std::unique_ptr<S3ObjectStore> unsigned_payload = MustOpen(options);
  ASSERT_NE(unsigned_payload, nullptr);
  ASSERT_TRUE(unsigned_payload->Put("seg/2", "segment bytes").ok());

  std::vector<ScriptedHttpServer::Recorded> requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);  // HEAD bucket, PUT, HEAD bucket, PUT
  EXPECT_THAT(requests[1].headers,
              HasSubstr("x-amz-content-sha256: 560e67b96c49975a2cf9adba2682e00cc6b74a879f2b6897e03b63d7434098e8\r\n"));
  EXPECT_THAT(requests[3].headers, HasSubstr("x-amz-content-sha256: unsigned-payload\r\n"));
  EXPECT_EQ(requests[3].body, "segment bytes");
}

// The ETag S3 gives "segment bytes" stored by one PUT: its hex MD5.
constexpr char kSegmentBytesMd5[] = "88eac7445d5af879fd1a5cbd96db5df3";

TEST(S3FailureTest, PutIfAbsentWhose412AnswersItsOwnEarlierAttemptIsOk) {
  // The first attempt stored the object but its answer was lost (a 500
  // here); the retry finds the key taken, and the HEAD shows our bytes.
  ScriptedHttpServer server({Reply{}, Reply{500, ErrorDocument("InternalError")},
                             Reply{412, ErrorDocument("PreconditionFailed")},
                             Reply{200, "", {{"ETag", std::string("\"") + kSegmentBytesMd5 + "\""},
                                             {"Content-Length", "13"}}}});
  std::unique_ptr<S3ObjectStore> store = MustOpen(OptionsFor(server));
  ASSERT_NE(store, nullptr);
  Status s = store->PutIfAbsent("seg/1", "segment bytes");
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_THAT(RequestLinesAfterOpen(server),
              ElementsAre("PUT /bucket/seg/1 HTTP/1.1", "PUT /bucket/seg/1 HTTP/1.1", StartsWith("HEAD /bucket/seg/1 ")));
  EXPECT_EQ(store->stats()[S3Operation::kPutIfAbsent].failures, 0u);
}

TEST(S3FailureTest, PutIfAbsentWhose412AfterARetryFindsOtherBytesIsAlreadyExists) {
  ScriptedHttpServer server({Reply{}, Reply{500, ErrorDocument("InternalError")},
                             Reply{412, ErrorDocument("PreconditionFailed")},
                             Reply{200, "", {{"ETag", "\"0123456789abcdef0123456789abcdef\""}, {"Content-Length", "13"}}},
                             Reply{500, ErrorDocument("InternalError")},
                             Reply{412, ErrorDocument("PreconditionFailed")},
                             Reply{200, "", {{"ETag", std::string("\"") + kSegmentBytesMd5 + "\""},
                                             {"Content-Length", "14"}}}});
  std::unique_ptr<S3ObjectStore> store = MustOpen(OptionsFor(server));
  ASSERT_NE(store, nullptr);
  Status other_etag = store->PutIfAbsent("seg/1", "segment bytes");
  EXPECT_TRUE(other_etag.IsAlreadyExists()) << other_etag.ToString();
  Status other_size = store->PutIfAbsent("seg/1", "segment bytes");
  EXPECT_TRUE(other_size.IsAlreadyExists()) << other_size.ToString();
  EXPECT_EQ(RequestLinesAfterOpen(server).size(), 6u);
}

TEST(S3FailureTest, PutIfAbsentThatCannotCheckItsEarlierAttemptIsRetriable) {
  ScriptedHttpServer server({Reply{}, Reply{500, ErrorDocument("InternalError")},
                             Reply{412, ErrorDocument("PreconditionFailed")}, Reply{503}, Reply{503}});
  S3Options options = OptionsFor(server);
  options.max_retries = 1;
  std::unique_ptr<S3ObjectStore> store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  Status s = store->PutIfAbsent("seg/1", "segment bytes");
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("412 after a retry"));
  EXPECT_EQ(RequestLinesAfterOpen(server).size(), 4u);
}

}  // namespace
}  // namespace kafscale::testing
