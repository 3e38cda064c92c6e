#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleHeartbeat(RequestContext& ctx, const HeartbeatRequest& request, HeartbeatResponse& response) {
  const group::HeartbeatRequest heartbeat{request.group_id, request.generation_id, request.member_id,
                                          request.group_instance_id};
  response.error_code = static_cast<int16_t>(ctx.services.groups.Heartbeat(heartbeat));
  co_return;
}

}  // namespace kafscale::kafka
