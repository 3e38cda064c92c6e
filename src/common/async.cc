#include "common/async.h"

#include <cstdlib>
#include <stdexcept>

#include "common/logging.h"

namespace kafscale {

std::string DescribeException(std::exception_ptr thrown) {
  try {
    std::rethrow_exception(thrown);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

void AbortOnException::operator()(std::exception_ptr thrown) const {
  if (!thrown) return;
  LogError("background task failed; aborting so that the broker restarts clean",
           {{"task", task}, {"error", DescribeException(thrown)}});
  std::abort();
}

}  // namespace kafscale
