#include "kafka/handlers/handlers.h"
#include "kafka/handlers/known_partitions.h"

namespace kafscale::kafka {

HandlerResult HandleOffsetCommit(RequestContext& ctx, const OffsetCommitRequest& request,
                                 OffsetCommitResponse& response) {
  // Generation -1 with no member id is a standalone consumer (or an admin
  // tool); it goes through the group's coordinator all the same.
  group::CommitRequest commit;
  commit.group_id = request.group_id;
  commit.generation_id = request.generation_id_or_member_epoch;
  commit.member_id = request.member_id;
  commit.instance_id = request.group_instance_id;
  const std::vector<ResponseSlot> slots = AnswerUnknownPartitions(
      ctx.services.topics, request.topics, response.topics, [&](const std::string& topic, const auto& partition) {
        commit.offsets.push_back({.partition = {topic, partition.partition_index},
                                  .offset = partition.committed_offset,
                                  .leader_epoch = partition.committed_leader_epoch,
                                  .metadata = partition.committed_metadata.value_or("")});
      });
  if (commit.offsets.empty()) co_return;
  const std::vector<ErrorCode> errors = co_await ctx.services.groups.CommitOffsets(commit);
  FillSlots(slots, errors, response.topics);
}

}  // namespace kafscale::kafka
