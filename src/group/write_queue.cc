#include "group/write_queue.h"

namespace kafscale::group {

boost::asio::awaitable<void> WriteQueue::Acquire() {
  const uint64_t ticket = next_ticket_++;
  while (serving_ != ticket) {
    AsyncEvent turn(executor_);
    turn_changed_.Add(&turn);
    co_await turn.Wait();
  }
}

void WriteQueue::Release() {
  ++serving_;
  turn_changed_.NotifyAll();
}

}  // namespace kafscale::group
