// Health and readiness: what /healthz and /readyz report. /readyz is the
// conjunction of HealthChecks, each answering from state it already has
// (checks never do I/O while a request waits).
#pragma once

#include <string>
#include <vector>

#include "common/noncopyable.h"
#include "http/http_server.h"
#include "metrics/registry.h"
#include "metrics/s3_health.h"

namespace kafscale::http {

struct CheckResult {
  bool ok = true;
  std::string reason;  // why, in words, for operators; set whether ok or not
};

// One readiness condition.
class HealthCheck {
 public:
  virtual ~HealthCheck() = default;
  // The key of this check in /readyz's JSON ("object_store", ...).
  virtual std::string name() const = 0;
  // Called on the HTTP server's executor for every /readyz. Must answer at
  // once from known state: no I/O, no blocking.
  virtual CheckResult Check() const = 0;
};

// A condition the owner sets, such as "start-up finished". Starts not ready.
// Not thread-safe: set it on the executor the HTTP server runs on.
class ReadinessFlag final : public HealthCheck, NonCopyable {
 public:
  ReadinessFlag(std::string name, std::string initial_reason)
      : name_(std::move(name)), result_{false, std::move(initial_reason)} {}
  void Set(bool ok, std::string reason) { result_ = CheckResult{ok, std::move(reason)}; }

  std::string name() const override { return name_; }
  CheckResult Check() const override { return result_; }

 private:
  const std::string name_;
  CheckResult result_;
};

// Ready unless the tracker says the object store is unavailable (degraded
// still serves). Thread-safe as the tracker is.
class ObjectStoreHealthCheck final : public HealthCheck {
 public:
  // `tracker` must outlive this check.
  explicit ObjectStoreHealthCheck(const metrics::S3HealthTracker& tracker) : tracker_(tracker) {}
  std::string name() const override { return "object_store"; }
  CheckResult Check() const override;

 private:
  const metrics::S3HealthTracker& tracker_;
};

// Routes GET /healthz (always 200 {"status":"alive"} while the server runs)
// and GET /readyz (200 when every check is ok, else 503; the body is
// {"ready":bool,"checks":{name:{"ok":bool,"reason":text}}}). The checks
// must outlive the server's use of the routes.
void AddHealthRoutes(HttpServer& server, std::vector<const HealthCheck*> readiness_checks);

// Routes GET /metrics to the Prometheus text format of `registry`, which
// must outlive the server's use of the route.
void AddMetricsRoute(HttpServer& server, const metrics::Registry& registry);

}  // namespace kafscale::http
