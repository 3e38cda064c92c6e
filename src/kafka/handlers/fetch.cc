#include <chrono>

#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

namespace {

struct Target {
  std::string topic;  // empty when unknown (names are never empty)
  int32_t partition;
  int64_t fetch_offset;
  int32_t partition_max_bytes;
  FetchResponse::PartitionData* out;
};

// One pass over every requested partition; returns the bytes gathered.
boost::asio::awaitable<int64_t> ReadAll(BrokerServices& services, std::vector<Target>& targets, int32_t max_bytes) {
  int64_t total = 0;
  for (Target& t : targets) {
    if (t.topic.empty()) continue;
    const int64_t remaining = static_cast<int64_t>(max_bytes) - total;
    if (total > 0 && remaining <= 0) continue;
    // The first partition with data always returns at least one whole batch.
    const int64_t budget = total == 0 ? std::min<int64_t>(t.partition_max_bytes, std::max<int64_t>(remaining, 1))
                                      : std::min<int64_t>(t.partition_max_bytes, remaining);
    log::ReadResult read = co_await services.logs.Read(t.topic, t.partition, t.fetch_offset, budget);
    t.out->error_code = static_cast<int16_t>(read.error);
    t.out->high_watermark = read.high_watermark;
    t.out->last_stable_offset = read.high_watermark;
    t.out->log_start_offset = read.log_start_offset;
    const int64_t size = static_cast<int64_t>(read.records.size());
    t.out->records = std::move(read.records);
    total += size;
  }
  co_return total;
}

}  // namespace

HandlerResult HandleFetch(RequestContext& ctx, const FetchRequest& request, FetchResponse& response) {
  BrokerServices& services = ctx.services;
  const bool by_id = ctx.api_version >= 13;
  std::vector<Target> targets;
  response.responses.reserve(request.topics.size());
  for (const auto& topic_request : request.topics) {
    auto& topic_out = response.responses.emplace_back();
    topic_out.topic = topic_request.topic;
    topic_out.topic_id = topic_request.topic_id;
    const cluster::TopicInfo* topic =
        by_id ? services.topics.FindById(topic_request.topic_id) : services.topics.Find(topic_request.topic);
    topic_out.partitions.reserve(topic_request.partitions.size());
    for (const auto& partition_request : topic_request.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = partition_request.partition;
      out.high_watermark = -1;
      out.records = Records{};
      const bool known = topic && partition_request.partition >= 0 && partition_request.partition < topic->partitions;
      if (!known) {
        out.error_code = static_cast<int16_t>(by_id && !topic ? ErrorCode::kUnknownTopicId
                                                              : ErrorCode::kUnknownTopicOrPartition);
      }
      targets.push_back(Target{known ? topic->name : std::string(), partition_request.partition, partition_request.fetch_offset,
                               partition_request.partition_max_bytes, &out});
    }
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(request.max_wait_ms, 0));
  int64_t bytes = co_await ReadAll(services, targets, request.max_bytes);
  while (bytes < request.min_bytes && std::chrono::steady_clock::now() < deadline) {
    // Long poll: sleep until any requested partition gets new data.
    AsyncEvent event(services.executor);
    std::vector<const Target*> registered;
    for (const Target& t : targets) {
      if (!t.topic.empty() && services.logs.AddWaiter(t.topic, t.partition, &event)) registered.push_back(&t);
    }
    if (registered.empty()) break;
    co_await event.Wait(deadline);
    for (const Target* t : registered) services.logs.RemoveWaiter(t->topic, t->partition, &event);
    // Topics may have been deleted while waiting.
    for (Target& t : targets) {
      if (!t.topic.empty() && !services.topics.Find(t.topic)) t.topic.clear();
    }
    bytes = co_await ReadAll(services, targets, request.max_bytes);
  }
}

}  // namespace kafscale::kafka
