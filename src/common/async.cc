#include "common/async.h"

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "common/logging.h"

namespace kafscale {

void AbortOnException::operator()(std::exception_ptr thrown) const {
  if (!thrown) return;
  std::string what = "an exception not derived from std::exception";
  try {
    std::rethrow_exception(thrown);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  LogError("background task failed; aborting so that the broker restarts clean",
           {{"task", task}, {"error", what}});
  std::abort();
}

}  // namespace kafscale
