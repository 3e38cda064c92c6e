#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

namespace {
// Special timestamps of ListOffsets (KIP-79, KIP-734, KIP-405, KIP-1005).
constexpr int64_t kLatest = -1;
constexpr int64_t kEarliest = -2;
constexpr int64_t kMaxTimestamp = -3;
constexpr int64_t kEarliestLocal = -4;
constexpr int64_t kLatestTiered = -5;
}  // namespace

HandlerResult HandleListOffsets(RequestContext& ctx, const ListOffsetsRequest& request,
                                ListOffsetsResponse& response) {
  log::LogManager& logs = ctx.services.logs;
  for (const auto& topic_request : request.topics) {
    auto& topic_out = response.topics.emplace_back();
    topic_out.name = topic_request.name;
    for (const auto& partition_request : topic_request.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = partition_request.partition_index;
      const std::string& topic = topic_request.name;
      const int32_t partition = partition_request.partition_index;
      log::OffsetLookup lookup;
      switch (partition_request.timestamp) {
        case kLatest:
        case kLatestTiered:
          lookup = logs.Latest(topic, partition);
          break;
        case kEarliest:
        case kEarliestLocal:
          lookup = logs.Earliest(topic, partition);
          break;
        case kMaxTimestamp:
          lookup = co_await logs.MaxTimestamp(topic, partition);
          break;
        default:
          if (partition_request.timestamp < 0) {
            lookup.error = ErrorCode::kInvalidRequest;
          } else {
            lookup = co_await logs.ForTimestamp(topic, partition, partition_request.timestamp);
          }
      }
      out.error_code = static_cast<int16_t>(lookup.error);
      if (lookup.error == ErrorCode::kNone) {
        out.offset = lookup.offset;
        out.timestamp = lookup.timestamp;
        out.leader_epoch = 0;
        out.old_style_offsets = {lookup.offset};
      }
    }
  }
}

}  // namespace kafscale::kafka
