// Timestamps on the command line and in output: Kafka's milliseconds since
// the Unix epoch, or RFC 3339 text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kafscale::cli {

// Milliseconds since the epoch from either a non-negative integer of
// milliseconds ("1700000000000") or RFC 3339 text with a zone
// ("2024-05-01T12:00:00Z", "2024-05-01 12:00:00.250+02:00"); fractions
// below a millisecond are dropped. Errors: InvalidArgument. Thread-safe.
Result<int64_t> ParseTimestamp(std::string_view text);

// RFC 3339 in UTC with milliseconds ("2024-05-01T12:00:00.250Z"); negative
// values (Kafka's "no timestamp") print as "-". Thread-safe.
std::string FormatTimestamp(int64_t milliseconds);

}  // namespace kafscale::cli
