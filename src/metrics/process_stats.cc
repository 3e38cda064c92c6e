#include "metrics/process_stats.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace kafscale::metrics {

namespace {

// Fields of /proc/<pid>/stat counted from 1 (state is field 3), as proc(5)
// numbers them.
constexpr size_t kStateField = 3;
constexpr size_t kUtimeField = 14;
constexpr size_t kStimeField = 15;
constexpr size_t kThreadsField = 20;
constexpr size_t kStartTimeField = 22;

std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n')) ++pos;
    const size_t start = pos;
    while (pos < text.size() && text[pos] != ' ' && text[pos] != '\n') ++pos;
    if (pos > start) fields.push_back(text.substr(start, pos - start));
  }
  return fields;
}

bool ParseNumber(std::string_view text, uint64_t* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

bool ReadFile(const char* path, std::string* out) {
  std::ifstream file(path);
  if (!file) return false;
  std::ostringstream text;
  text << file.rdbuf();
  *out = text.str();
  return true;
}

double ReadBootTimeSeconds() {
  std::string stat;
  if (!ReadFile("/proc/stat", &stat)) return 0;
  const size_t at = stat.find("\nbtime ");
  if (at == std::string::npos) return 0;
  const size_t start = at + 7;
  uint64_t seconds = 0;
  if (!ParseNumber(std::string_view(stat).substr(start, stat.find('\n', start) - start), &seconds)) return 0;
  return static_cast<double>(seconds);
}

}  // namespace

Status ParseProcessStats(std::string_view stat, std::string_view statm, long ticks_per_second, long page_bytes,
                         double boot_time_seconds, ProcessStats* out) {
  // The command name (field 2) is in parentheses and may hold spaces or ')',
  // so fields are counted from the last ')'.
  const size_t name_end = stat.rfind(')');
  if (name_end == std::string_view::npos) return Status::Corruption("/proc stat has no command name");
  const std::vector<std::string_view> rest = SplitSpaces(stat.substr(name_end + 1));
  auto field = [&](size_t number, uint64_t* value) {
    const size_t index = number - kStateField;
    return index < rest.size() && ParseNumber(rest[index], value);
  };
  uint64_t utime = 0, stime = 0, threads = 0, start_ticks = 0;
  if (!field(kUtimeField, &utime) || !field(kStimeField, &stime) || !field(kThreadsField, &threads) ||
      !field(kStartTimeField, &start_ticks)) {
    return Status::Corruption("/proc stat lacks the cpu, thread or start time fields");
  }
  const std::vector<std::string_view> pages = SplitSpaces(statm);
  uint64_t size_pages = 0, resident_pages = 0;
  if (pages.size() < 2 || !ParseNumber(pages[0], &size_pages) || !ParseNumber(pages[1], &resident_pages)) {
    return Status::Corruption("/proc statm lacks the size and resident fields");
  }
  const double ticks = static_cast<double>(ticks_per_second);
  out->cpu_seconds = static_cast<double>(utime + stime) / ticks;
  out->threads = threads;
  out->start_time_seconds = boot_time_seconds > 0 ? boot_time_seconds + static_cast<double>(start_ticks) / ticks : 0;
  out->virtual_bytes = size_pages * static_cast<uint64_t>(page_bytes);
  out->resident_bytes = resident_pages * static_cast<uint64_t>(page_bytes);
  return Status::OK();
}

Status ReadProcessStats(ProcessStats* out) {
  std::string stat, statm;
  if (!ReadFile("/proc/self/stat", &stat) || !ReadFile("/proc/self/statm", &statm)) {
    return Status::IOError("cannot read /proc/self/stat or /proc/self/statm");
  }
  // The boot time never changes while we run.
  static const double boot_time_seconds = ReadBootTimeSeconds();
  return ParseProcessStats(stat, statm, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), boot_time_seconds, out);
}

void CollectProcessMetrics(std::vector<FamilySnapshot>& out) {
  ProcessStats stats;
  if (!ReadProcessStats(&stats).ok()) return;
  out.push_back(SingleSampleFamily("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                                   MetricType::kCounter, stats.cpu_seconds));
  out.push_back(SingleSampleFamily("process_resident_memory_bytes", "Resident memory size in bytes.",
                                   MetricType::kGauge, static_cast<double>(stats.resident_bytes)));
  out.push_back(SingleSampleFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::kGauge,
                                   static_cast<double>(stats.virtual_bytes)));
  out.push_back(SingleSampleFamily("process_threads", "Number of OS threads in the process.", MetricType::kGauge,
                                   static_cast<double>(stats.threads)));
  if (stats.start_time_seconds > 0) {
    out.push_back(SingleSampleFamily("process_start_time_seconds",
                                     "Start time of the process since unix epoch in seconds.", MetricType::kGauge,
                                     stats.start_time_seconds));
  }
}

}  // namespace kafscale::metrics
