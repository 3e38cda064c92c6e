#pragma once

#include <optional>
#include <string>

#include "kafka/broker_services.h"
#include "net/request_processor.h"

namespace kafscale::kafka {

// One request in flight: its header fields and the services to act on.
struct RequestContext {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id{};
  const net::ConnectionInfo& connection;
  BrokerServices& services;
  // Set by a handler that must not answer (Produce with acks=0).
  bool suppress_response = false;
};

}  // namespace kafscale::kafka
