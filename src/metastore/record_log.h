// Record framing for the embedded store's write-ahead log and snapshot:
// each record is u32 payload length, u32 CRC32C of (length bytes, payload),
// then the payload; integers big-endian. Covering the length with the CRC
// means a zero-filled region never reads as a valid record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kafscale::embedded {

inline constexpr size_t kRecordHeaderBytes = 8;

// Appends the framed `payload` to *out. Payloads must be non-empty and
// shorter than 4 GiB (callers' records always are).
void AppendFramedRecord(std::string_view payload, std::string* out);

struct ScannedLog {
  // Payloads of the good records, in order; they point into the scanned data.
  std::vector<std::string_view> payloads;
  // Length of the prefix made of good records; a writer resumes there.
  size_t valid_bytes = 0;
  // True when bytes after valid_bytes were dropped as an incomplete write.
  bool torn_tail = false;
};

// Splits `data` into records. A bad record that runs to the end of the data,
// or is followed only by zero bytes, is the torn tail of an interrupted
// write: it is dropped (never acknowledged, since acknowledgement follows
// fsync). A bad record with other bytes after it is Corruption, with its
// offset in the message.
Result<ScannedLog> ScanFramedRecords(std::string_view data);

}  // namespace kafscale::embedded
