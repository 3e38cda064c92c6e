#include "metastore/etcd/grpc_runtime.h"

#include <gtest/gtest.h>
#include <grpc/support/log.h>

#include <atomic>
#include <sstream>
#include <spdlog/sinks/ostream_sink.h>
#include <string>

#include "common/logging.h"

namespace kafscale::etcd {
namespace {

class GrpcRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitLogging(LogLevel::kDebug, LogFormat::kJson, std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    PrepareGrpcRuntime();
    // gRPC reads GRPC_VERBOSITY only at grpc_init; until then it logs
    // nothing. Set here so the environment cannot change what is tested.
    gpr_set_log_verbosity(GPR_LOG_SEVERITY_DEBUG);
  }
  void TearDown() override { InitLogging(LogLevel::kInfo, LogFormat::kText); }

  // A source file name no earlier run of a test used: the per-source limit
  // lasts for the process (--gtest_repeat).
  static std::string FreshSource(const std::string& name) {
    static std::atomic<int> runs{0};
    return name + std::to_string(runs++) + ".cc";
  }

  // The last line written, after its timestamp ({"ts":"...",). Only the last:
  // the limiter's summary of errors an earlier run suppressed may come first.
  static std::string LastLineWithoutTimestamp(const std::string& text) {
    const size_t start = text.rfind('\n', text.size() >= 2 ? text.size() - 2 : 0);
    const std::string line = start == std::string::npos ? text : text.substr(start + 1);
    const size_t rest = line.find("\"level\"");
    return rest == std::string::npos ? line : line.substr(rest);
  }

  std::ostringstream out_;
};

TEST_F(GrpcRuntimeTest, GrpcLinesAreWrittenInOurFormatAtTheirLevelWithTheirSource) {
  const std::string source = FreshSource("transport");
  gpr_log(source.c_str(), 1234, GPR_LOG_SEVERITY_ERROR, "keepalive watchdog %s", "timeout");
  EXPECT_EQ(LastLineWithoutTimestamp(out_.str()), "\"level\":\"error\",\"msg\":\"keepalive watchdog timeout\",\"component\":"
                                          "\"grpc\",\"source\":\"" + source + ":1234\"}\n");
  out_.str("");
  gpr_log(source.c_str(), 5, GPR_LOG_SEVERITY_INFO, "info line");
  EXPECT_EQ(LastLineWithoutTimestamp(out_.str()),
            "\"level\":\"info\",\"msg\":\"info line\",\"component\":\"grpc\",\"source\":\"" + source + ":5\"}\n");
  out_.str("");
  gpr_log(source.c_str(), 6, GPR_LOG_SEVERITY_DEBUG, "debug line");
  EXPECT_EQ(LastLineWithoutTimestamp(out_.str()),
            "\"level\":\"debug\",\"msg\":\"debug line\",\"component\":\"grpc\",\"source\":\"" + source + ":6\"}\n");
}

TEST_F(GrpcRuntimeTest, RepeatingErrorsAreLimitedPerSourceButAskedForTracesAreNot) {
  const std::string resolver = FreshSource("resolver");
  const std::string other = FreshSource("other");
  for (int i = 0; i < 20; ++i) gpr_log(resolver.c_str(), 7, GPR_LOG_SEVERITY_ERROR, "connect failed %d", i);
  gpr_log(other.c_str(), 9, GPR_LOG_SEVERITY_ERROR, "different source");
  for (int i = 0; i < 20; ++i) gpr_log(resolver.c_str(), 8, GPR_LOG_SEVERITY_INFO, "trace %d", i);
  const std::string text = out_.str();
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 26u) << text;  // five errors from resolver:7, one from other:9, every trace line
  EXPECT_NE(text.find("connect failed 4"), std::string::npos);
  EXPECT_EQ(text.find("connect failed 5"), std::string::npos);
  EXPECT_NE(text.find("different source"), std::string::npos);
  EXPECT_NE(text.find("trace 19"), std::string::npos);
}

}  // namespace
}  // namespace kafscale::etcd
