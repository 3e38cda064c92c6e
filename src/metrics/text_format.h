// Prometheus text exposition format 0.0.4: what /metrics serves.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "metrics/registry.h"

namespace kafscale::metrics {

inline constexpr char kTextContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Writes every family: "# HELP", "# TYPE", then its samples, one per line.
// Help text escapes '\' and newline; label values also escape '"'. Thread-safe.
std::string WriteText(const std::vector<FamilySnapshot>& families);

// A sample value as the format spells it: integers without a fraction,
// others in the shortest form that reads back exactly, and +Inf, -Inf, NaN.
std::string FormatSampleValue(double value);

// Escapes a label value: '\' -> "\\", '"' -> "\"", newline -> "\n".
std::string EscapeLabelValue(std::string_view value);

}  // namespace kafscale::metrics
