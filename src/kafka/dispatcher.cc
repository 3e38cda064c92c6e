#include "kafka/dispatcher.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "kafka/handlers/handlers.h"
#include "protocol/messages/api_registry.h"
#include "protocol/messages/request_header.h"
#include "protocol/messages/response_header.h"
#include "storage/record_batch.h"

namespace kafscale::kafka {

namespace asio = boost::asio;
using net::ProcessOutcome;

namespace {

template <typename Response>
ProcessOutcome EncodeResponse(const RequestContext& ctx, const Response& response, int16_t version) {
  Writer writer;
  ResponseHeader header;
  header.correlation_id = ctx.correlation_id;
  header.Encode(writer, ResponseHeaderVersion(ctx.api_key, version));
  response.Encode(writer, version);
  ProcessOutcome outcome;
  for (SharedSlice& piece : writer.Finish()) {
    outcome.response.pieces.push_back(piece.bytes);
    outcome.response.owners.push_back(std::move(piece.owner));
  }
  return outcome;
}

// Kafka responses nest per-topic and per-partition results under these
// member names. The first non-zero error code, depth first, is what metrics
// report as the request's outcome.
template <typename Message>
ErrorCode FirstError(const Message& message) {
  if constexpr (requires { message.error_code; }) {
    if (message.error_code != 0) return static_cast<ErrorCode>(message.error_code);
  }
  ErrorCode found = ErrorCode::kNone;
  auto scan = [&found](const auto& children) {
    for (const auto& child : children) {
      if (found != ErrorCode::kNone) return;
      found = FirstError(child);
    }
  };
  if constexpr (requires { message.responses.begin(); }) scan(message.responses);
  if constexpr (requires { message.topics.begin(); }) scan(message.topics);
  if constexpr (requires { message.results.begin(); }) scan(message.results);
  if constexpr (requires { message.groups.begin(); }) scan(message.groups);
  if constexpr (requires { message.partitions.begin(); }) scan(message.partitions);
  if constexpr (requires { message.partition_responses.begin(); }) scan(message.partition_responses);
  return found;
}

// Records in the record batches of `records` (each slice holds whole batches).
uint64_t CountRecords(const Records& records) {
  uint64_t total = 0;
  std::vector<BatchLocation> batches;
  for (const SharedSlice& slice : records.slices) {
    batches.clear();
    ScanBatches(slice.bytes, &batches);
    for (const BatchLocation& batch : batches) total += static_cast<uint64_t>(batch.record_count);
  }
  return total;
}

// Produce and Fetch traffic for metrics; other APIs carry no records.
template <typename Request, typename Response>
void RecordTraffic(metrics::BrokerMetrics&, const Request&, const Response&) {}

// Counts the partitions Produce accepted (durably, unless acks=0); the
// handler answers topics and partitions in request order.
void RecordTraffic(metrics::BrokerMetrics& metrics, const ProduceRequest& request, const ProduceResponse& response) {
  for (size_t t = 0; t < request.topic_data.size() && t < response.responses.size(); ++t) {
    const auto& partitions_in = request.topic_data[t].partition_data;
    const auto& partitions_out = response.responses[t].partition_responses;
    for (size_t p = 0; p < partitions_in.size() && p < partitions_out.size(); ++p) {
      if (partitions_out[p].error_code != 0 || !partitions_in[p].records) continue;
      metrics.RecordProduced(partitions_in[p].records->size(), CountRecords(*partitions_in[p].records));
    }
  }
}

void RecordTraffic(metrics::BrokerMetrics& metrics, const FetchRequest&, const FetchResponse& response) {
  for (const auto& topic : response.responses) {
    for (const auto& partition : topic.partitions) {
      if (partition.records) metrics.RecordFetched(partition.records->size(), CountRecords(*partition.records));
    }
  }
}

template <typename Request, typename Response,
          asio::awaitable<void> (*Handler)(RequestContext&, const Request&, Response&)>
asio::awaitable<ProcessOutcome> Run(RequestContext& ctx, Reader& reader, ErrorCode* first_error) {
  Request request;
  request.Decode(reader, ctx.api_version);
  Response response;
  co_await Handler(ctx, request, response);
  *first_error = FirstError(response);
  RecordTraffic(ctx.services.metrics, request, response);
  if (ctx.suppress_response) co_return ProcessOutcome{ProcessOutcome::Kind::kNoResponse, {}, {}};
  co_return EncodeResponse(ctx, response, ctx.api_version);
}

struct ApiEntry {
  SupportedApi api;
  asio::awaitable<ProcessOutcome> (*run)(RequestContext&, Reader&, ErrorCode*);
};

#define KAFSCALE_API(Name, min, max) \
  ApiEntry { {Name##Request::kApiKey, min, max}, &Run<Name##Request, Name##Response, &Handle##Name> }

// Produce v0-2 and Fetch v0-3 are advertised although this broker stores
// record batches of magic 2 only (older message formats are refused with
// CORRUPT_MESSAGE, and fetches return magic 2): librdkafka enables gzip,
// snappy and lz4 only for brokers whose ranges include Produce v2 and Fetch v2.
const std::vector<ApiEntry>& ApiTable() {
  static const std::vector<ApiEntry> table = [] {
    std::vector<ApiEntry> entries = {
        KAFSCALE_API(Produce, 0, 11),
        KAFSCALE_API(Fetch, 0, 17),
        KAFSCALE_API(ListOffsets, 1, 10),
        KAFSCALE_API(Metadata, 0, 12),
        KAFSCALE_API(ApiVersions, 0, 4),
        KAFSCALE_API(CreateTopics, 0, 7),
        KAFSCALE_API(DeleteTopics, 0, 6),
        KAFSCALE_API(DescribeConfigs, 0, 4),
        KAFSCALE_API(AlterConfigs, 0, 2),
        KAFSCALE_API(CreatePartitions, 0, 3),
        KAFSCALE_API(IncrementalAlterConfigs, 0, 1),
        KAFSCALE_API(DescribeCluster, 0, 1),
        KAFSCALE_API(FindCoordinator, 0, 4),
        KAFSCALE_API(JoinGroup, 0, 9),
        KAFSCALE_API(SyncGroup, 0, 5),
        KAFSCALE_API(Heartbeat, 0, 4),
        KAFSCALE_API(LeaveGroup, 0, 5),
        KAFSCALE_API(OffsetCommit, 0, 9),
        KAFSCALE_API(OffsetFetch, 0, 9),
        KAFSCALE_API(OffsetDelete, 0, 0),
        KAFSCALE_API(DescribeGroups, 0, 5),
        KAFSCALE_API(ListGroups, 0, 5),
        KAFSCALE_API(DeleteGroups, 0, 2),
        KAFSCALE_API(OffsetForLeaderEpoch, 0, 4),
    };
    std::sort(entries.begin(), entries.end(), [](const ApiEntry& a, const ApiEntry& b) { return a.api.key < b.api.key; });
    return entries;
  }();
  return table;
}
#undef KAFSCALE_API

const ApiEntry* FindEntry(int16_t key) {
  for (const ApiEntry& entry : ApiTable()) {
    if (entry.api.key == key) return &entry;
  }
  return nullptr;
}

ProcessOutcome Close(std::string reason) {
  return ProcessOutcome{ProcessOutcome::Kind::kClose, {}, std::move(reason)};
}

}  // namespace

const std::vector<SupportedApi>& SupportedApis() {
  static const std::vector<SupportedApi> apis = [] {
    std::vector<SupportedApi> out;
    for (const ApiEntry& entry : ApiTable()) out.push_back(entry.api);
    return out;
  }();
  return apis;
}

namespace {

// Decodes and runs one request; *first_error receives the outcome metrics
// report (the answer's first error, or why the connection is closed).
asio::awaitable<ProcessOutcome> Dispatch(const std::shared_ptr<const std::string>& frame, RequestContext& ctx,
                                         ErrorCode* first_error) {
  const net::ConnectionInfo& conn = ctx.connection;
  Reader reader(frame, *frame);
  std::string failure;
  try {
    ctx.api_key = reader.ReadInt16("request_api_key");
    ctx.api_version = reader.ReadInt16("request_api_version");
    ctx.correlation_id = reader.ReadInt32("correlation_id");
    const ApiEntry* entry = FindEntry(ctx.api_key);
    if (!entry) {
      *first_error = ErrorCode::kUnsupportedVersion;
      co_return Close("unsupported API key " + std::to_string(ctx.api_key) + " version " +
                      std::to_string(ctx.api_version));
    }
    if (ctx.api_version < entry->api.min_version || ctx.api_version > entry->api.max_version) {
      if (ctx.api_key == ApiVersionsRequest::kApiKey) {
        // KIP-511: answer in v0 with the supported range so the client downgrades.
        ApiVersionsResponse response;
        FillApiVersions(response);
        response.error_code = static_cast<int16_t>(ErrorCode::kUnsupportedVersion);
        *first_error = ErrorCode::kUnsupportedVersion;
        co_return EncodeResponse(ctx, response, 0);
      }
      *first_error = ErrorCode::kUnsupportedVersion;
      co_return Close("unsupported version " + std::to_string(ctx.api_version) + " of API key " +
                      std::to_string(ctx.api_key));
    }
    Reader header_reader(frame, *frame);
    RequestHeader header;
    header.Decode(header_reader, RequestHeaderVersion(ctx.api_key, ctx.api_version));
    ctx.client_id = header.client_id;
    co_return co_await entry->run(ctx, header_reader, first_error);
  } catch (const DecodeError& e) {
    failure = std::string("malformed request: ") + e.what();
  } catch (const std::exception& e) {
    failure = std::string("request failed: ") + e.what();
    spdlog::error("request failed api_key={} version={} peer={} error=\"{}\"", ctx.api_key, ctx.api_version,
                  conn.peer, e.what());
  }
  *first_error = ErrorCode::kInvalidRequest;
  co_return Close(failure);
}

}  // namespace

asio::awaitable<ProcessOutcome> Dispatcher::Process(std::shared_ptr<const std::string> frame,
                                                    const net::ConnectionInfo& conn) {
  const auto started = std::chrono::steady_clock::now();
  RequestContext ctx{.connection = conn, .services = services_};
  ErrorCode first_error = ErrorCode::kNone;
  ProcessOutcome outcome = co_await Dispatch(frame, ctx, &first_error);
  // Only implemented APIs get their own label, so clients cannot create
  // label values at will.
  const ApiInfo* api = FindEntry(ctx.api_key) ? FindApi(ctx.api_key) : nullptr;
  services_.metrics.RecordRequest(api ? api->name : "Unknown", ErrorCodeName(first_error),
                                  std::chrono::steady_clock::now() - started);
  co_return outcome;
}

}  // namespace kafscale::kafka
