#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleDeleteTopics(RequestContext& ctx, const DeleteTopicsRequest& request,
                                 DeleteTopicsResponse& response) {
  cluster::TopicManager& topics = ctx.services.topics;
  // v0-5 name topics; v6 names or ids.
  std::vector<DeleteTopicsRequest::DeleteTopicState> wanted = request.topics;
  for (const std::string& name : request.topic_names) {
    DeleteTopicsRequest::DeleteTopicState state;
    state.name = name;
    wanted.push_back(std::move(state));
  }
  for (const auto& state : wanted) {
    auto& out = response.responses.emplace_back();
    std::string name;
    if (state.name.has_value()) {
      name = *state.name;
    } else if (const cluster::TopicInfo* topic = topics.FindById(state.topic_id)) {
      name = topic->name;
    } else {
      out.topic_id = state.topic_id;
      out.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicId);
      out.error_message = "no topic has id " + state.topic_id.ToBase64();
      continue;
    }
    out.name = name;
    if (const cluster::TopicInfo* topic = topics.Find(name)) out.topic_id = topic->id;
    cluster::TopicError error = co_await topics.Delete(name);
    out.error_code = static_cast<int16_t>(error.code);
    if (!error.ok()) out.error_message = error.message;
  }
}

}  // namespace kafscale::kafka
