// What request handlers may use: the broker's identity and its domain
// services. Everything here lives on the broker's core executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <string>
#include <vector>

#include "cluster/broker_membership.h"
#include "cluster/partition_ownership.h"
#include "cluster/topic_manager.h"
#include "group/group_coordinator.h"
#include "log/log_manager.h"
#include "metrics/broker_metrics.h"
#include "metrics/s3_health.h"

namespace kafscale::kafka {

struct BrokerIdentity {
  int32_t node_id = 0;
  std::string host = "localhost";  // advertised
  int32_t port = 9092;             // advertised
  std::string cluster_id;
};

struct BrokerServices {
  BrokerIdentity identity;
  bool auto_create_topics = true;
  boost::asio::any_io_executor executor;
  cluster::BrokerMembership& membership;
  cluster::PartitionOwnership& ownership;
  cluster::TopicManager& topics;
  log::LogManager& logs;
  group::GroupCoordinator& groups;
  metrics::BrokerMetrics& metrics;
  const metrics::S3HealthTracker& s3_health;
};

// The brokers to tell clients about: every live broker, this one included
// even before its registration is visible, in id order.
std::vector<cluster::BrokerEndpoint> LiveBrokers(const BrokerServices& services);

}  // namespace kafscale::kafka
