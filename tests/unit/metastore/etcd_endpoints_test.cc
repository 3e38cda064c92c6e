#include "metastore/etcd/endpoints.h"

#include <gtest/gtest.h>

#include "metastore/etcd_store.h"

namespace kafscale::etcd {
namespace {

using Order = std::vector<size_t>;

TEST(EndpointSetTest, StartsWithTheFirstEndpoint) {
  EndpointSet endpoints({"http://a", "http://b", "http://c"});
  EXPECT_EQ(endpoints.size(), 3u);
  EXPECT_EQ(endpoints.at(1), "http://b");
  EXPECT_EQ(endpoints.AttemptOrder(), (Order{0, 1, 2}));
}

TEST(EndpointSetTest, FailureMovesPreferenceToTheNextEndpoint) {
  EndpointSet endpoints({"http://a", "http://b", "http://c"});
  endpoints.ReportFailure(0);
  EXPECT_EQ(endpoints.AttemptOrder(), (Order{1, 2, 0}));
  endpoints.ReportFailure(1);
  endpoints.ReportFailure(2);
  EXPECT_EQ(endpoints.AttemptOrder(), (Order{0, 1, 2})) << "wraps around";
}

TEST(EndpointSetTest, LastGoodEndpointIsRemembered) {
  EndpointSet endpoints({"http://a", "http://b", "http://c"});
  endpoints.ReportSuccess(2);
  EXPECT_EQ(endpoints.AttemptOrder(), (Order{2, 0, 1}));
  endpoints.ReportSuccess(2);
  EXPECT_EQ(endpoints.AttemptOrder(), (Order{2, 0, 1}));
}

TEST(EndpointSetTest, StaleFailureOfAnotherEndpointKeepsThePreferredOne) {
  EndpointSet endpoints({"http://a", "http://b", "http://c"});
  endpoints.ReportSuccess(1);
  endpoints.ReportFailure(0);  // a slow request that started before the switch
  EXPECT_EQ(endpoints.AttemptOrder(), (Order{1, 2, 0}));
}

TEST(EndpointSetTest, SingleEndpoint) {
  EndpointSet endpoints({"http://only"});
  endpoints.ReportFailure(0);
  EXPECT_EQ(endpoints.AttemptOrder(), (Order{0}));
}

TEST(EtcdOptionsTest, EndpointListIsSplitAndTrimmed) {
  EXPECT_EQ(EtcdMetadataStore::ParseEndpointList(" http://a:1, http://b:2 ,,http://c:3,"),
            (std::vector<std::string>{"http://a:1", "http://b:2", "http://c:3"}));
  EXPECT_TRUE(EtcdMetadataStore::ParseEndpointList("").empty());
  EXPECT_TRUE(EtcdMetadataStore::ParseEndpointList(" , ").empty());
}

TEST(EtcdOptionsTest, OpenRejectsBadOptionsWithoutNetworkTraffic) {
  EtcdMetadataStore::Options options;
  EXPECT_EQ(EtcdMetadataStore::Open(options).status().code(), Status::Code::kInvalidArgument);
  options.endpoints = {"127.0.0.1:2379"};
  EXPECT_EQ(EtcdMetadataStore::Open(options).status().code(), Status::Code::kInvalidArgument);
  options.endpoints = {"http://127.0.0.1:1"};
  options.password = "secret";
  EXPECT_EQ(EtcdMetadataStore::Open(options).status().code(), Status::Code::kInvalidArgument);
  options.password.clear();
  options.request_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(EtcdMetadataStore::Open(options).status().code(), Status::Code::kInvalidArgument);
}

TEST(EtcdOptionsTest, OpenWithNoReachableEndpointIsUnavailable) {
  EtcdMetadataStore::Options options;
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  options.endpoints = {"http://127.0.0.1:1", "http://127.0.0.1:1/"};
  options.dial_timeout = std::chrono::milliseconds(500);
  auto store = EtcdMetadataStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kUnavailable) << store.status().ToString();
}

}  // namespace
}  // namespace kafscale::etcd
