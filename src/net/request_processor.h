#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "net/frame.h"

namespace kafscale::net {

struct ConnectionInfo {
  uint64_t id = 0;
  std::string peer;  // "ip:port" for logs
};

// Turns one request frame into an outcome. Called on the server's executor;
// several calls for one connection may be in flight at once (pipelining);
// the server writes their responses in request order.
class RequestProcessor {
 public:
  virtual ~RequestProcessor() = default;
  // `frame` is the request without its 4-byte length prefix. Should not
  // throw: malformed input is reported as ProcessOutcome::Kind::kClose (an
  // exception closes the connection too, as a last resort).
  virtual boost::asio::awaitable<ProcessOutcome> Process(std::shared_ptr<const std::string> frame,
                                                         const ConnectionInfo& conn) = 0;
};

}  // namespace kafscale::net
