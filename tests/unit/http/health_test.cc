#include "http/health.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "http/http_test_client.h"
#include "metrics/text_format.h"

namespace kafscale::http {
namespace {

namespace bhttp = boost::beast::http;
using testing::HttpClient;
using testing::ServerThread;

class FixedCheck final : public HealthCheck {
 public:
  FixedCheck(std::string name, bool ok, std::string reason) : name_(std::move(name)), result_{ok, std::move(reason)} {}
  std::string name() const override { return name_; }
  CheckResult Check() const override { return result_; }

 private:
  std::string name_;
  CheckResult result_;
};

TEST(HealthRoutesTest, HealthzAlwaysAnswersAlive) {
  FixedCheck failing("store", false, "down");
  ServerThread server([&](HttpServer& s) { AddHealthRoutes(s, {&failing}); });
  HttpClient client(server.port());
  auto response = client.Get("/healthz");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response[bhttp::field::content_type], "application/json");
  EXPECT_EQ(nlohmann::json::parse(response.body()), nlohmann::json({{"status", "alive"}}));
}

TEST(HealthRoutesTest, ReadyzIsTheConjunctionOfChecksWithReasons) {
  FixedCheck good("metadata_store", true, "answering");
  FixedCheck bad("object_store", false, "unavailable: the last 3 object-store requests failed");
  ServerThread server([&](HttpServer& s) { AddHealthRoutes(s, {&good, &bad}); });
  HttpClient client(server.port());
  auto response = client.Get("/readyz");
  EXPECT_EQ(response.result_int(), 503u);
  const nlohmann::json body = nlohmann::json::parse(response.body());
  EXPECT_EQ(body["ready"], false);
  EXPECT_EQ(body["checks"]["metadata_store"], nlohmann::json({{"ok", true}, {"reason", "answering"}}));
  EXPECT_EQ(body["checks"]["object_store"]["ok"], false);
  EXPECT_EQ(body["checks"]["object_store"]["reason"], "unavailable: the last 3 object-store requests failed");
}

TEST(HealthRoutesTest, ReadyzFollowsAReadinessFlag) {
  ReadinessFlag startup("startup", "recovering");
  ServerThread server([&](HttpServer& s) { AddHealthRoutes(s, {&startup}); });
  HttpClient client(server.port());
  auto response = client.Get("/readyz");
  EXPECT_EQ(response.result_int(), 503u);
  EXPECT_EQ(nlohmann::json::parse(response.body())["checks"]["startup"]["reason"], "recovering");
  server.OnServer([&](HttpServer&) { startup.Set(true, "recovered"); });
  response = client.Get("/readyz");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(nlohmann::json::parse(response.body()),
            nlohmann::json({{"ready", true}, {"checks", {{"startup", {{"ok", true}, {"reason", "recovered"}}}}}}));
}

TEST(HealthRoutesTest, ReadyzWithoutChecksIsReady) {
  ServerThread server([](HttpServer& s) { AddHealthRoutes(s, {}); });
  HttpClient client(server.port());
  EXPECT_EQ(client.Get("/readyz").result_int(), 200u);
}

TEST(ObjectStoreHealthCheckTest, FailsOnlyWhenUnavailable) {
  metrics::S3HealthTracker tracker;
  ObjectStoreHealthCheck check(tracker);
  EXPECT_EQ(check.name(), "object_store");
  EXPECT_TRUE(check.Check().ok);
  EXPECT_EQ(check.Check().reason.rfind("healthy: ", 0), 0u) << check.Check().reason;
  for (int i = 0; i < 10; ++i) tracker.Record(std::chrono::milliseconds(900), false);  // degraded still serves
  EXPECT_TRUE(check.Check().ok);
  EXPECT_EQ(check.Check().reason.rfind("degraded: ", 0), 0u) << check.Check().reason;
  for (int i = 0; i < 3; ++i) tracker.Record(std::chrono::milliseconds(1), true);
  const CheckResult result = check.Check();
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, "unavailable: the last 3 object-store requests failed");
}

TEST(MetricsRouteTest, ServesTheRegistryInTextFormat) {
  metrics::Registry registry;
  registry.AddCounterFamily("kafscale_requests_total", "Requests.", {"api", "error"})
      .WithLabels({"Produce", "NONE"})
      .Increment(4);
  ServerThread server([&](HttpServer& s) { AddMetricsRoute(s, registry); });
  HttpClient client(server.port());
  auto response = client.Get("/metrics");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response[bhttp::field::content_type], metrics::kTextContentType);
  EXPECT_EQ(response.body(),
            "# HELP kafscale_requests_total Requests.\n"
            "# TYPE kafscale_requests_total counter\n"
            "kafscale_requests_total{api=\"Produce\",error=\"NONE\"} 4\n");
}

}  // namespace
}  // namespace kafscale::http
