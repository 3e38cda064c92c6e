#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

namespace {

// Kafka shows a member's host as Java's InetAddress.toString(): "/<address>".
std::string ClientHost(const std::string& peer) {
  const size_t port_separator = peer.rfind(':');
  return "/" + (port_separator == std::string::npos ? peer : peer.substr(0, port_separator));
}

}  // namespace

HandlerResult HandleJoinGroup(RequestContext& ctx, const JoinGroupRequest& request, JoinGroupResponse& response) {
  group::JoinRequest join;
  join.group_id = request.group_id;
  join.member_id = request.member_id;
  join.instance_id = request.group_instance_id;
  join.client_id = ctx.client_id.value_or("");
  join.client_host = ClientHost(ctx.connection.peer);
  join.session_timeout = std::chrono::milliseconds(request.session_timeout_ms);
  // v0 has no rebalance timeout; as in Kafka, the session timeout bounds the rebalance.
  join.rebalance_timeout =
      std::chrono::milliseconds(ctx.api_version == 0 ? request.session_timeout_ms : request.rebalance_timeout_ms);
  join.protocol_type = request.protocol_type;
  for (const auto& protocol : request.protocols) join.protocols.push_back({protocol.name, protocol.metadata});
  join.require_known_member_id = ctx.api_version >= 4;

  group::JoinResult result = co_await ctx.services.groups.Join(join);
  response.error_code = static_cast<int16_t>(result.error);
  response.generation_id = result.generation_id;
  response.protocol_type = result.protocol_type;
  // The protocol name is nullable only from v7.
  response.protocol_name = ctx.api_version >= 7 ? result.protocol_name : result.protocol_name.value_or("");
  response.leader = result.leader_id;
  response.member_id = result.member_id;
  for (group::JoinedMember& member : result.members) {
    auto& out = response.members.emplace_back();
    out.member_id = std::move(member.member_id);
    out.group_instance_id = std::move(member.instance_id);
    out.metadata = std::move(member.metadata);
  }
}

}  // namespace kafscale::kafka
