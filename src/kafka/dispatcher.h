// Dispatcher: decodes the request header, checks the API and version against
// what this broker implements, runs the matching handler and encodes the
// response with the right header version.
#pragma once

#include <vector>

#include "kafka/broker_services.h"
#include "net/request_processor.h"

namespace kafscale::kafka {

// An API this broker implements and the version range it advertises.
struct SupportedApi {
  int16_t key;
  int16_t min_version;
  int16_t max_version;
};

// Every implemented API, in key order (what ApiVersions advertises).
const std::vector<SupportedApi>& SupportedApis();

class Dispatcher : public net::RequestProcessor {
 public:
  explicit Dispatcher(BrokerServices& services) : services_(services) {}
  boost::asio::awaitable<net::ProcessOutcome> Process(std::shared_ptr<const std::string> frame,
                                                      const net::ConnectionInfo& conn) override;

 private:
  BrokerServices& services_;
};

}  // namespace kafscale::kafka
