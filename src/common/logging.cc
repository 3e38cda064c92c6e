#include "common/logging.h"

#include <algorithm>
#include <iterator>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace kafscale {

namespace {

// Lines from the structured API arrive at the sink already formatted; the
// formatter recognises them by this logger name and passes them through.
constexpr std::string_view kStructuredLoggerName = "kafscale";

spdlog::level::level_enum ToSpdlogLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return spdlog::level::trace;
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::string_view SpdlogLevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

// RFC 3339 in UTC with milliseconds: 2026-11-26T10:50:15.123Z.
std::string FormatTimestamp(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss clock{floor<milliseconds>(time - day)};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count(),
                     clock.subseconds().count());
}

void AppendQuoted(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void AppendTextValue(std::string& out, const LogValue& value) {
  std::visit(
      [&out](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string_view>) {
          AppendLogfmtValue(out, v);
        } else if constexpr (std::is_same_v<V, bool>) {
          out += v ? "true" : "false";
        } else {
          fmt::format_to(std::back_inserter(out), "{}", v);
        }
      },
      value.variant());
}

nlohmann::ordered_json ToJson(const LogValue& value) {
  return std::visit(
      [](const auto& v) -> nlohmann::ordered_json {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string_view>) {
          return std::string(v);
        } else {
          return v;
        }
      },
      value.variant());
}

// One complete line without the trailing newline.
std::string FormatLine(LogFormat format, std::chrono::system_clock::time_point time,
                       std::string_view level, std::string_view msg,
                       std::initializer_list<LogField> fields) {
  if (format == LogFormat::kJson) {
    nlohmann::ordered_json line;
    line["ts"] = FormatTimestamp(time);
    line["level"] = std::string(level);
    line["msg"] = std::string(msg);
    for (const LogField& field : fields) line.emplace(std::string(field.key), ToJson(field.value));
    // Log text may hold arbitrary bytes (peer data); never throw over bad UTF-8.
    return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  std::string line = FormatTimestamp(time);
  line += " level=";
  line += level;
  line += " msg=";
  AppendQuoted(line, msg);
  for (const LogField& field : fields) {
    line.push_back(' ');
    line += field.key;
    line.push_back('=');
    AppendTextValue(line, field.value);
  }
  return line;
}

class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (std::string_view(msg.logger_name.data(), msg.logger_name.size()) == kStructuredLoggerName) {
      dest.append(payload.data(), payload.data() + payload.size());
    } else {
      const std::string line =
          FormatLine(format_, msg.time, SpdlogLevelName(msg.level), payload, {});
      dest.append(line.data(), line.data() + line.size());
    }
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_);
  }

 private:
  const LogFormat format_;
};

struct LoggingState {
  std::shared_ptr<spdlog::logger> structured;
  LogFormat format = LogFormat::kText;
};

LoggingState MakeState(LogLevel level, LogFormat format, spdlog::sink_ptr sink) {
  sink->set_formatter(std::make_unique<LineFormatter>(format));
  auto structured = std::make_shared<spdlog::logger>(std::string(kStructuredLoggerName), sink);
  structured->set_level(ToSpdlogLevel(level));
  return LoggingState{std::move(structured), format};
}

// Function-local so that logging from static initialisers or before
// InitLogging finds a working logger.
// Never destroyed: threads of libraries (gRPC's) may still log while the
// process exits.
LoggingState& State() {
  static LoggingState* const state = new LoggingState(
      MakeState(LogLevel::kInfo, LogFormat::kText, std::make_shared<spdlog::sinks::stderr_sink_mt>()));
  return *state;
}

}  // namespace

std::string_view LogLevelName(LogLevel level) { return SpdlogLevelName(ToSpdlogLevel(level)); }

void AppendLogfmtValue(std::string& out, std::string_view value) {
  const bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && c != 0x7f && c != '"' && c != '=' && c != '\\';
  });
  if (plain) {
    out += value;
  } else {
    AppendQuoted(out, value);
  }
}

void InitLogging(LogLevel level, LogFormat format) {
  InitLogging(level, format, std::make_shared<spdlog::sinks::stderr_sink_mt>());
}

void InitLogging(LogLevel level, LogFormat format, spdlog::sink_ptr sink) {
  State() = MakeState(level, format, sink);
  // spdlog's default logger keeps its registry name ("") and shares the sink,
  // so direct spdlog calls come out in the same format and order.
  auto plain = std::make_shared<spdlog::logger>("", std::move(sink));
  plain->set_level(ToSpdlogLevel(level));
  spdlog::set_default_logger(std::move(plain));
}

bool LogEnabled(LogLevel level) { return State().structured->should_log(ToSpdlogLevel(level)); }

void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  const LoggingState& state = State();
  const spdlog::level::level_enum spdlog_level = ToSpdlogLevel(level);
  if (!state.structured->should_log(spdlog_level)) return;
  const std::string line =
      FormatLine(state.format, std::chrono::system_clock::now(), LogLevelName(level), msg, fields);
  state.structured->log(spdlog_level, spdlog::string_view_t(line.data(), line.size()));
}

RateLimitedLog::RateLimitedLog(uint32_t max_lines_per_interval,
                               std::chrono::steady_clock::duration interval, Clock clock)
    : max_lines_per_interval_(max_lines_per_interval),
      interval_(interval),
      clock_(std::move(clock)),
      next_sweep_(clock_() + interval_) {}

void RateLimitedLog::CollectSummary(std::string_view key, const KeyWindow& window,
                                    std::vector<Summary>& out) {
  if (window.suppressed > 0) {
    out.push_back(Summary{std::string(key), window.suppressed, window.suppressed_level});
  }
}

bool RateLimitedLog::Log(std::string_view key, LogLevel level, std::string_view msg,
                         std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return false;
  const auto now = clock_();
  std::vector<Summary> summaries;
  bool write = false;
  {
    std::lock_guard lock(mu_);
    // Sweeping at most once per interval bounds the map to the keys of
    // roughly the last interval, and flushes summaries of keys gone quiet.
    if (now >= next_sweep_) {
      std::erase_if(windows_, [&](const auto& entry) {
        if (now - entry.second.start < interval_) return false;
        CollectSummary(entry.first, entry.second, summaries);
        return true;
      });
      next_sweep_ = now + interval_;
    }
    auto it = windows_.find(key);
    if (it == windows_.end()) {
      it = windows_.emplace(std::string(key), KeyWindow{.start = now}).first;
    } else if (now - it->second.start >= interval_) {
      CollectSummary(key, it->second, summaries);
      it->second = KeyWindow{.start = now};
    }
    KeyWindow& window = it->second;
    if (window.written < max_lines_per_interval_) {
      ++window.written;
      write = true;
    } else {
      ++window.suppressed;
      window.suppressed_level = level;
    }
  }
  // Written outside the lock so a slow sink does not serialise unrelated keys.
  for (const Summary& summary : summaries) {
    kafscale::Log(summary.level, fmt::format("suppressed {} similar messages", summary.suppressed),
                  {{"key", summary.key}});
  }
  if (write) kafscale::Log(level, msg, fields);
  return write;
}

}  // namespace kafscale
