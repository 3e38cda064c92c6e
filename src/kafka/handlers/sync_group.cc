#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleSyncGroup(RequestContext& ctx, const SyncGroupRequest& request, SyncGroupResponse& response) {
  group::SyncRequest sync;
  sync.group_id = request.group_id;
  sync.generation_id = request.generation_id;
  sync.member_id = request.member_id;
  sync.instance_id = request.group_instance_id;
  sync.protocol_type = request.protocol_type;
  sync.protocol_name = request.protocol_name;
  for (const auto& assignment : request.assignments) {
    sync.assignments.emplace_back(assignment.member_id, assignment.assignment);
  }
  group::SyncResult result = co_await ctx.services.groups.Sync(sync);
  response.error_code = static_cast<int16_t>(result.error);
  response.protocol_type = std::move(result.protocol_type);
  response.protocol_name = std::move(result.protocol_name);
  response.assignment = std::move(result.assignment);
}

}  // namespace kafscale::kafka
