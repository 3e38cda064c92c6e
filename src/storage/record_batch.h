// Kafka record batches, format v2 (magic 2): header parsing, produce-time
// validation, base offset patching and record-level decoding/encoding.
//
// Layout (big-endian): base offset i64 @0, batch length i32 @8 (bytes after
// this field), partition leader epoch i32 @12, magic i8 @16, CRC32C u32 @17
// (covers attributes..end), attributes i16 @21, last offset delta i32 @23,
// base timestamp i64 @27, max timestamp i64 @35, producer id i64 @43,
// producer epoch i16 @51, base sequence i32 @53, record count i32 @57,
// records @61.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/compression.h"

namespace kafscale {

inline constexpr size_t kBatchHeaderSize = 61;
// Bytes before the part that batch_length counts (base offset + length).
inline constexpr size_t kBatchLogOverhead = 12;
inline constexpr size_t kBatchCrcOffset = 17;
inline constexpr size_t kBatchAttributesOffset = 21;
inline constexpr int8_t kBatchMagicV2 = 2;
// Default cap on the decompressed size of one batch's records; generous for
// any sane batch, small enough that a decompression bomb cannot exhaust RAM.
inline constexpr size_t kDefaultMaxDecompressedBatchBytes = 256u << 20;

enum class TimestampType { kCreateTime, kLogAppendTime };

struct RecordBatchHeader {
  int64_t base_offset = 0;
  int32_t batch_length = 0;
  int32_t partition_leader_epoch = 0;
  int8_t magic = 0;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;  // first timestamp
  int64_t max_timestamp = 0;
  int64_t producer_id = 0;
  int16_t producer_epoch = 0;
  int32_t base_sequence = 0;
  int32_t record_count = 0;

  // May be an id Kafka does not define; see IsKnownCompressionCodec.
  CompressionCodec compression() const { return static_cast<CompressionCodec>(attributes & 0x7); }
  TimestampType timestamp_type() const {
    return (attributes & 0x8) ? TimestampType::kLogAppendTime : TimestampType::kCreateTime;
  }
  bool is_transactional() const { return (attributes & 0x10) != 0; }
  bool is_control() const { return (attributes & 0x20) != 0; }
  int64_t last_offset() const { return base_offset + last_offset_delta; }
  // Whole batch, including base offset and length fields.
  size_t total_size() const { return kBatchLogOverhead + static_cast<size_t>(batch_length); }
};

// Decodes the 61-byte header at the start of `batch` without validating it.
// Errors: Corruption when fewer than 61 bytes are given.
Status ParseBatchHeader(std::string_view batch, RecordBatchHeader* out);

// The problem classes a Produce handler reports, named after their Kafka
// error codes.
enum class RecordsError {
  kCorruptMessage,  // CORRUPT_MESSAGE: CRC mismatch, truncation, inconsistent sizes, bad magic
  kInvalidRecord,   // INVALID_RECORD: intact bytes whose contents break the rules
};

struct ValidatedBatch {
  size_t position = 0;  // where the batch starts within the validated data
  size_t size = 0;      // whole batch, == header.total_size()
  RecordBatchHeader header;
};

struct RecordsValidation {
  bool ok() const { return !error.has_value(); }

