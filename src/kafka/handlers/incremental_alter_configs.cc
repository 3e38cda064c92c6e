#include "kafka/handlers/config_resources.h"
#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

namespace {
// Kafka's AlterConfigOp.OpType.
enum class ConfigOperation : int8_t { kSet = 0, kDelete = 1, kAppend = 2, kSubtract = 3 };

std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= value.size() && !value.empty()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    items.push_back(value.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}
}  // namespace

HandlerResult HandleIncrementalAlterConfigs(RequestContext& ctx, const IncrementalAlterConfigsRequest& request,
                                            IncrementalAlterConfigsResponse& response) {
  for (const auto& resource : request.resources) {
    auto& out = response.responses.emplace_back();
    out.resource_type = resource.resource_type;
    out.resource_name = resource.resource_name;
    auto fail = [&](ErrorCode code, std::string message) {
      out.error_code = static_cast<int16_t>(code);
      out.error_message = std::move(message);
    };
    if (resource.resource_type != kResourceTypeTopic) {
      fail(ErrorCode::kInvalidRequest, "only topic configs can be altered");
      continue;
    }
    const cluster::TopicInfo* topic = ctx.services.topics.Find(resource.resource_name);
    if (!topic) {
      fail(ErrorCode::kUnknownTopicOrPartition, "topic '" + resource.resource_name + "' does not exist");
      continue;
    }
    cluster::TopicConfigMap configs = topic->configs;
    bool bad_request = false;
    for (const auto& config : resource.configs) {
      const std::string value = config.value.value_or("");
      const cluster::TopicConfigDef* def = cluster::FindTopicConfig(config.name);
      const bool is_list = def && def->type == cluster::TopicConfigDef::Type::kList;
      switch (static_cast<ConfigOperation>(config.config_operation)) {
        case ConfigOperation::kSet:
          configs[config.name] = value;
          break;
        case ConfigOperation::kDelete:
          configs.erase(config.name);
          break;
        case ConfigOperation::kAppend:
        case ConfigOperation::kSubtract: {
          if (!is_list) {
            fail(ErrorCode::kInvalidConfig, "config '" + config.name + "' is not a list; APPEND/SUBTRACT do not apply");
            bad_request = true;
            break;
          }
          std::vector<std::string> items = SplitList(cluster::EffectiveTopicConfig(configs, config.name));
          for (const std::string& item : SplitList(value)) {
            auto found = std::find(items.begin(), items.end(), item);
            if (config.config_operation == static_cast<int8_t>(ConfigOperation::kAppend)) {
              if (found == items.end()) items.push_back(item);
            } else if (found != items.end()) {
              items.erase(found);
            }
          }
          configs[config.name] = JoinList(items);
          break;
        }
        default:
          fail(ErrorCode::kInvalidRequest, "unknown config operation " + std::to_string(config.config_operation));
          bad_request = true;
      }
      if (bad_request) break;
    }
    if (bad_request) continue;
    cluster::TopicError error =
        co_await ctx.services.topics.SetConfigs(resource.resource_name, configs, request.validate_only);
    if (!error.ok()) fail(error.code, error.message);
  }
}

}  // namespace kafscale::kafka
