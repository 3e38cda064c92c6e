#include "client/framing.h"

#include "protocol/messages/response_header.h"

namespace kafscale::client {

std::string PrependFrameSize(std::string_view payload) {
  const auto size = static_cast<uint32_t>(payload.size());
  std::string frame;
  frame.reserve(4 + payload.size());
  for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>((size >> shift) & 0xff));
  frame.append(payload);
  return frame;
}

Result<int32_t> ParseFrameSize(std::string_view prefix) {
  if (prefix.size() < 4) return Status::Corruption("frame size needs 4 bytes");
  uint32_t size = 0;
  for (int i = 0; i < 4; ++i) size = (size << 8) | static_cast<uint8_t>(prefix[static_cast<size_t>(i)]);
  const auto signed_size = static_cast<int32_t>(size);
  if (signed_size < 0 || signed_size > kMaxResponseFrameBytes) {
    return Status::Corruption("response frame size " + std::to_string(signed_size) + " out of range");
  }
  return signed_size;
}

Result<kafka::Reader> OpenResponse(std::shared_ptr<const std::string> frame, int16_t api_key,
                                   int16_t version, int32_t expected_correlation_id) {
  kafka::Reader reader(std::move(frame));
  kafka::ResponseHeader header;
  try {
    header.Decode(reader, kafka::ResponseHeaderVersion(api_key, version));
  } catch (const kafka::DecodeError& e) {
    return Status::Corruption(std::string("malformed response header: ") + e.what());
  }
  if (header.correlation_id != expected_correlation_id) {
    return Status::Corruption("response correlation id " + std::to_string(header.correlation_id) +
                              " does not match request " + std::to_string(expected_correlation_id));
  }
  return reader;
}

}  // namespace kafscale::client
