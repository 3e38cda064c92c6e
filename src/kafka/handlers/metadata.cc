#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

namespace {

// Each partition's one replica is its owner; a partition between owners has
// no leader yet (LEADER_NOT_AVAILABLE: clients retry).
void DescribeTopic(const cluster::PartitionOwnership& ownership, const cluster::TopicInfo& topic,
                   MetadataResponse::MetadataResponseTopic& out) {
  out.name = topic.name;
  out.topic_id = topic.id;
  for (int32_t p = 0; p < topic.partitions; ++p) {
    const cluster::PartitionLeader leader = ownership.LeaderOf(topic.name, p);
    MetadataResponse::MetadataResponsePartition partition;
    partition.partition_index = p;
    partition.leader_id = leader.broker_id;
    partition.leader_epoch = leader.leader_epoch;
    if (leader.broker_id < 0) {
      partition.error_code = static_cast<int16_t>(ErrorCode::kLeaderNotAvailable);
    } else {
      partition.replica_nodes = {leader.broker_id};
      partition.isr_nodes = {leader.broker_id};
    }
    out.partitions.push_back(std::move(partition));
  }
}

}  // namespace

HandlerResult HandleMetadata(RequestContext& ctx, const MetadataRequest& request, MetadataResponse& response) {
  BrokerServices& services = ctx.services;
  const BrokerIdentity& self = services.identity;
  for (const cluster::BrokerEndpoint& live : LiveBrokers(services)) {
    MetadataResponse::MetadataResponseBroker& broker = response.brokers.emplace_back();
    broker.node_id = live.id;
    broker.host = live.host;
    broker.port = live.port;
  }
  response.cluster_id = self.cluster_id;
  response.controller_id = self.node_id;
  const cluster::PartitionOwnership& ownership = services.ownership;

  // v0: an empty list means every topic; v1+: null means every topic.
  const bool all_topics = !request.topics.has_value() || (ctx.api_version == 0 && request.topics->empty());
  if (all_topics) {
    for (const cluster::TopicInfo* topic : services.topics.List()) {
      DescribeTopic(ownership, *topic, response.topics.emplace_back());
    }
    co_return;
  }
  const bool may_create = services.auto_create_topics && request.allow_auto_topic_creation;
  for (const auto& wanted : *request.topics) {
    MetadataResponse::MetadataResponseTopic& out = response.topics.emplace_back();
    const cluster::TopicInfo* topic = nullptr;
    if (wanted.name.has_value()) {
      out.name = *wanted.name;
      topic = services.topics.Find(*wanted.name);
      if (!topic && may_create) {
        cluster::TopicInfo created;
        const cluster::CreateTopicSpec spec{.name = *wanted.name};
        cluster::TopicError error = co_await services.topics.Create(spec, false, &created);
        // Take this broker's share of the new partitions before answering.
        if (error.ok()) co_await services.ownership.Reconcile();
        topic = services.topics.Find(*wanted.name);
        if (!topic) {
          out.error_code = static_cast<int16_t>(error.code == ErrorCode::kTopicAlreadyExists
                                                    ? ErrorCode::kLeaderNotAvailable
                                                    : error.code);
          continue;
        }
      }
      if (!topic) {
        const bool bad_name = cluster::ValidateTopicName(*wanted.name).has_value();
        out.error_code = static_cast<int16_t>(bad_name ? ErrorCode::kInvalidTopicException
                                                       : ErrorCode::kUnknownTopicOrPartition);
        continue;
      }
    } else {
      topic = services.topics.FindById(wanted.topic_id);
      out.topic_id = wanted.topic_id;
      if (!topic) {
        out.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicId);
        continue;
      }
    }
    DescribeTopic(ownership, *topic, out);
  }
}

}  // namespace kafscale::kafka
