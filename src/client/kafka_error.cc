#include "client/kafka_error.h"

#include "protocol/error_codes.h"

namespace kafscale::client {

Status KafkaErrorStatus(int16_t error_code, std::string_view context,
                        const std::optional<std::string>& message) {
  using kafka::ErrorCode;
  const auto code = static_cast<ErrorCode>(error_code);
  if (code == ErrorCode::kNone) return Status::OK();
  std::string text = std::string(context) + ": " + kafka::ErrorCodeName(code);
  if (message && !message->empty()) text += ": " + *message;
  switch (code) {
    case ErrorCode::kUnknownTopicOrPartition:
    case ErrorCode::kGroupIdNotFound:
    case ErrorCode::kUnknownTopicId:
      return Status::NotFound(text);
    case ErrorCode::kTopicAlreadyExists:
      return Status::AlreadyExists(text);
    default:
      return kafka::IsRetriable(code) ? Status::Unavailable(text) : Status::InvalidArgument(text);
  }
}

}  // namespace kafscale::client
