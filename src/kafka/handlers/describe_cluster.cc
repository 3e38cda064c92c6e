#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleDescribeCluster(RequestContext& ctx, const DescribeClusterRequest&,
                                    DescribeClusterResponse& response) {
  const BrokerIdentity& self = ctx.services.identity;
  response.cluster_id = self.cluster_id;
  response.controller_id = self.node_id;
  for (const cluster::BrokerEndpoint& live : LiveBrokers(ctx.services)) {
    DescribeClusterResponse::DescribeClusterBroker& broker = response.brokers.emplace_back();
    broker.broker_id = live.id;
    broker.host = live.host;
    broker.port = live.port;
  }
  co_return;
}

}  // namespace kafscale::kafka
