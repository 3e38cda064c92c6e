#include "kafka/broker_services.h"

namespace kafscale::kafka {

std::vector<cluster::BrokerEndpoint> LiveBrokers(const BrokerServices& services) {
  std::map<int32_t, cluster::BrokerEndpoint> brokers = services.membership.live();
  const BrokerIdentity& self = services.identity;
  brokers.try_emplace(self.node_id, cluster::BrokerEndpoint{self.node_id, self.host, self.port});
  std::vector<cluster::BrokerEndpoint> out;
  for (auto& [id, broker] : brokers) out.push_back(std::move(broker));
  return out;
}

}  // namespace kafscale::kafka
