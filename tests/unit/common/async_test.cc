#include "common/async.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <stdexcept>

namespace kafscale {
namespace {

boost::asio::awaitable<void> Throw() {
  throw std::runtime_error("boom");
  co_return;
}

boost::asio::awaitable<void> Finish(bool* finished) {
  *finished = true;
  co_return;
}

TEST(AbortOnExceptionDeathTest, LogsTheTaskAndAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        boost::asio::io_context io;
        boost::asio::co_spawn(io, Throw(), AbortOnException{"test task"});
        io.run();
      },
      "background task failed.*test task.*boom");
}

TEST(AbortOnExceptionTest, ATaskThatFinishesIsLeftAlone) {
  boost::asio::io_context io;
  bool finished = false;
  boost::asio::co_spawn(io, Finish(&finished), AbortOnException{"test task"});
  io.run();
  EXPECT_TRUE(finished);
}

}  // namespace
}  // namespace kafscale
