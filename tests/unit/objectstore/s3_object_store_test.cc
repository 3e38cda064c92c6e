// S3ObjectStore's start-up checks that need no S3 service: option validation
// and an endpoint where nothing listens.
#include "objectstore/s3_object_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kafscale {
namespace {

using ::testing::HasSubstr;

S3Options ValidOptions() {
  S3Options options;
  options.bucket = "bucket";
  options.endpoint = "http://127.0.0.1:1";
  options.path_style = true;
  options.access_key_id = "AK";
  options.secret_access_key = "SK";
  options.max_retries = 0;
  return options;
}

void ExpectInvalid(const S3Options& options, const std::string& words) {
  Result<std::unique_ptr<S3ObjectStore>> store = S3ObjectStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kInvalidArgument) << store.status().ToString();
  EXPECT_THAT(store.status().message(), HasSubstr(words));
}

TEST(S3ObjectStoreOpenTest, RejectsBadOptionsBeforeAnyRequest) {
  S3Options options = ValidOptions();
  options.bucket = "ab";
  ExpectInvalid(options, "3 to 63 characters");
  options = ValidOptions();
  options.region = "";
  ExpectInvalid(options, "region");
  options = ValidOptions();
  options.secret_access_key = "";
  ExpectInvalid(options, "no secret access key");
  options = ValidOptions();
  options.multipart_part_size = 1 << 20;
  ExpectInvalid(options, "multipart_part_size");
  options = ValidOptions();
  options.max_retries = -1;
  ExpectInvalid(options, "max_retries");
  options = ValidOptions();
  options.request_timeout = std::chrono::milliseconds(0);
  ExpectInvalid(options, "timeouts");
  options = ValidOptions();
  options.retry_max_delay = std::chrono::milliseconds(1);
  ExpectInvalid(options, "retry delays");
  options = ValidOptions();
  options.endpoint = "localhost:9000";
  ExpectInvalid(options, "http:// or https://");
}

TEST(S3ObjectStoreOpenTest, UnreachableEndpointIsUnavailableAndNamed) {
  // A loopback port that was free a moment ago: connecting is refused at once.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(fd);
  S3Options options = ValidOptions();
  options.endpoint = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  options.max_retries = 1;
  options.retry_base_delay = std::chrono::milliseconds(1);
  options.retry_max_delay = std::chrono::milliseconds(1);
  Result<std::unique_ptr<S3ObjectStore>> store = S3ObjectStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kUnavailable) << store.status().ToString();
  EXPECT_THAT(store.status().message(), HasSubstr("cannot reach S3 bucket \"bucket\" at " + options.endpoint));
  EXPECT_THAT(store.status().message(), HasSubstr("after 2 attempts"));
}

TEST(S3OperationNameTest, NamesEveryOperation) {
  EXPECT_EQ(S3OperationName(S3Operation::kPut), "put");
  EXPECT_EQ(S3OperationName(S3Operation::kGet), "get");
  EXPECT_EQ(S3OperationName(S3Operation::kHead), "head");
  EXPECT_EQ(S3OperationName(S3Operation::kList), "list");
  EXPECT_EQ(S3OperationName(S3Operation::kDeleteBatch), "delete_batch");
}

}  // namespace
}  // namespace kafscale
