// CPU and memory of this process, from /proc (Linux), for the standard
// process_* metrics.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "metrics/registry.h"

namespace kafscale::metrics {

struct ProcessStats {
  double cpu_seconds = 0;  // user + system
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t threads = 0;
  double start_time_seconds = 0;  // since the Unix epoch; 0 when unknown
};

// Parses the text of /proc/<pid>/stat (utime, stime, num_threads,
// starttime) and /proc/<pid>/statm (size, resident). Clock ticks and page
// size are given so tests can pass fixed values; boot_time_seconds is /proc/stat's btime.
// Corruption when either text does not have the expected fields.
Status ParseProcessStats(std::string_view stat, std::string_view statm, long ticks_per_second, long page_bytes,
                         double boot_time_seconds, ProcessStats* out);

// Reads this process's figures. IOError when /proc cannot be read.
// Thread-safe.
Status ReadProcessStats(ProcessStats* out);

// Appends process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_threads and
// process_start_time_seconds; nothing when /proc cannot be read.
void CollectProcessMetrics(std::vector<FamilySnapshot>& out);

}  // namespace kafscale::metrics
