#include "apps/cli/progress.h"

#include <ostream>

namespace kafscale::cli {

void Progress::Update(std::string_view text) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  // Carriage return, the text, then erase whatever a longer line left behind.
  out_ << '\r' << text << "\x1b[K" << std::flush;
  shown_ = true;
}

void Progress::Finish() {
  if (!shown_) return;
  out_ << '\n' << std::flush;
  shown_ = false;
}

}  // namespace kafscale::cli
