#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

namespace {

// The partitions asked for (v0-7 and v8+ topic entries have the same
// shape); nullopt asks for every committed offset of the group.
template <typename Topic>
std::optional<std::vector<group::TopicPartition>> Wanted(const std::optional<std::vector<Topic>>& topics) {
  if (!topics) return std::nullopt;
  std::vector<group::TopicPartition> wanted;
  for (const Topic& topic : *topics) {
    for (int32_t partition : topic.partition_indexes) wanted.push_back({topic.name, partition});
  }
  return wanted;
}

// Appends `offsets` grouped by topic (consecutive entries of one topic share
// a topic entry), each partition carrying `error`.
template <typename TopicOut>
void FillTopics(const std::vector<group::FetchedOffset>& offsets, ErrorCode error, std::vector<TopicOut>& topics) {
  for (const group::FetchedOffset& fetched : offsets) {
    if (topics.empty() || topics.back().name != fetched.partition.topic) {
      topics.emplace_back().name = fetched.partition.topic;
    }
    auto& out = topics.back().partitions.emplace_back();
    out.partition_index = fetched.partition.partition;
    out.committed_offset = fetched.offset;
    out.committed_leader_epoch = fetched.leader_epoch;
    out.metadata = fetched.metadata;
    out.error_code = static_cast<int16_t>(error);
  }
}

}  // namespace

HandlerResult HandleOffsetFetch(RequestContext& ctx, const OffsetFetchRequest& request,
                                OffsetFetchResponse& response) {
  group::GroupCoordinator& groups = ctx.services.groups;
  // v8+ asks about several groups at once.
  if (ctx.api_version >= 8) {
    for (const auto& wanted_group : request.groups) {
      group::FetchResult result = groups.FetchOffsets(wanted_group.group_id, Wanted(wanted_group.topics));
      auto& out = response.groups.emplace_back();
      out.group_id = wanted_group.group_id;
      out.error_code = static_cast<int16_t>(result.error);
      FillTopics(result.offsets, ErrorCode::kNone, out.topics);
    }
    co_return;
  }
  const std::optional<std::vector<group::TopicPartition>> wanted = Wanted(request.topics);
  group::FetchResult result = groups.FetchOffsets(request.group_id, wanted);
  response.error_code = static_cast<int16_t>(result.error);
  if (result.error != ErrorCode::kNone && ctx.api_version < 2 && wanted) {
    // v0-1 have no group-level error: each partition asked for carries it.
    for (const group::TopicPartition& partition : *wanted) result.offsets.emplace_back().partition = partition;
    FillTopics(result.offsets, result.error, response.topics);
    co_return;
  }
  FillTopics(result.offsets, ErrorCode::kNone, response.topics);
}

}  // namespace kafscale::kafka
