#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleLeaveGroup(RequestContext& ctx, const LeaveGroupRequest& request, LeaveGroupResponse& response) {
  // v0-2 name one member; v3+ a batch, static members possibly by instance id alone.
  const bool batched = ctx.api_version >= 3;
  std::vector<group::LeavingMember> leaving;
  if (batched) {
    for (const auto& member : request.members) leaving.push_back({member.member_id, member.group_instance_id});
  } else {
    leaving.push_back({request.member_id, std::nullopt});
  }
  group::LeaveResult result = ctx.services.groups.Leave(request.group_id, leaving);
  if (!batched) {
    // Without per-member errors the group's error, else the member's, is the answer.
    const ErrorCode error = result.error != ErrorCode::kNone ? result.error : result.members.front();
    response.error_code = static_cast<int16_t>(error);
    co_return;
  }
  response.error_code = static_cast<int16_t>(result.error);
  if (result.error != ErrorCode::kNone) co_return;
  for (size_t i = 0; i < leaving.size(); ++i) {
    auto& out = response.members.emplace_back();
    out.member_id = leaving[i].member_id;
    out.group_instance_id = leaving[i].instance_id;
    out.error_code = static_cast<int16_t>(result.members[i]);
  }
}

}  // namespace kafscale::kafka
