// Kafka request/response framing for clients: a request frame is an int32
// size, a request header and the request body; a response frame (after its
// size) is a response header, whose correlation id must match the request's,
// and the response body. Header versions follow api_registry.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "protocol/messages/api_registry.h"
#include "protocol/messages/request_header.h"
#include "protocol/wire.h"

namespace kafscale::client {

// Frames above this are refused on receipt: no response a tool asks for comes
// near it, and a garbage size must not make the client allocate gigabytes.
inline constexpr int32_t kMaxResponseFrameBytes = 256 << 20;

// Prepends the int32 big-endian size of `payload`.
std::string PrependFrameSize(std::string_view payload);

// Reads the size prefix of a response frame (4 bytes at `prefix`).
// Errors: Corruption when negative or above kMaxResponseFrameBytes.
Result<int32_t> ParseFrameSize(std::string_view prefix);

// The whole request frame, size prefix included. Throws std::invalid_argument
// when `version` is outside the request's codec range (a caller bug).
template <typename Request>
std::string EncodeRequestFrame(const Request& request, int16_t version, int32_t correlation_id,
                               const std::string& client_id) {
  kafka::RequestHeader header;
  header.request_api_key = Request::kApiKey;
  header.request_api_version = version;
  header.correlation_id = correlation_id;
  header.client_id = client_id;
  kafka::Writer writer;
  header.Encode(writer, kafka::RequestHeaderVersion(Request::kApiKey, version));
  request.Encode(writer, version);
  return PrependFrameSize(writer.FinishFlat());
}

// Checks the response header at the start of `frame` (a frame without its
// size prefix) and returns a Reader at the response body. Errors: Corruption
// when the header is malformed or its correlation id is not the expected one.
Result<kafka::Reader> OpenResponse(std::shared_ptr<const std::string> frame, int16_t api_key,
                                   int16_t version, int32_t expected_correlation_id);

// Decodes a whole response frame (without size prefix) of `Request`'s API.
// Errors: as OpenResponse, and Corruption when the body does not decode.
template <typename Response>
Result<Response> DecodeResponseFrame(std::shared_ptr<const std::string> frame, int16_t version,
                                     int32_t expected_correlation_id) {
  Result<kafka::Reader> reader =
      OpenResponse(std::move(frame), Response::kApiKey, version, expected_correlation_id);
  if (!reader.ok()) return reader.status();
  Response response;
  try {
    response.Decode(*reader, version);
  } catch (const kafka::DecodeError& e) {
    return Status::Corruption(std::string("malformed response: ") + e.what());
  }
  return response;
}

}  // namespace kafscale::client
