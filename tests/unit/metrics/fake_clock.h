// A steady clock that tests move by hand.
#pragma once

#include <chrono>
#include <memory>

#include "metrics/clock.h"

namespace kafscale::metrics::testing {

class FakeClock {
 public:
  SteadyNow now() const {
    return [time = time_] { return *time; };
  }
  void Advance(std::chrono::steady_clock::duration by) { *time_ += by; }

 private:
  // Shared so the functions handed out keep working after copies.
  std::shared_ptr<std::chrono::steady_clock::time_point> time_ =
      std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::hours(1000));
};

}  // namespace kafscale::metrics::testing
