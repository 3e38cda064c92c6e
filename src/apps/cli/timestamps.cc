#include "apps/cli/timestamps.h"

#include <charconv>
#include <chrono>

#include <fmt/format.h>

namespace kafscale::cli {

namespace {

// Reads exactly `digits` decimal digits at `pos`, advancing it.
bool ReadDigits(std::string_view text, size_t& pos, size_t digits, int& value) {
  if (pos + digits > text.size()) return false;
  const char* begin = text.data() + pos;
  const auto [end, error] = std::from_chars(begin, begin + digits, value);
  if (error != std::errc() || end != begin + digits) return false;
  pos += digits;
  return true;
}

bool Expect(std::string_view text, size_t& pos, std::string_view accepted) {
  if (pos >= text.size() || accepted.find(text[pos]) == std::string_view::npos) return false;
  ++pos;
  return true;
}

Status Invalid(std::string_view text) {
  return Status::InvalidArgument("bad timestamp \"" + std::string(text) +
                                 "\": want milliseconds since the epoch or RFC 3339 "
                                 "(2024-05-01T12:00:00Z)");
}

}  // namespace

Result<int64_t> ParseTimestamp(std::string_view text) {
  int64_t millis = 0;
  if (const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), millis);
      error == std::errc() && end == text.data() + text.size() && millis >= 0 && !text.empty()) {
    return millis;
  }
  using namespace std::chrono;
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, "-") || !ReadDigits(text, pos, 2, month) ||
      !Expect(text, pos, "-") || !ReadDigits(text, pos, 2, day) || !Expect(text, pos, "Tt ") ||
      !ReadDigits(text, pos, 2, hour) || !Expect(text, pos, ":") || !ReadDigits(text, pos, 2, minute) ||
      !Expect(text, pos, ":") || !ReadDigits(text, pos, 2, second)) {
    return Invalid(text);
  }
  const year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  // Second 60 is a leap second; Kafka timestamps have none, so it is refused.
  if (!date.ok() || hour > 23 || minute > 59 || second > 59) return Invalid(text);
  int64_t fraction_ms = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t scale = 100;
    const size_t first_digit = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      fraction_ms += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == first_digit) return Invalid(text);
  }
  int64_t offset_minutes = 0;
  if (Expect(text, pos, "Zz")) {
    // UTC
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int offset_hours = 0, offset_mins = 0;
    if (!ReadDigits(text, pos, 2, offset_hours) || !Expect(text, pos, ":") ||
        !ReadDigits(text, pos, 2, offset_mins) || offset_hours > 23 || offset_mins > 59) {
      return Invalid(text);
    }
    offset_minutes = sign * (offset_hours * 60 + offset_mins);
  } else {
    return Invalid(text);
  }
  if (pos != text.size()) return Invalid(text);
  const auto local = sys_days(date) + hours(hour) + minutes(minute) + seconds(second) +
                     milliseconds(fraction_ms) - minutes(offset_minutes);
  return static_cast<int64_t>(duration_cast<milliseconds>(local.time_since_epoch()).count());
}

std::string FormatTimestamp(int64_t milliseconds) {
  if (milliseconds < 0) return "-";
  using namespace std::chrono;
  const sys_time<std::chrono::milliseconds> point{std::chrono::milliseconds(milliseconds)};
  const sys_days day_point = floor<days>(point);
  const year_month_day date{day_point};
  const hh_mm_ss time{point - day_point};
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count(),
                     time.subseconds().count());
}

}  // namespace kafscale::cli
