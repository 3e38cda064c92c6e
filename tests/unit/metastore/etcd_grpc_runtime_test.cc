#include "metastore/etcd/grpc_runtime.h"

#include <gtest/gtest.h>
#include <grpc/grpc.h>
#include <grpc/support/log.h>

#include <sstream>
#include <spdlog/sinks/ostream_sink.h>

#include "common/logging.h"

namespace kafscale::etcd {
namespace {

class GrpcRuntimeTest : public ::testing::Test {
 protected:
  // gRPC reads GRPC_VERBOSITY at initialisation, which opening a channel
  // does; before it gRPC logs nothing.
  void SetUp() override {
    grpc_init();
    InitLogging(LogLevel::kInfo, LogFormat::kJson, std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    PrepareGrpcRuntime();
  }
  void TearDown() override {
    InitLogging(LogLevel::kInfo, LogFormat::kText);
    grpc_shutdown();
  }

  std::ostringstream out_;
};

TEST_F(GrpcRuntimeTest, GrpcErrorsAreWrittenInOurFormatWithTheirSource) {
  gpr_log("src/core/ext/transport/chttp2/transport.cc", 1234, GPR_LOG_SEVERITY_ERROR, "keepalive watchdog %s",
          "timeout");
  const std::string line = out_.str();
  // After the timestamp: {"ts":"...",
  const size_t rest = line.find("\"level\"");
  ASSERT_NE(rest, std::string::npos) << line;
  EXPECT_EQ(line.substr(rest),
            "\"level\":\"error\",\"msg\":\"keepalive watchdog timeout\",\"component\":\"grpc\","
            "\"source\":\"src/core/ext/transport/chttp2/transport.cc:1234\"}\n");
}

TEST_F(GrpcRuntimeTest, ARepeatingLineIsLimitedPerSource) {
  for (int i = 0; i < 20; ++i) gpr_log("resolver.cc", 7, GPR_LOG_SEVERITY_ERROR, "connect failed %d", i);
  gpr_log("other.cc", 9, GPR_LOG_SEVERITY_ERROR, "different source");
  const std::string text = out_.str();
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  EXPECT_EQ(lines, 6u) << text;  // five from resolver.cc:7, one from other.cc:9
  EXPECT_NE(text.find("connect failed 4"), std::string::npos);
  EXPECT_EQ(text.find("connect failed 5"), std::string::npos);
  EXPECT_NE(text.find("different source"), std::string::npos);
}

}  // namespace
}  // namespace kafscale::etcd
