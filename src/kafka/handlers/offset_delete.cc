#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleOffsetDelete(RequestContext& ctx, const OffsetDeleteRequest& request,
                                 OffsetDeleteResponse& response) {
  // Partitions this broker does not have are answered here; the coordinator
  // answers the rest, whose places in the response are remembered in order.
  std::vector<group::TopicPartition> partitions;
  std::vector<std::pair<size_t, size_t>> placed;
  for (const auto& topic : request.topics) {
    auto& topic_out = response.topics.emplace_back();
    topic_out.name = topic.name;
    const cluster::TopicInfo* info = ctx.services.topics.Find(topic.name);
    for (const auto& partition : topic.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = partition.partition_index;
      if (!info || partition.partition_index < 0 || partition.partition_index >= info->partitions) {
        out.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicOrPartition);
        continue;
      }
      partitions.push_back({topic.name, partition.partition_index});
      placed.emplace_back(response.topics.size() - 1, topic_out.partitions.size() - 1);
    }
  }
  const group::OffsetDeleteResult result = co_await ctx.services.groups.DeleteOffsets(request.group_id, partitions);
  if (result.error != ErrorCode::kNone) {
    // A group-level error answers for every partition.
    response.error_code = static_cast<int16_t>(result.error);
    response.topics.clear();
    co_return;
  }
  for (size_t i = 0; i < placed.size(); ++i) {
    const auto [topic_index, partition_index] = placed[i];
    response.topics[topic_index].partitions[partition_index].error_code = static_cast<int16_t>(result.partitions[i]);
  }
}

}  // namespace kafscale::kafka
