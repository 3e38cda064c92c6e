#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

namespace {
// Every partition of this broker stays in its first leader epoch.
constexpr int32_t kLeaderEpoch = 0;
}  // namespace

HandlerResult HandleOffsetForLeaderEpoch(RequestContext& ctx, const OffsetForLeaderEpochRequest& request,
                                         OffsetForLeaderEpochResponse& response) {
  const log::LogManager& logs = ctx.services.logs;
  for (const auto& topic : request.topics) {
    auto& topic_out = response.topics.emplace_back();
    topic_out.topic = topic.topic;
    for (const auto& partition : topic.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition = partition.partition;
      const log::OffsetLookup latest = logs.Latest(topic.topic, partition.partition);
      ErrorCode error = latest.error;
      // A client that knows a newer epoch than ours has newer metadata than this broker.
      if (error == ErrorCode::kNone && partition.current_leader_epoch > kLeaderEpoch) {
        error = ErrorCode::kUnknownLeaderEpoch;
      }
      out.error_code = static_cast<int16_t>(error);
      // An undefined requested epoch (-1) gets undefined epoch and offset, as in Kafka.
      if (error == ErrorCode::kNone && partition.leader_epoch >= 0) {
        out.leader_epoch = kLeaderEpoch;
        out.end_offset = latest.offset;
      }
    }
  }
  co_return;
}

}  // namespace kafscale::kafka
