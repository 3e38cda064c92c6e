#include "kafka/handlers/config_resources.h"
#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleDescribeConfigs(RequestContext& ctx, const DescribeConfigsRequest& request,
                                    DescribeConfigsResponse& response) {
  for (const auto& resource : request.resources) {
    auto& out = response.results.emplace_back();
    out.resource_type = resource.resource_type;
    out.resource_name = resource.resource_name;
    if (resource.resource_type == kResourceTypeBroker) {
      // No broker-level Kafka configs are exposed; the broker is configured
      // through its environment (see the README).
      if (resource.resource_name != std::to_string(ctx.services.identity.node_id) && !resource.resource_name.empty()) {
        out.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
        out.error_message = "unknown broker " + resource.resource_name;
      }
      continue;
    }
    if (resource.resource_type != kResourceTypeTopic) {
      out.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
      out.error_message = "unsupported resource type " + std::to_string(resource.resource_type);
      continue;
    }
    const cluster::TopicInfo* topic = ctx.services.topics.Find(resource.resource_name);
    if (!topic) {
      out.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicOrPartition);
      out.error_message = "topic '" + resource.resource_name + "' does not exist";
      continue;
    }
    for (const ConfigEntry& entry : DescribeTopicConfigs(*topic, resource.configuration_keys)) {
      DescribeConfigsResponse::DescribeConfigsResourceResult config;
      config.name = entry.name;
      config.value = entry.value;
      config.read_only = false;
      config.is_default = entry.source == kConfigSourceDefault;
      config.config_source = entry.source;
      config.is_sensitive = false;
      config.config_type = entry.type;
      if (request.include_documentation) config.documentation = entry.documentation;
      if (request.include_synonyms) {
        DescribeConfigsResponse::DescribeConfigsSynonym synonym;
        synonym.name = entry.name;
        synonym.value = entry.value;
        synonym.source = entry.source;
        config.synonyms.push_back(std::move(synonym));
      }
      out.configs.push_back(std::move(config));
    }
  }
  co_return;
}

}  // namespace kafscale::kafka
