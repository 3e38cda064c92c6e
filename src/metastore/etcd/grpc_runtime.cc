#include "metastore/etcd/grpc_runtime.h"

#include <absl/synchronization/mutex.h>
#include <grpc/support/log.h>

#include <chrono>
#include <initializer_list>
#include <mutex>
#include <string>

#include "common/logging.h"

namespace kafscale::etcd {

namespace {

LogLevel LevelOf(gpr_log_severity severity) {
  switch (severity) {
    case GPR_LOG_SEVERITY_DEBUG: return LogLevel::kDebug;
    case GPR_LOG_SEVERITY_INFO: return LogLevel::kInfo;
    case GPR_LOG_SEVERITY_ERROR: return LogLevel::kError;
  }
  return LogLevel::kError;
}

void LogGrpcLine(gpr_log_func_args* args) {
  const LogLevel level = LevelOf(args->severity);
  const std::string source = std::string(args->file ? args->file : "?") + ":" + std::to_string(args->line);
  const char* message = args->message ? args->message : "";
  const std::initializer_list<LogField> fields = {{"component", "grpc"}, {"source", source}};
  if (level == LogLevel::kError) {
    // A server that is down makes gRPC repeat its errors on every
    // reconnection. Never destroyed: gRPC's threads may log while the
    // process exits.
    static RateLimitedLog* const limited = new RateLimitedLog(/*max_lines_per_interval=*/5, std::chrono::seconds(10));
    limited->Log(source, level, message, fields);
  } else {
    Log(level, message, fields);  // asked for (GRPC_VERBOSITY, GRPC_TRACE): all of it
  }
}

}  // namespace

void PrepareGrpcRuntime() {
  static std::once_flag once;
  std::call_once(once, [] {
    gpr_set_log_function(&LogGrpcLine);
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  });
}

}  // namespace kafscale::etcd
