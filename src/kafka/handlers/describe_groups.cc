#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleDescribeGroups(RequestContext& ctx, const DescribeGroupsRequest& request,
                                   DescribeGroupsResponse& response) {
  for (const std::string& group_id : request.groups) {
    group::GroupDescription description = ctx.services.groups.Describe(group_id);
    auto& out = response.groups.emplace_back();
    out.error_code = static_cast<int16_t>(description.error);
    out.group_id = std::move(description.group_id);
    out.group_state = std::move(description.state);
    out.protocol_type = std::move(description.protocol_type);
    out.protocol_data = std::move(description.protocol);
    for (group::MemberDescription& member : description.members) {
      auto& member_out = out.members.emplace_back();
      member_out.member_id = std::move(member.member_id);
      member_out.group_instance_id = std::move(member.instance_id);
      member_out.client_id = std::move(member.client_id);
      member_out.client_host = std::move(member.client_host);
      member_out.member_metadata = std::move(member.metadata);
      member_out.member_assignment = std::move(member.assignment);
    }
  }
  co_return;
}

}  // namespace kafscale::kafka
