#include "kafka/handlers/config_resources.h"
#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleCreateTopics(RequestContext& ctx, const CreateTopicsRequest& request,
                                 CreateTopicsResponse& response) {
  for (const auto& creatable : request.topics) {
    auto& out = response.topics.emplace_back();
    out.name = creatable.name;
    cluster::CreateTopicSpec spec{.name = creatable.name,
                                  .partitions = creatable.num_partitions,
                                  .replication_factor = creatable.replication_factor};
    if (!creatable.assignments.empty()) {
      // Manual assignments: one entry per partition; every broker is us.
      spec.partitions = static_cast<int32_t>(creatable.assignments.size());
      spec.replication_factor = static_cast<int16_t>(creatable.assignments.front().broker_ids.size());
    }
    for (const auto& config : creatable.configs) {
      if (config.value.has_value()) spec.configs[config.name] = *config.value;
    }
    cluster::TopicInfo created;
    cluster::TopicError error = co_await ctx.services.topics.Create(spec, request.validate_only, &created);
    out.error_code = static_cast<int16_t>(error.code);
    if (!error.ok()) {
      out.error_message = error.message;
      continue;
    }
    if (!request.validate_only) out.topic_id = created.id;
    out.num_partitions = created.partitions;
    out.replication_factor = created.replication_factor;
    out.configs.emplace();
    for (const ConfigEntry& entry : DescribeTopicConfigs(created, std::nullopt)) {
      CreateTopicsResponse::CreatableTopicConfigs config;
      config.name = entry.name;
      config.value = entry.value;
      config.read_only = false;
      config.config_source = entry.source;
      config.is_sensitive = false;
      out.configs->push_back(std::move(config));
    }
  }
  // Take this broker's share of the new partitions before answering, so a
  // client that produces right away finds leaders.
  if (!request.validate_only) co_await ctx.services.ownership.Reconcile();
}

}  // namespace kafscale::kafka
