#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

HandlerResult HandleOffsetCommit(RequestContext& ctx, const OffsetCommitRequest& request,
                                 OffsetCommitResponse& response) {
  group::CommitRequest commit;
  commit.group_id = request.group_id;
  commit.generation_id = request.generation_id_or_member_epoch;
  commit.member_id = request.member_id;
  commit.instance_id = request.group_instance_id;
  // Partitions this broker does not have are answered here; the coordinator
  // answers the rest, whose places in the response are remembered in order.
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
      commit.offsets.push_back({.partition = {topic.name, partition.partition_index},
                                .offset = partition.committed_offset,
                                .leader_epoch = partition.committed_leader_epoch,
                                .metadata = partition.committed_metadata.value_or("")});
      placed.emplace_back(response.topics.size() - 1, topic_out.partitions.size() - 1);
    }
  }
  if (commit.offsets.empty()) co_return;
  const std::vector<ErrorCode> errors = co_await ctx.services.groups.CommitOffsets(commit);
  for (size_t i = 0; i < placed.size(); ++i) {
    const auto [topic_index, partition_index] = placed[i];
    response.topics[topic_index].partitions[partition_index].error_code = static_cast<int16_t>(errors[i]);
  }
}

}  // namespace kafscale::kafka