  std::optional<RecordsError> error;
  std::string message;                  // names the batch and the problem when !ok()
  std::vector<ValidatedBatch> batches;  // every batch in order when ok(); unspecified otherwise
};

struct RecordsValidationOptions {
  // Also decompress and decode every record: catches record counts that do
  // not match the records, malformed records and non-sequential offset
  // deltas. Costs a decompression per batch.
  bool decode_records = false;
  size_t max_decompressed_batch_bytes = kDefaultMaxDecompressedBatchBytes;
};

// Splits the records of a produce request into batches and checks each one:
// at least a header, batch_length consistent and inside the data, magic 2,
// CRC32C of attributes..end (all CORRUPT_MESSAGE); a known codec, at least
// one record with last_offset_delta == record_count - 1, control batches only
// when transactional, a producer id on transactional batches and a sequence
// on batches with a producer id (all INVALID_RECORD, as Kafka's broker does).
// Empty data is valid and yields no batches; whether an empty produce is
// acceptable is the caller's decision. Thread-safe; `records` is only read.
RecordsValidation ValidateProduceRecords(std::string_view records,
                                         const RecordsValidationOptions& options = {});

// Overwrites the base offset of the batch starting at `batch` (8 bytes). The
// CRC does not cover it, so the batch stays valid.
void SetBaseOffset(char* batch, int64_t base_offset);

// Reads the base offset of the batch starting at `batch` (8 bytes).
int64_t GetBaseOffset(const char* batch);

// Where a batch sits in stored data (a segment body or a fetched range).
struct BatchLocation {
  size_t position = 0;  // relative to the scanned data
  size_t size = 0;
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int32_t record_count = 0;
};

// Walks back-to-back batches that were validated when written: checks the
// framing (header present, length inside the data, magic 2) but not CRCs,
// which the segment checksum already covers. Appends one location per batch.
// Errors: Corruption naming the position of the first bad batch; *out then
// holds the batches before it. Thread-safe.
Status ScanBatches(std::string_view data, std::vector<BatchLocation>* out);

// Returns Crc32c(batches, crc) for back-to-back batches whose own CRC32Cs
// were checked (at produce, or by VerifyBatchCrc on reading), without reading
// all their bytes: a large batch's checksum is derived from its first 21
// bytes (which its own CRC does not cover) and its stored CRC. Were a batch's
// bytes to differ from its stored CRC, the result would too, so a checksum
// over stored data computed this way still exposes the damage on reading.
// Bytes after the last whole batch are checksummed as they are. Thread-safe;
// never fails, and never reads outside `batches`, whatever they hold.
uint32_t CheckedBatchesCrc32c(std::string_view batches, uint32_t crc = 0);

// Checks the CRC32C (attributes..end, as the producer computed it) of the
// whole batch that starts at data[position], after the framing checks
// ScanBatches makes. For stored batches read without an enclosing checksum,
// e.g. a ranged read of part of an object.
// Errors: Corruption naming the position and the problem. Thread-safe.
Status VerifyBatchCrc(std::string_view data, size_t position);

struct RecordHeader {
  std::string key;
  std::optional<std::string> value;

  bool operator==(const RecordHeader&) const = default;
};

struct Record {
  int32_t offset_delta = 0;
  int64_t timestamp_delta = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<RecordHeader> headers;

  bool operator==(const Record&) const = default;
};

// Decodes every record of one whole batch into *out (replacing its contents),
// decompressing as needed (gzip, raw or xerial snappy, LZ4 frame, zstd).
// Errors: Corruption when the header, length, magic or CRC are bad or the
// records do not decompress; InvalidArgument (maps to INVALID_RECORD) when the
// records are malformed, their number differs from record_count, or they
// decompress to more than max_decompressed_bytes. Thread-safe.
Status DecodeRecords(std::string_view batch, std::vector<Record>* out,
                     size_t max_decompressed_bytes = kDefaultMaxDecompressedBatchBytes);

struct BatchBuilderOptions {
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = -1;
  CompressionCodec compression = CompressionCodec::kNone;
  SnappyFraming snappy_framing = SnappyFraming::kRaw;
  TimestampType timestamp_type = TimestampType::kCreateTime;
  bool transactional = false;
  bool control = false;
  int64_t base_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
};

// Encodes `records` as one v2 batch with a correct CRC, the way a producer
// would; record_count is records.size(), last_offset_delta the last record's
// offset_delta (-1 when empty), max_timestamp the base timestamp plus the
// largest timestamp_delta. Meant for tests and tools. Throws as Compress does.
std::string EncodeBatch(const BatchBuilderOptions& options, const std::vector<Record>& records);

}  // namespace kafscale
