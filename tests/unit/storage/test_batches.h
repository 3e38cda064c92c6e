// Record batches for storage tests.
#pragma once

#include <string>
#include <vector>

#include "storage/record_batch.h"

namespace kafscale::testing {

// `count` records with offset deltas 0..count-1 and a mix of null and
// non-null keys, values and headers.
inline std::vector<Record> SampleRecords(int count) {
  std::vector<Record> records;
  for (int i = 0; i < count; ++i) {
    Record& record = records.emplace_back();
    record.offset_delta = i;
    record.timestamp_delta = i * 3;
    if (i % 3 != 0) record.key = "key-" + std::to_string(i);
    if (i % 5 != 4) record.value = std::string(static_cast<size_t>(i * 11 % 97), static_cast<char>('a' + i % 26));
    if (i % 2 == 0) record.headers.push_back({"h" + std::to_string(i), std::string("v")});
    if (i % 4 == 0) record.headers.push_back({"null-valued", std::nullopt});
  }
  return records;
}

inline std::string SampleBatch(int64_t base_offset, int count,
                               CompressionCodec compression = CompressionCodec::kNone) {
  BatchBuilderOptions options;
  options.base_offset = base_offset;
  options.base_timestamp = 1700000000000 + base_offset;
  options.compression = compression;
  return EncodeBatch(options, SampleRecords(count));
}

// `count` uncompressed records of 1,000-byte values: a batch above the size
// from which CheckedBatchesCrc32c combines checksums instead of reading.
inline std::string LargeBatch(int64_t base_offset, int count) {
  BatchBuilderOptions options;
  options.base_offset = base_offset;
  std::vector<Record> records(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    records[static_cast<size_t>(i)].offset_delta = i;
    records[static_cast<size_t>(i)].value = std::string(1000, static_cast<char>('a' + i % 26));
  }
  return EncodeBatch(options, records);
}

}  // namespace kafscale::testing
