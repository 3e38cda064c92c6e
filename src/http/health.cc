#include "http/health.h"

#include <nlohmann/json.hpp>

#include "metrics/text_format.h"

namespace kafscale::http {

namespace {
constexpr char kJsonContentType[] = "application/json";
constexpr unsigned kOk = 200;
constexpr unsigned kServiceUnavailable = 503;
}  // namespace

CheckResult ObjectStoreHealthCheck::Check() const {
  const metrics::S3HealthSnapshot snapshot = tracker_.Snapshot();
  return CheckResult{snapshot.state != metrics::HealthState::kUnavailable,
                     std::string(metrics::HealthStateName(snapshot.state)) + ": " + snapshot.reason};
}

void AddHealthRoutes(HttpServer& server, std::vector<const HealthCheck*> readiness_checks) {
  server.Route("/healthz", [] { return HttpResponse{kOk, kJsonContentType, R"({"status":"alive"})"}; });
  server.Route("/readyz", [checks = std::move(readiness_checks)] {
    nlohmann::json body;
    bool ready = true;
    body["checks"] = nlohmann::json::object();
    for (const HealthCheck* check : checks) {
      const CheckResult result = check->Check();
      ready = ready && result.ok;
      body["checks"][check->name()] = {{"ok", result.ok}, {"reason", result.reason}};
    }
    body["ready"] = ready;
    return HttpResponse{ready ? kOk : kServiceUnavailable, kJsonContentType,
                        body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
  });
}

void AddMetricsRoute(HttpServer& server, const metrics::Registry& registry) {
  server.Route("/metrics", [&registry] {
    return HttpResponse{kOk, metrics::kTextContentType, metrics::WriteText(registry.Collect())};
  });
}

}  // namespace kafscale::http
