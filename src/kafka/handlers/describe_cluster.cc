#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleDescribeCluster(RequestContext& ctx, const DescribeClusterRequest&,
                                    DescribeClusterResponse& response) {
  const BrokerIdentity& self = ctx.services.identity;
  response.cluster_id = self.cluster_id;
  response.controller_id = self.node_id;
  DescribeClusterResponse::DescribeClusterBroker broker;
  broker.broker_id = self.node_id;
  broker.host = self.host;
  broker.port = self.port;
  response.brokers.push_back(broker);
  co_return;
}

}  // namespace kafscale::kafka
