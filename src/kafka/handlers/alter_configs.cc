#include "kafka/handlers/config_resources.h"
#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleAlterConfigs(RequestContext& ctx, const AlterConfigsRequest& request,
                                 AlterConfigsResponse& response) {
  for (const auto& resource : request.resources) {
    auto& out = response.responses.emplace_back();
    out.resource_type = resource.resource_type;
    out.resource_name = resource.resource_name;
    if (resource.resource_type != kResourceTypeTopic) {
      out.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
      out.error_message = "only topic configs can be altered";
      continue;
    }
    // AlterConfigs replaces the whole set of overrides.
    cluster::TopicConfigMap configs;
    for (const auto& config : resource.configs) {
      if (config.value.has_value()) configs[config.name] = *config.value;
    }
    cluster::TopicError error =
        co_await ctx.services.topics.SetConfigs(resource.resource_name, configs, request.validate_only);
    out.error_code = static_cast<int16_t>(error.code);
    if (!error.ok()) out.error_message = error.message;
  }
}

}  // namespace kafscale::kafka
