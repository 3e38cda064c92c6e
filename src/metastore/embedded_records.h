// Payload formats of the embedded store's write-ahead log records and
// snapshot file. A log record is everything one call changed, applied in
// order on replay; a snapshot is the whole state at one revision. Integers
// are big-endian; strings are u32 length + bytes. Pure functions, no state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "metastore/metadata_store.h"

namespace kafscale::embedded {

struct LogEntry {
  enum class Kind : uint8_t { kPut = 1, kDelete = 2, kGrantLease = 3, kRevokeLease = 4 };
  Kind kind = Kind::kPut;
  std::string key;          // kPut, kDelete
  std::string value;        // kPut
  LeaseId lease = 0;        // kPut (0 = none), kGrantLease, kRevokeLease
  int64_t ttl_seconds = 0;  // kGrantLease
};

struct LogRecord {
  int64_t revision = 0;  // revision of the record's key changes; 0 if none
  std::vector<LogEntry> entries;
};

std::string EncodeLogRecord(const LogRecord& record);
// Corruption if the payload is malformed.
Result<LogRecord> DecodeLogRecord(std::string_view payload);

struct SnapshotLease {
  LeaseId id = 0;
  int64_t ttl_seconds = 0;
};

struct Snapshot {
  int64_t revision = 0;
  LeaseId next_lease_id = 1;
  uint64_t log_generation = 0;  // the log that continues from this snapshot
  std::vector<SnapshotLease> leases;
  std::vector<KeyValue> kvs;    // in key order
};

// The complete snapshot file: a magic string, then one framed record.
std::string EncodeSnapshotFile(const Snapshot& snapshot);
// Corruption if the file is torn, fails its CRC or is malformed.
Result<Snapshot> DecodeSnapshotFile(std::string_view file);

}  // namespace kafscale::embedded
