// The store decorators, driven through the fault-injecting object store and
// the embedded metadata store.
#include <gtest/gtest.h>

#include "metastore/embedded_store.h"
#include "metastore/instrumented_metadata_store.h"
#include "metrics/text_format.h"
#include "objectstore/fault_injecting_object_store.h"
#include "objectstore/instrumented_object_store.h"
#include "objectstore/memory_object_store.h"
#include "objectstore/temp_dir.h"

namespace kafscale {
namespace {

using metrics::HealthState;
using std::chrono::milliseconds;

// The value of the sample `name` with exactly `labels` (0 when absent).
double SampleValue(const metrics::Registry& registry, const std::string& name, const metrics::Labels& labels) {
  for (const metrics::FamilySnapshot& family : registry.Collect()) {
    for (const metrics::Sample& sample : family.samples) {
      if (sample.name == name && sample.labels == labels) return sample.value;
    }
  }
  return 0;
}

class InstrumentedObjectStoreTest : public ::testing::Test {
 protected:
  InstrumentedObjectStoreTest() : health_(HealthOptions()), store_(faulty_, store_metrics_, &health_) {}

  static metrics::S3HealthOptions HealthOptions() {
    metrics::S3HealthOptions options;
    options.degraded_latency = milliseconds(20);
    options.unavailable_latency = milliseconds(1000);
    return options;
  }
  double Value(const std::string& name, const metrics::Labels& labels) const {
    return SampleValue(registry_, name, labels);
  }

