// Endpoints, path-style and virtual-host addressing, and the URLs built from
// them.
#include "objectstore/s3/addressing.h"

#include <gtest/gtest.h>

namespace kafscale::s3 {
namespace {

TEST(ParseEndpointTest, AcceptsSchemeHostAndPort) {
  Result<Endpoint> endpoint = ParseEndpoint("http://127.0.0.1:7480", "us-east-1");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->scheme, "http");
  EXPECT_EQ(endpoint->authority, "127.0.0.1:7480");
  endpoint = ParseEndpoint("https://minio.example.com/", "us-east-1");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->scheme, "https");
  EXPECT_EQ(endpoint->authority, "minio.example.com");
}

TEST(ParseEndpointTest, EmptyMeansAwsInTheRegion) {
  Result<Endpoint> endpoint = ParseEndpoint("", "eu-west-2");
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->scheme, "https");
  EXPECT_EQ(endpoint->authority, "s3.eu-west-2.amazonaws.com");
}

TEST(ParseEndpointTest, RejectsWhatItCannotUse) {
  for (const char* bad : {"127.0.0.1:7480", "ftp://host", "http://", "http://host/path", "http://user@host",
                          "http://host?x=1", "s3.amazonaws.com"}) {
    Result<Endpoint> endpoint = ParseEndpoint(bad, "us-east-1");
    EXPECT_FALSE(endpoint.ok()) << bad;
    if (!endpoint.ok()) {
      EXPECT_EQ(endpoint.status().code(), Status::Code::kInvalidArgument) << bad;
    }
  }
}

TEST(RequestTargetTest, PathStyle) {
  Endpoint endpoint{"http", "127.0.0.1:7480"};
  RequestTarget object = MakeRequestTarget(endpoint, "bucket", true, "topic/0/segment 1+2.kfs", {});
  EXPECT_EQ(object.host, "127.0.0.1:7480");
  EXPECT_EQ(object.canonical_uri, "/bucket/topic/0/segment%201%2B2.kfs");
  EXPECT_EQ(object.canonical_query, "");
  EXPECT_EQ(object.url, "http://127.0.0.1:7480/bucket/topic/0/segment%201%2B2.kfs");

  RequestTarget list = MakeRequestTarget(endpoint, "bucket", true, "",
                                         {{"prefix", "a/"}, {"list-type", "2"}, {"continuation-token", "1/2="}});
  EXPECT_EQ(list.canonical_uri, "/bucket");
  EXPECT_EQ(list.canonical_query, "continuation-token=1%2F2%3D&list-type=2&prefix=a%2F");
  EXPECT_EQ(list.url, "http://127.0.0.1:7480/bucket?continuation-token=1%2F2%3D&list-type=2&prefix=a%2F");
}

TEST(RequestTargetTest, VirtualHostStyle) {
  Endpoint endpoint{"https", "s3.us-east-1.amazonaws.com"};
  RequestTarget object = MakeRequestTarget(endpoint, "my-bucket", false, "a/b~c", {{"uploads", ""}});
  EXPECT_EQ(object.host, "my-bucket.s3.us-east-1.amazonaws.com");
  EXPECT_EQ(object.canonical_uri, "/a/b~c");
  EXPECT_EQ(object.url, "https://my-bucket.s3.us-east-1.amazonaws.com/a/b~c?uploads=");

  RequestTarget bucket = MakeRequestTarget(endpoint, "my-bucket", false, "", {});
  EXPECT_EQ(bucket.canonical_uri, "/");
  EXPECT_EQ(bucket.url, "https://my-bucket.s3.us-east-1.amazonaws.com/");
}

}  // namespace
}  // namespace kafscale::s3
