// The unit of Kafka network I/O: a size-prefixed frame. The request side is
// one contiguous buffer; the response side is a gather list so record bytes
// held in caches can be sent without copying.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kafscale::net {

struct ResponseFrame {
  // Pieces in order; their owners keep the bytes alive until written.
  std::vector<std::shared_ptr<const void>> owners;
  std::vector<std::string_view> pieces;
  size_t size() const {
    size_t n = 0;
    for (auto p : pieces) n += p.size();
    return n;
  }
};

// What the processor decided for one request.
struct ProcessOutcome {
  enum class Kind { kRespond, kNoResponse, kClose };
  Kind kind = Kind::kRespond;
  ResponseFrame response;   // for kRespond: the frame body without its length prefix
  std::string close_reason; // for kClose: logged once with the peer address
};

}  // namespace kafscale::net