  MemoryObjectStore memory_;
  FaultInjectingObjectStore faulty_{memory_};
  metrics::Registry registry_;
  ObjectStoreMetrics store_metrics_{registry_};
  metrics::S3HealthTracker health_;
  InstrumentedObjectStore store_;
};

TEST_F(InstrumentedObjectStoreTest, CountsRequestsBytesAndLatencyByOperation) {
  ASSERT_TRUE(store_.Put("ns/t/0/a", "hello").ok());
  ASSERT_TRUE(store_.Put("ns/t/0/b", "world!").ok());
  std::string out;
  ASSERT_TRUE(store_.Get("ns/t/0/b", &out, 1, 3).ok());
  ObjectInfo info;
  EXPECT_TRUE(store_.Head("ns/t/0/missing", &info).IsNotFound());
  ListPage page;
  ASSERT_TRUE(store_.List("ns/", "", 10, &page).ok());
  EXPECT_EQ(page.objects.size(), 2u);  // results pass through
  ASSERT_TRUE(store_.DeleteBatch({"ns/t/0/a"}).ok());

  EXPECT_EQ(Value("kafscale_object_store_requests_total", {{"op", "put"}}), 2);
  EXPECT_EQ(Value("kafscale_object_store_requests_total", {{"op", "get"}}), 1);
  EXPECT_EQ(Value("kafscale_object_store_requests_total", {{"op", "head"}}), 1);
  EXPECT_EQ(Value("kafscale_object_store_requests_total", {{"op", "list"}}), 1);
  EXPECT_EQ(Value("kafscale_object_store_requests_total", {{"op", "delete_batch"}}), 1);
  EXPECT_EQ(Value("kafscale_object_store_bytes_total", {{"op", "put"}}), 11);
  EXPECT_EQ(Value("kafscale_object_store_bytes_total", {{"op", "get"}}), 3);
  EXPECT_EQ(Value("kafscale_object_store_request_duration_seconds_count", {{"op", "put"}}), 2);
  // Not found is an answer: no error, and the store stays healthy.
  EXPECT_EQ(Value("kafscale_object_store_errors_total", {{"op", "head"}, {"code", "not_found"}}), 0);
  EXPECT_EQ(health_.Snapshot().requests, 6u);
  EXPECT_EQ(health_.state(), HealthState::kHealthy);
}

TEST_F(InstrumentedObjectStoreTest, CountsErrorsByCodeAndTurnsUnavailable) {
  faulty_.FailNext(ObjectStoreOp::kPut, 3, Status::Unavailable("injected outage"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(store_.Put("k", "v").code(), Status::Code::kUnavailable);
  EXPECT_EQ(Value("kafscale_object_store_errors_total", {{"op", "put"}, {"code", "unavailable"}}), 3);
  EXPECT_EQ(Value("kafscale_object_store_bytes_total", {{"op", "put"}}), 0);
  EXPECT_EQ(health_.state(), HealthState::kUnavailable);

  // The store comes back: a few successes make it healthy again.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(store_.Put("k", "v").ok());
  EXPECT_EQ(health_.state(), HealthState::kHealthy);
}

TEST_F(InstrumentedObjectStoreTest, SlowStoreDegrades) {
  faulty_.SetLatency(ObjectStoreOp::kHead, milliseconds(30));
  ObjectInfo info;
  for (int i = 0; i < 5; ++i) store_.Head("k", &info);
  EXPECT_EQ(health_.state(), HealthState::kDegraded);
  EXPECT_GE(health_.Snapshot().average_latency_ms, 30);
}

TEST_F(InstrumentedObjectStoreTest, RejectedCredentialsCountAgainstHealthButBadKeysDoNot) {
  EXPECT_TRUE(InstrumentedObjectStore::IsStoreFailure(Status::PermissionDenied("bad key")));
  EXPECT_TRUE(InstrumentedObjectStore::IsStoreFailure(Status::Timeout("slow")));
  EXPECT_FALSE(InstrumentedObjectStore::IsStoreFailure(Status::NotFound("no")));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(store_.Put("/bad-key", "v").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Value("kafscale_object_store_errors_total", {{"op", "put"}, {"code", "invalid_argument"}}), 5);
  EXPECT_EQ(health_.state(), HealthState::kHealthy);
}

TEST(InstrumentedMetadataStoreTest, CountsCallsAndErrorsByOperation) {
  testing::TempDir dir;
  auto embedded = EmbeddedMetadataStore::Open(dir.path().string());
  ASSERT_TRUE(embedded.ok()) << embedded.status().ToString();
  metrics::Registry registry;
  InstrumentedMetadataStore store(**embedded, registry);

  ASSERT_TRUE(store.Put("/kafscale/a", "1").ok());
  KeyValue kv;
  ASSERT_TRUE(store.Get("/kafscale/a", &kv).ok());
  EXPECT_EQ(kv.value, "1");
  EXPECT_TRUE(store.Get("/kafscale/missing", &kv).IsNotFound());
  EXPECT_EQ(store.Get("", &kv).code(), Status::Code::kInvalidArgument);
  TxnResult txn;
  ASSERT_TRUE(store.Txn({Compare::Absent("/kafscale/b")}, {TxnOp::Put("/kafscale/b", "2")}, {}, &txn).ok());
  EXPECT_TRUE(txn.succeeded);
  std::vector<KeyValue> range;
  ASSERT_TRUE(store.Range("/kafscale/", &range).ok());
  EXPECT_EQ(range.size(), 2u);
  LeaseId lease = 0;
  ASSERT_TRUE(store.GrantLease(10, &lease).ok());
  ASSERT_TRUE(store.KeepAlive(lease).ok());
  ASSERT_TRUE(store.RevokeLease(lease).ok());
  ASSERT_TRUE(store.Delete("/kafscale/a").ok());
  std::unique_ptr<Watch> watch;
  ASSERT_TRUE(store
                  .WatchPrefix(
                      "/kafscale/", 0, [](const std::vector<WatchEvent>&) {}, &watch)
                  .ok());
  watch.reset();

  for (const char* op : {"put", "txn", "range", "grant_lease", "keep_alive", "revoke_lease", "delete", "watch"}) {
    EXPECT_EQ(SampleValue(registry, "kafscale_metadata_store_requests_total", {{"op", op}}), 1) << op;
  }
  EXPECT_EQ(SampleValue(registry, "kafscale_metadata_store_requests_total", {{"op", "get"}}), 3);
  EXPECT_EQ(
      SampleValue(registry, "kafscale_metadata_store_errors_total", {{"op", "get"}, {"code", "invalid_argument"}}), 1);
  EXPECT_EQ(SampleValue(registry, "kafscale_metadata_store_errors_total", {{"op", "get"}, {"code", "not_found"}}), 0);
  EXPECT_EQ(SampleValue(registry, "kafscale_metadata_store_request_duration_seconds_count", {{"op", "txn"}}), 1);
}

}  // namespace
}  // namespace kafscale
