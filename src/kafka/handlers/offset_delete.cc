#include "kafka/handlers/handlers.h"
#include "kafka/handlers/known_partitions.h"

namespace kafscale::kafka {

HandlerResult HandleOffsetDelete(RequestContext& ctx, const OffsetDeleteRequest& request,
                                 OffsetDeleteResponse& response) {
  std::vector<group::TopicPartition> partitions;
  const std::vector<ResponseSlot> slots = AnswerUnknownPartitions(
      ctx.services.topics, request.topics, response.topics, [&](const std::string& topic, const auto& partition) {
        partitions.push_back({topic, partition.partition_index});
      });
  const group::OffsetDeleteResult result = co_await ctx.services.groups.DeleteOffsets(request.group_id, partitions);
  if (result.error != ErrorCode::kNone) {
    // A group-level error answers for every partition.
    response.error_code = static_cast<int16_t>(result.error);
    response.topics.clear();
    co_return;
  }
  FillSlots(slots, result.partitions, response.topics);
}

}  // namespace kafscale::kafka
