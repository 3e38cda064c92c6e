#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

namespace {

// FindCoordinator key types (KIP-98).
constexpr int8_t kGroupKey = 0;
constexpr int8_t kTransactionKey = 1;

boost::asio::awaitable<FindCoordinatorResponse::Coordinator> Locate(BrokerServices& services, const std::string& key,
                                                                    int8_t key_type) {
  FindCoordinatorResponse::Coordinator out;
  out.key = key;
  // Kafka's "no node" until a coordinator is named.
  out.node_id = -1;
  out.port = -1;
  ErrorCode error = ErrorCode::kNone;
  if (key_type == kTransactionKey) {
    error = ErrorCode::kCoordinatorNotAvailable;
    out.error_message = "transactions are not supported by this broker";
  } else if (key_type != kGroupKey) {
    error = ErrorCode::kInvalidRequest;
    out.error_message = "unknown coordinator key type " + std::to_string(key_type);
  } else {
    group::CoordinatorLookup found = co_await services.groups.FindCoordinator(key);
    error = found.error;
    if (error == ErrorCode::kNone) {
      out.node_id = found.coordinator.id;
      out.host = std::move(found.coordinator.host);
      out.port = found.coordinator.port;
      out.error_message = std::nullopt;
    } else {
      out.error_message = std::move(found.message);
    }
  }
  out.error_code = static_cast<int16_t>(error);
  co_return out;
}

}  // namespace

HandlerResult HandleFindCoordinator(RequestContext& ctx, const FindCoordinatorRequest& request,
                                    FindCoordinatorResponse& response) {
  // v4+ looks up a batch of keys; earlier versions one.
  if (ctx.api_version >= 4) {
    for (const std::string& key : request.coordinator_keys) {
      FindCoordinatorResponse::Coordinator found = co_await Locate(ctx.services, key, request.key_type);
      response.coordinators.push_back(std::move(found));
    }
    co_return;
  }
  FindCoordinatorResponse::Coordinator found = co_await Locate(ctx.services, request.key, request.key_type);
  response.error_code = found.error_code;
  response.error_message = std::move(found.error_message);
  response.node_id = found.node_id;
  response.host = std::move(found.host);
  response.port = found.port;
}

}  // namespace kafscale::kafka
