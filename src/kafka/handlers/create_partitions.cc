#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleCreatePartitions(RequestContext& ctx, const CreatePartitionsRequest& request,
                                     CreatePartitionsResponse& response) {
  for (const auto& topic : request.topics) {
    auto& out = response.results.emplace_back();
    out.name = topic.name;
    cluster::TopicError error = co_await ctx.services.topics.AddPartitions(topic.name, topic.count, request.validate_only);
    out.error_code = static_cast<int16_t>(error.code);
    if (!error.ok()) out.error_message = error.message;
  }
}

}  // namespace kafscale::kafka
