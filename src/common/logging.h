// Structured logging on top of spdlog.
//
// Every line goes to one sink (stderr in production) in one of two formats:
//   text: 2026-11-26T10:50:15.123Z level=info msg="connection closed" peer=10.0.0.7:53312
//   json: {"ts":"2026-11-26T10:50:15.123Z","level":"info","msg":"connection closed",
//          "peer":"10.0.0.7:53312"}   (one object per line)
// Code that calls spdlog directly (spdlog::info("...")) gets the same format
// without fields.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include <spdlog/common.h>

#include "common/noncopyable.h"

namespace kafscale {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };
enum class LogFormat { kText, kJson };

// "trace", "debug", "info", "warn" or "error".
std::string_view LogLevelName(LogLevel level);

// The value of one structured field. String values are views: a LogValue
// (and the LogField holding it) must not outlive the log call it is passed
// to, which is what a braced field list written in the call gives.
class LogValue {
 public:
  using Variant = std::variant<std::string_view, bool, int64_t, uint64_t, double>;

  LogValue(std::string_view text) : value_(text) {}                  // NOLINT: implicit by design
  LogValue(const char* text) : value_(std::string_view(text)) {}     // NOLINT
  LogValue(const std::string& text) : value_(std::string_view(text)) {}  // NOLINT
  LogValue(bool flag) : value_(flag) {}                              // NOLINT
  LogValue(double number) : value_(number) {}                        // NOLINT
  template <std::signed_integral T>
  LogValue(T number) : value_(static_cast<int64_t>(number)) {}       // NOLINT
  template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>)
  LogValue(T number) : value_(static_cast<uint64_t>(number)) {}      // NOLINT

  const Variant& variant() const { return value_; }

 private:
  Variant value_;
};

// One key=value pair of a log line. Keys should be plain identifiers; in the
// json format a field named ts, level or msg is dropped.
struct LogField {
  std::string_view key;
  LogValue value;
};

// Points the process's logging (spdlog's default logger and the structured
// API below) at stderr with the given threshold and format.
// Not thread-safe: call at start-up before other threads log. May be called
// again (tests do) while no other thread is logging. Logging before any call
// writes text at info level to stderr.
void InitLogging(LogLevel level, LogFormat format);

// As above but writing to `sink` (shared; tests pass an ostream sink).
void InitLogging(LogLevel level, LogFormat format, spdlog::sink_ptr sink);

// Whether a line at `level` would be written. Thread-safe and cheap (one
// atomic load); use it to skip computing expensive field values.
bool LogEnabled(LogLevel level);

// Writes one line if `level` is enabled. Thread-safe; lines from different
// threads never interleave. Never fails: invalid UTF-8 is replaced in json.
void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});

inline void LogTrace(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kTrace, msg, fields);
}
inline void LogDebug(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kDebug, msg, fields);
}
inline void LogInfo(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, msg, fields);
}
inline void LogWarn(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarn, msg, fields);
}
inline void LogError(std::string_view msg, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, msg, fields);
}

// Appends `value` in logfmt form: as is when it is a non-empty run of
// characters needing no escape, otherwise double-quoted with \" \\ \n \r \t
// and \u00XX escapes. Pure function; thread-safe.
void AppendLogfmtValue(std::string& out, std::string_view value);

// Keeps a noisy message from flooding the log: for each key, at most
// `max_lines_per_interval` lines are written per interval (the interval
// starts at the key's first line); further lines are counted, and once the
// interval has passed one summary line "suppressed K similar messages" (with
// field key=...) is written at the level of the suppressed lines. The summary
// is written by the next Log call on this limiter after the interval ends,
// whatever its key, so it is late when the limiter falls silent.
// Thread-safe. Memory: one entry per key seen in the current interval.
class RateLimitedLog : NonCopyable {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `clock` is injectable for tests; it must be thread-safe and monotonic.
  RateLimitedLog(uint32_t max_lines_per_interval, std::chrono::steady_clock::duration interval,
                 Clock clock = &std::chrono::steady_clock::now);

  // Writes the line unless `key` used up its budget for this interval (or the
  // level is disabled, in which case nothing is counted). Returns whether the
  // line was written. Thread-safe.
  bool Log(std::string_view key, LogLevel level, std::string_view msg,
           std::initializer_list<LogField> fields = {});

 private:
  struct KeyWindow {
    std::chrono::steady_clock::time_point start;
    uint32_t written = 0;
    uint64_t suppressed = 0;
    LogLevel suppressed_level = LogLevel::kInfo;
  };
  struct Summary {
    std::string key;
    uint64_t suppressed;
    LogLevel level;
  };
  // Allows lookup by string_view without building a std::string.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };

  // Appends a summary of `window` to `out` if it suppressed anything.
  static void CollectSummary(std::string_view key, const KeyWindow& window,
                             std::vector<Summary>& out);

  const uint32_t max_lines_per_interval_;
  const std::chrono::steady_clock::duration interval_;
  const Clock clock_;

  std::mutex mu_;
  std::unordered_map<std::string, KeyWindow, KeyHash, std::equal_to<>> windows_;  // guarded by mu_
  std::chrono::steady_clock::time_point next_sweep_;                            // guarded by mu_
};

}  // namespace kafscale
