#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleDeleteGroups(RequestContext& ctx, const DeleteGroupsRequest& request,
                                 DeleteGroupsResponse& response) {
  for (const std::string& group_id : request.groups_names) {
    const ErrorCode error = co_await ctx.services.groups.DeleteGroup(group_id);
    auto& out = response.results.emplace_back();
    out.group_id = group_id;
    out.error_code = static_cast<int16_t>(error);
  }
}

}  // namespace kafscale::kafka
