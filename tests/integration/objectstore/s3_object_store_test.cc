// S3ObjectStore behaviour beyond the ObjectStore contract, on a real S3
// service (radosgw from scripts/rgw.sh): multipart upload, PutIfAbsent's
// single PUT, start-up checks and their messages, awkward keys, statistics.
#include "objectstore/s3_object_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

#include "objectstore/s3/crypto.h"
#include "objectstore/s3_test_env.h"

namespace kafscale::testing {
namespace {

using ::testing::HasSubstr;

std::string RandomSuffix() {
  std::random_device random;
  return std::to_string(random()) + std::to_string(random());
}

std::string RandomBytes(size_t size) {
  std::string out(size, '\0');
  std::mt19937_64 random(42);
  for (char& c : out) c = static_cast<char>(random());
  return out;
}

// A loopback port nothing listens on (bound, then released).
int UnusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

class S3ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<S3Options> options = S3TestOptions();
    ASSERT_TRUE(options.ok()) << options.status().ToString();
    options_ = *options;
    prefix_ = "s3-test/" + RandomSuffix() + "/";
  }

  std::unique_ptr<S3ObjectStore> MustOpen(const S3Options& options) {
    Result<std::unique_ptr<S3ObjectStore>> store = S3ObjectStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  void DeleteEverythingUnderPrefix(ObjectStore& store) {
    std::vector<ObjectInfo> objects;
    ASSERT_TRUE(ListAll(store, prefix_, &objects).ok());
    std::vector<std::string> keys;
    for (const ObjectInfo& object : objects) keys.push_back(object.key);
    EXPECT_TRUE(store.DeleteBatch(keys).ok());
  }

  S3Options options_;
  std::string prefix_;
};

TEST_F(S3ObjectStoreTest, MultipartUploadAboveTheThresholdReadsBackIdentical) {
  options_.multipart_threshold = 5 << 20;
  options_.multipart_part_size = 5 << 20;
  std::unique_ptr<S3ObjectStore> store = MustOpen(options_);
  ASSERT_NE(store, nullptr);
  const std::string key = prefix_ + "big.kfs";
  const std::string data = RandomBytes(12 << 20);
  uint64_t requests_before = store->stats()[S3Operation::kPut].http_requests;
  ASSERT_TRUE(store->Put(key, data).ok());
  // Create, three parts (5 + 5 + 2 MiB), complete.
  EXPECT_EQ(store->stats()[S3Operation::kPut].http_requests - requests_before, 5u);

  std::string read;
  ASSERT_TRUE(store->Get(key, &read).ok());
  EXPECT_TRUE(read == data) << "read " << read.size() << " bytes of " << data.size();
  // A range across the boundary of parts 1 and 2.
  ASSERT_TRUE(store->Get(key, &read, (5 << 20) - 10, 20).ok());
  EXPECT_EQ(read, data.substr((5 << 20) - 10, 20));
  ObjectInfo info;
  ASSERT_TRUE(store->Head(key, &info).ok());
  EXPECT_EQ(info.size, data.size());
  EXPECT_THAT(info.etag, ::testing::EndsWith("-3"));  // S3's multipart ETag: <md5 of part md5s>-<parts>

  // At the threshold the upload is a single PUT.
  requests_before = store->stats()[S3Operation::kPut].http_requests;
  ASSERT_TRUE(store->Put(key, std::string_view(data).substr(0, 5 << 20)).ok());
  EXPECT_EQ(store->stats()[S3Operation::kPut].http_requests - requests_before, 1u);
  ASSERT_TRUE(store->Head(key, &info).ok());
  EXPECT_EQ(info.size, uint64_t{5} << 20);
  DeleteEverythingUnderPrefix(*store);
}

TEST_F(S3ObjectStoreTest, PutIfAbsentIsOnePutWhoseETagIsTheBodyMd5) {
  options_.multipart_threshold = 5 << 20;
  options_.multipart_part_size = 5 << 20;
  std::unique_ptr<S3ObjectStore> store = MustOpen(options_);
  ASSERT_NE(store, nullptr);
  const std::string key = prefix_ + "segment.kfs";
  const std::string data = RandomBytes(6 << 20);
  ASSERT_TRUE(store->PutIfAbsent(key, data).ok());
  S3OperationStats stats = store->stats()[S3Operation::kPutIfAbsent];
  EXPECT_EQ(stats.http_requests, 1u);  // above the multipart threshold, still one PUT
  // What PutIfAbsent's retry check relies on.
  ObjectInfo info;
  ASSERT_TRUE(store->Head(key, &info).ok());
  EXPECT_EQ(info.etag, s3::Md5Hex(data));

  Status again = store->PutIfAbsent(key, "a zombie's segment");
  EXPECT_TRUE(again.IsAlreadyExists()) << again.ToString();
  EXPECT_EQ(store->stats()[S3Operation::kPutIfAbsent].http_requests, 2u);  // no retry, no HEAD
  std::string read;
  ASSERT_TRUE(store->Get(key, &read).ok());
  EXPECT_TRUE(read == data);
  DeleteEverythingUnderPrefix(*store);
}

TEST_F(S3ObjectStoreTest, WrongSecretIsPermissionDeniedNamingTheAccessKey) {
  options_.secret_access_key += "-wrong";
  Result<std::unique_ptr<S3ObjectStore>> store = S3ObjectStore::Open(options_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kPermissionDenied) << store.status().ToString();
  EXPECT_THAT(store.status().message(), HasSubstr(options_.access_key_id));
  EXPECT_THAT(store.status().message(), HasSubstr("SignatureDoesNotMatch"));
  EXPECT_THAT(store.status().message(), HasSubstr("secret access key is wrong"));
}

TEST_F(S3ObjectStoreTest, UnknownAccessKeyIsPermissionDenied) {
  options_.access_key_id = "NOSUCHKEY" + RandomSuffix();
  Result<std::unique_ptr<S3ObjectStore>> store = S3ObjectStore::Open(options_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kPermissionDenied) << store.status().ToString();
  EXPECT_THAT(store.status().message(), HasSubstr(options_.access_key_id));
  EXPECT_THAT(store.status().message(), HasSubstr("InvalidAccessKeyId"));
}

TEST_F(S3ObjectStoreTest, MissingBucketIsNotFoundUnlessCreationIsAllowed) {
  options_.bucket = "kafscale-missing-" + RandomSuffix().substr(0, 20);
  options_.create_bucket_if_missing = false;
  Result<std::unique_ptr<S3ObjectStore>> missing = S3ObjectStore::Open(options_);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_THAT(missing.status().message(), HasSubstr(options_.bucket));
  EXPECT_THAT(missing.status().message(), HasSubstr("NoSuchBucket"));

  options_.create_bucket_if_missing = true;
  std::unique_ptr<S3ObjectStore> created = MustOpen(options_);
  ASSERT_NE(created, nullptr);
  ASSERT_TRUE(created->Put(prefix_ + "k", "v").ok());
  std::string read;
  ASSERT_TRUE(created->Get(prefix_ + "k", &read).ok());
  EXPECT_EQ(read, "v");
  DeleteEverythingUnderPrefix(*created);

  // Now it exists, opening without permission to create works too.
  options_.create_bucket_if_missing = false;
  EXPECT_NE(MustOpen(options_), nullptr);
}

TEST_F(S3ObjectStoreTest, UnreachableEndpointIsUnavailable) {
  options_.endpoint = "http://127.0.0.1:" + std::to_string(UnusedPort());
  options_.max_retries = 2;
  Result<std::unique_ptr<S3ObjectStore>> store = S3ObjectStore::Open(options_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kUnavailable) << store.status().ToString();
  EXPECT_THAT(store.status().message(), HasSubstr(options_.endpoint));
  EXPECT_THAT(store.status().message(), HasSubstr("after 3 attempts"));
}

TEST_F(S3ObjectStoreTest, KeysThatNeedEncodingRoundTrip) {
  std::unique_ptr<S3ObjectStore> store = MustOpen(options_);
  ASSERT_NE(store, nullptr);
  const std::vector<std::string> suffixes = {
      "space here", "plus+sign", "percent%25", "amp&lt;<>\"'", "query?x=1#frag", "tilde~star*",
      "unicode-\xC3\xA9\xE2\x82\xAC", "control-\x01\x1F", "equals=semi;colon:comma,", "[brackets]{braces}"};
  std::vector<std::string> keys;
  for (const std::string& suffix : suffixes) keys.push_back(prefix_ + "odd/" + suffix);
  for (const std::string& key : keys) ASSERT_TRUE(store->Put(key, key).ok()) << key;
  for (const std::string& key : keys) {
    std::string read;
    ASSERT_TRUE(store->Get(key, &read).ok()) << key;
    EXPECT_EQ(read, key);
  }
  // One key per page, so every continuation token is used as well.
  std::vector<std::string> listed;
  std::string continuation;
  do {
    ListPage page;
    ASSERT_TRUE(store->List(prefix_ + "odd/", continuation, 1, &page).ok());
    for (const ObjectInfo& object : page.objects) listed.push_back(object.key);
    continuation = page.next_continuation;
  } while (!continuation.empty());
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(listed, sorted);
  Status deleted = store->DeleteBatch(keys);
  ASSERT_TRUE(deleted.ok()) << deleted.ToString();
  std::vector<ObjectInfo> left;
  ASSERT_TRUE(ListAll(*store, prefix_, &left).ok());
  EXPECT_TRUE(left.empty());
}

TEST_F(S3ObjectStoreTest, DeleteBatchOfMoreThanAThousandKeys) {
  std::unique_ptr<S3ObjectStore> store = MustOpen(options_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put(prefix_ + "present", "x").ok());
  std::vector<std::string> keys;
  for (int i = 0; i < 1500; ++i) keys.push_back(prefix_ + "absent-" + std::to_string(i));
  keys.push_back(prefix_ + "present");
  uint64_t requests_before = store->stats()[S3Operation::kDeleteBatch].http_requests;
  ASSERT_TRUE(store->DeleteBatch(keys).ok());
  EXPECT_EQ(store->stats()[S3Operation::kDeleteBatch].http_requests - requests_before, 2u);
  ObjectInfo info;
  EXPECT_TRUE(store->Head(prefix_ + "present", &info).IsNotFound());
}

TEST_F(S3ObjectStoreTest, StatsCountCallsBytesAndFailures) {
  std::unique_ptr<S3ObjectStore> store = MustOpen(options_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put(prefix_ + "s", std::string(1000, 's')).ok());
  std::string read;
  ASSERT_TRUE(store->Get(prefix_ + "s", &read, 10, 100).ok());
  EXPECT_TRUE(store->Get(prefix_ + "missing", &read).IsNotFound());
  S3Stats stats = store->stats();
  EXPECT_EQ(stats[S3Operation::kPut].calls, 1u);
  EXPECT_EQ(stats[S3Operation::kPut].bytes_sent, 1000u);
  EXPECT_EQ(stats[S3Operation::kGet].calls, 2u);
  EXPECT_EQ(stats[S3Operation::kGet].failures, 0u);  // NotFound is the caller's business
  EXPECT_GE(stats[S3Operation::kGet].bytes_received, 100u);
  EXPECT_GT(stats[S3Operation::kGet].latency_total_us, 0u);
  EXPECT_GE(stats[S3Operation::kGet].latency_total_us, stats[S3Operation::kGet].latency_max_us);
  EXPECT_EQ(stats[S3Operation::kGet].retries, 0u);
  DeleteEverythingUnderPrefix(*store);
}

}  // namespace
}  // namespace kafscale::testing
