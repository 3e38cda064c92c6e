#include <charconv>
#include <chrono>

#include "kafka/handlers/handlers.h"

namespace kafscale::kafka {

namespace {

int64_t MaxBatchBytes(const cluster::TopicInfo& topic) {
  const std::string value = cluster::EffectiveTopicConfig(topic.configs, "max.message.bytes");
  int64_t parsed = 0;
  std::from_chars(value.data(), value.data() + value.size(), parsed);
  return parsed;
}

ErrorCode ErrorForFlushFailure(const Status& status) {
  if (status.code() == Status::Code::kTimeout) return ErrorCode::kRequestTimedOut;
  if (status.IsConflict()) return ErrorCode::kNotLeaderOrFollower;
  if (status.IsNotFound()) return ErrorCode::kUnknownTopicOrPartition;
  return ErrorCode::kKafkaStorageError;
}

}  // namespace

HandlerResult HandleProduce(RequestContext& ctx, const ProduceRequest& request, ProduceResponse& response) {
  BrokerServices& services = ctx.services;
  const bool valid_acks = request.acks == 0 || request.acks == 1 || request.acks == -1;
  const bool transactional = request.transactional_id.has_value();
  // Positions, not pointers: the response vectors grow while this loop runs.
  struct Waiting {
    size_t topic;
    size_t partition;
    std::shared_ptr<log::FlushTicket> ticket;
  };
  std::vector<Waiting> waiting;
  uint64_t waiting_bytes = 0;
  // Records could not be made durable: refuse them with a retriable error
  // rather than buffer what the object store may not take. A store that is
  // only slow (degraded) still takes them: refusing would turn a slowdown
  // into an outage, and stop the very uploads whose speed shows recovery;
  // backpressure bounds what waits meanwhile.
  const metrics::S3HealthSnapshot storage = services.s3_health.Snapshot();
  // Backpressure: while too much is waiting for flushes, hold this request
  // (and so, through the per-connection in-flight limit, its producer).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(request.timeout_ms, 0));
  const bool buffer_space = co_await services.logs.WaitForBufferSpace(deadline);
  for (const auto& topic_data : request.topic_data) {
    auto& topic_out = response.responses.emplace_back();
    topic_out.name = topic_data.name;
    const cluster::TopicInfo* topic = services.topics.Find(topic_data.name);
    for (const auto& partition_data : topic_data.partition_data) {
      auto& out = topic_out.partition_responses.emplace_back();
      out.index = partition_data.index;
      out.base_offset = -1;
      auto fail = [&](ErrorCode code, std::string message) {
        out.error_code = static_cast<int16_t>(code);
        out.error_message = std::move(message);
      };
      if (!valid_acks) {
        fail(ErrorCode::kInvalidRequiredAcks, "acks must be -1, 0 or 1");
      } else if (transactional) {
        fail(ErrorCode::kTransactionalIdAuthorizationFailed, "transactions are not supported");
      } else if (!topic || partition_data.index < 0 || partition_data.index >= topic->partitions) {
        fail(ErrorCode::kUnknownTopicOrPartition, "unknown topic or partition");
      } else if (!buffer_space) {
        fail(ErrorCode::kRequestTimedOut, "produce buffers stayed full for the request timeout");
      } else if (storage.state == metrics::HealthState::kUnavailable) {
        fail(ErrorCode::kKafkaStorageError, "object store is " + std::string(metrics::HealthStateName(storage.state)) +
                                                ": " + storage.reason);
      } else if (!partition_data.records.has_value()) {
        fail(ErrorCode::kCorruptMessage, "records are null");
      } else {
        log::AppendResult appended =
            services.logs.Append(topic->name, partition_data.index, *partition_data.records, MaxBatchBytes(*topic));
        if (appended.error != ErrorCode::kNone) {
          fail(appended.error, appended.message);
        } else {
          out.base_offset = appended.base_offset;
          out.log_start_offset = appended.log_start_offset;
          waiting.push_back(Waiting{response.responses.size() - 1, topic_out.partition_responses.size() - 1,
                                    std::move(appended.ticket)});
          waiting_bytes += partition_data.records->size();
        }
      }
    }
  }
  if (request.acks == 0) {
    ctx.suppress_response = true;
    co_return;
  }
  // The request (and so its records) lives until this handler returns.
  const log::LogManager::BufferHold request_copy(services.logs, waiting_bytes);
  for (Waiting& w : waiting) {
    Status status = co_await services.logs.WaitDurable(w.ticket, deadline);
    if (!status.ok()) {
      auto& out = response.responses[w.topic].partition_responses[w.partition];
      out.error_code = static_cast<int16_t>(ErrorForFlushFailure(status));
      out.error_message = status.ToString();
      out.base_offset = -1;
    }
  }
}

}  // namespace kafscale::kafka
