#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleListGroups(RequestContext& ctx, const ListGroupsRequest& request, ListGroupsResponse& response) {
  for (group::GroupListing& listed : ctx.services.groups.List(request.states_filter, request.types_filter)) {
    auto& out = response.groups.emplace_back();
    out.group_id = std::move(listed.group_id);
    out.protocol_type = std::move(listed.protocol_type);
    out.group_state = std::move(listed.state);
    out.group_type = "classic";
  }
  co_return;
}

}  // namespace kafscale::kafka
