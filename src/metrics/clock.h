#pragma once

#include <chrono>
#include <functional>

namespace kafscale::metrics {

// Where time-window metrics read the time; tests pass a fake one.
using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

inline SteadyNow RealSteadyNow() {
  return [] { return std::chrono::steady_clock::now(); };
}

}  // namespace kafscale::metrics
