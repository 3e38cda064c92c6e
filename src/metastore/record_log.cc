#include "metastore/record_log.h"

#include "common/crc32c.h"

namespace kafscale::embedded {

namespace {

void AppendU32(uint32_t value, std::string* out) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>((value >> shift) & 0xFF));
}

uint32_t ReadU32(std::string_view data) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<uint8_t>(data[i]);
  return value;
}

bool AllZero(std::string_view data) {
  for (char c : data) {
    if (c != 0) return false;
  }
  return true;
}

}  // namespace

void AppendFramedRecord(std::string_view payload, std::string* out) {
  std::string length_bytes;
  AppendU32(static_cast<uint32_t>(payload.size()), &length_bytes);
  out->append(length_bytes);
  AppendU32(Crc32c(payload, Crc32c(length_bytes)), out);
  out->append(payload);
}

Result<ScannedLog> ScanFramedRecords(std::string_view data) {
  ScannedLog scanned;
  size_t offset = 0;
  while (offset < data.size()) {
    std::string_view rest = data.substr(offset);
    bool good = false;
    size_t record_end = data.size();
    if (rest.size() >= kRecordHeaderBytes) {
      uint32_t length = ReadU32(rest);
      if (length > 0 && length <= rest.size() - kRecordHeaderBytes) {
        record_end = offset + kRecordHeaderBytes + length;
        std::string_view payload = rest.substr(kRecordHeaderBytes, length);
        good = Crc32c(payload, Crc32c(rest.substr(0, 4))) == ReadU32(rest.substr(4));
        if (good) scanned.payloads.push_back(payload);
      }
    }
    if (!good) {
      if (record_end < data.size() && !AllZero(data.substr(record_end))) {
        return Status::Corruption("bad record at byte " + std::to_string(offset) + " of " +
                                  std::to_string(data.size()) + " followed by more data");
      }
      scanned.torn_tail = true;
      break;
    }
    offset = record_end;
    scanned.valid_bytes = offset;
  }
  return scanned;
}

}  // namespace kafscale::embedded
