#include "kafka/dispatcher.h"

#include <spdlog/spdlog.h>

#include "kafka/handlers/handlers.h"
#include "protocol/messages/api_registry.h"
#include "protocol/messages/request_header.h"
#include "protocol/messages/response_header.h"

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

template <typename Request, typename Response,
          asio::awaitable<void> (*Handler)(RequestContext&, const Request&, Response&)>
asio::awaitable<ProcessOutcome> Run(RequestContext& ctx, Reader& reader) {
  Request request;
  request.Decode(reader, ctx.api_version);
  Response response;
  co_await Handler(ctx, request, response);
  if (ctx.suppress_response) co_return ProcessOutcome{ProcessOutcome::Kind::kNoResponse, {}, {}};
  co_return EncodeResponse(ctx, response, ctx.api_version);
}

struct ApiEntry {
  SupportedApi api;
  asio::awaitable<ProcessOutcome> (*run)(RequestContext&, Reader&);
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

asio::awaitable<ProcessOutcome> Dispatcher::Process(std::shared_ptr<const std::string> frame,
                                                    const net::ConnectionInfo& conn) {
  Reader reader(frame, *frame);
  RequestContext ctx{.connection = conn, .services = services_};
  std::string failure;
  try {
    ctx.api_key = reader.ReadInt16("request_api_key");
    ctx.api_version = reader.ReadInt16("request_api_version");
    ctx.correlation_id = reader.ReadInt32("correlation_id");
    const ApiEntry* entry = FindEntry(ctx.api_key);
    if (!entry) {
      co_return Close("unsupported API key " + std::to_string(ctx.api_key) + " version " +
                      std::to_string(ctx.api_version));
    }
    if (ctx.api_version < entry->api.min_version || ctx.api_version > entry->api.max_version) {
      if (ctx.api_key == ApiVersionsRequest::kApiKey) {
        // KIP-511: answer in v0 with the supported range so the client downgrades.
        ApiVersionsResponse response;
        FillApiVersions(response);
        response.error_code = static_cast<int16_t>(ErrorCode::kUnsupportedVersion);
        co_return EncodeResponse(ctx, response, 0);
      }
      co_return Close("unsupported version " + std::to_string(ctx.api_version) + " of API key " +
                      std::to_string(ctx.api_key));
    }
    Reader header_reader(frame, *frame);
    RequestHeader header;
    header.Decode(header_reader, RequestHeaderVersion(ctx.api_key, ctx.api_version));
    ctx.client_id = header.client_id;
    co_return co_await entry->run(ctx, header_reader);
  } catch (const DecodeError& e) {
    failure = std::string("malformed request: ") + e.what();
  } catch (const std::exception& e) {
    failure = std::string("request failed: ") + e.what();
    spdlog::error("request failed api_key={} version={} peer={} error=\"{}\"", ctx.api_key, ctx.api_version,
                  conn.peer, e.what());
  }
  co_return Close(failure);
}

}  // namespace kafscale::kafka
