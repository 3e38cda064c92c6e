// Progress of long operations on one line of a terminal. Writes nothing
// when disabled (stderr is not a terminal), so pipes and logs stay clean.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string_view>

#include "common/noncopyable.h"

namespace kafscale::cli {

class Progress : NonCopyable {
 public:
  Progress(std::ostream& out, bool enabled) : out_(out), enabled_(enabled) {}
  ~Progress() { Finish(); }

  // Replaces the progress line with `text`; at most ten redraws a second.
  void Update(std::string_view text);
  // Ends the progress line so later output starts on a fresh line.
  void Finish();

 private:
  std::ostream& out_;
  const bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace kafscale::cli
