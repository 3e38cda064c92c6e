// Turning Kafka error codes from responses into Status values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kafscale::client {

// OK for error code 0; otherwise "<context>: <KAFKA_NAME>[: <message>]" with
// a code that lets callers branch: NotFound for unknown topics and groups,
// AlreadyExists for existing topics, Unavailable for Kafka's retriable
// errors, InvalidArgument for the rest. Thread-safe.
Status KafkaErrorStatus(int16_t error_code, std::string_view context,
                        const std::optional<std::string>& message = std::nullopt);

}  // namespace kafscale::client
