#include "storage/record_batch.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "storage/big_endian.h"
#include "common/crc32c.h"

namespace kafscale {

namespace {

// Kafka's varints are zigzag-encoded base-128, least significant group first.
constexpr size_t kMaxVarintBytes = 5;
constexpr size_t kMaxVarlongBytes = 10;

// Reads the fields of one record; every failure is InvalidArgument because
// the bytes around it passed the CRC, so the producer wrote them this way.
class RecordReader {
 public:
  explicit RecordReader(std::string_view data) : data_(data) {}

  bool empty() const { return data_.empty(); }
  size_t remaining() const { return data_.size(); }

  Status ReadVarlong(const char* field, int64_t* out) { return ReadZigZag(field, kMaxVarlongBytes, out); }

  Status ReadVarint(const char* field, int32_t* out) {
    int64_t wide = 0;
    if (Status s = ReadZigZag(field, kMaxVarintBytes, &wide); !s.ok()) return s;
    if (wide < std::numeric_limits<int32_t>::min() || wide > std::numeric_limits<int32_t>::max()) {
      return Malformed(field, "varint out of 32-bit range");
    }
    *out = static_cast<int32_t>(wide);
    return Status::OK();
  }

  Status SkipByte(const char* field) {
    if (data_.empty()) return Malformed(field, "missing");
    data_.remove_prefix(1);
    return Status::OK();
  }

  Status ReadBytes(const char* field, size_t length, std::string_view* out) {
    if (length > data_.size()) {
      return Malformed(field, "length " + std::to_string(length) + " exceeds the " +
                                  std::to_string(data_.size()) + " bytes that remain");
    }
    *out = data_.substr(0, length);
    data_.remove_prefix(length);
    return Status::OK();
  }

  // A varint length followed by that many bytes; length -1 means null.
  Status ReadNullableBytes(const char* field, std::optional<std::string>* out) {
    int32_t length = 0;
    if (Status s = ReadVarint(field, &length); !s.ok()) return s;
    if (length == -1) {
      out->reset();
      return Status::OK();
    }
    if (length < 0) return Malformed(field, "negative length " + std::to_string(length));
    std::string_view bytes;
    if (Status s = ReadBytes(field, static_cast<size_t>(length), &bytes); !s.ok()) return s;
    out->emplace(bytes);
    return Status::OK();
  }

  static Status Malformed(const char* field, const std::string& problem) {
    return Status::InvalidArgument(std::string("malformed record ") + field + ": " + problem);
  }

 private:
  Status ReadZigZag(const char* field, size_t max_bytes, int64_t* out) {
    uint64_t raw = 0;
    for (size_t i = 0;; ++i) {
      if (i == max_bytes) return Malformed(field, "varint too long");
      if (i == data_.size()) return Malformed(field, "truncated varint");
      auto byte = static_cast<unsigned char>(data_[i]);
      raw |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
      if ((byte & 0x80) == 0) {
        data_.remove_prefix(i + 1);
        break;
      }
    }
    *out = static_cast<int64_t>(raw >> 1) ^ -static_cast<int64_t>(raw & 1);
    return Status::OK();
  }

  std::string_view data_;
};

void AppendVarint(std::string* out, int64_t value) {
  uint64_t raw = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  while (raw >= 0x80) {
    out->push_back(static_cast<char>((raw & 0x7F) | 0x80));
    raw >>= 7;
  }
  out->push_back(static_cast<char>(raw));
}

void AppendNullableBytes(std::string* out, const std::optional<std::string>& bytes) {
  if (!bytes) {
    AppendVarint(out, -1);
    return;
  }
  AppendVarint(out, static_cast<int64_t>(bytes->size()));
  *out += *bytes;
}

std::string Where(size_t position) { return "batch at byte " + std::to_string(position) + ": "; }

// Checks that a whole batch starts at data[position]: header present, length
// sane and inside the data, magic 2. Fills *header. Errors are Corruption.
Status CheckFraming(std::string_view data, size_t position, RecordBatchHeader* header) {
  size_t available = data.size() - position;
  if (available < kBatchHeaderSize) {
    return Status::Corruption(Where(position) + "truncated: " + std::to_string(available) +
                              " bytes left, a batch header needs " + std::to_string(kBatchHeaderSize));
  }
  if (Status s = ParseBatchHeader(data.substr(position), header); !s.ok()) return s;
  if (header->batch_length < static_cast<int32_t>(kBatchHeaderSize - kBatchLogOverhead)) {
    return Status::Corruption(Where(position) + "batch_length " + std::to_string(header->batch_length) +
                              " is smaller than the batch header");
  }
  if (header->total_size() > available) {
    return Status::Corruption(Where(position) + "batch_length " + std::to_string(header->batch_length) +
                              " exceeds the " + std::to_string(available - kBatchLogOverhead) +
                              " bytes that remain");
  }
  if (header->magic != kBatchMagicV2) {
    return Status::Corruption(Where(position) + "unsupported magic " + std::to_string(header->magic) +
                              " (only 2 is accepted)");
  }
  return Status::OK();
}

Status CheckCrc(std::string_view batch, const RecordBatchHeader& header, size_t position) {
  uint32_t computed = Crc32c(batch.substr(kBatchAttributesOffset, header.total_size() - kBatchAttributesOffset));
  if (computed != header.crc) {
    return Status::Corruption(
        Where(position) + fmt::format("CRC32C mismatch (stored {:08x}, computed {:08x})", header.crc, computed));
  }
  return Status::OK();
}

// The header rules Kafka's broker applies to batches from producers.
Status CheckHeaderRules(const RecordBatchHeader& header, size_t position) {
  if (!IsKnownCompressionCodec(header.compression())) {
    return Status::InvalidArgument(Where(position) + "unknown compression codec " +
                                   CompressionCodecName(header.compression()));
  }
  if (header.record_count <= 0) {
    return Status::InvalidArgument(Where(position) + "record_count " + std::to_string(header.record_count) +
                                   " (a produced batch needs at least one record)");
  }
  if (header.last_offset_delta != header.record_count - 1) {
    return Status::InvalidArgument(Where(position) + "last_offset_delta " +
                                   std::to_string(header.last_offset_delta) + " does not match record_count " +
                                   std::to_string(header.record_count));
  }
  if (header.is_control() && !header.is_transactional()) {
    return Status::InvalidArgument(Where(position) + "control batch from a non-transactional producer");
  }
  if (header.is_transactional() && header.producer_id < 0) {
    return Status::InvalidArgument(Where(position) + "transactional batch without a producer id");
  }
  if (header.producer_id >= 0 && header.base_sequence < 0) {
    return Status::InvalidArgument(Where(position) + "producer id " + std::to_string(header.producer_id) +
                                   " with negative base_sequence " + std::to_string(header.base_sequence));
  }
  return Status::OK();
}

Status DecodeRecord(RecordReader& reader, Record* record) {
  int32_t length = 0;
  if (Status s = reader.ReadVarint("length", &length); !s.ok()) return s;
  if (length < 0) return RecordReader::Malformed("length", "negative " + std::to_string(length));
  std::string_view body;
  if (Status s = reader.ReadBytes("body", static_cast<size_t>(length), &body); !s.ok()) return s;

  RecordReader fields(body);
  int32_t header_count = 0;
  Status s = fields.SkipByte("attributes");
  if (s.ok()) s = fields.ReadVarlong("timestamp delta", &record->timestamp_delta);
  if (s.ok()) s = fields.ReadVarint("offset delta", &record->offset_delta);
  if (s.ok()) s = fields.ReadNullableBytes("key", &record->key);
  if (s.ok()) s = fields.ReadNullableBytes("value", &record->value);
  if (s.ok()) s = fields.ReadVarint("header count", &header_count);
  if (!s.ok()) return s;
  if (header_count < 0) return RecordReader::Malformed("header count", "negative " + std::to_string(header_count));
  // Each header takes at least two bytes, which bounds the reservation.
  record->headers.reserve(std::min<size_t>(static_cast<size_t>(header_count), fields.remaining() / 2));
  for (int32_t i = 0; i < header_count; ++i) {
    RecordHeader& header = record->headers.emplace_back();
    std::optional<std::string> key;
    if (s = fields.ReadNullableBytes("header key", &key); !s.ok()) return s;
    if (!key) return RecordReader::Malformed("header key", "null");
    header.key = std::move(*key);
    if (s = fields.ReadNullableBytes("header value", &header.value); !s.ok()) return s;
  }
  if (!fields.empty()) {
    return RecordReader::Malformed("body", std::to_string(fields.remaining()) + " bytes left after the headers");
  }
  return Status::OK();
}

Status DecodeCheckedRecords(std::string_view batch, const RecordBatchHeader& header, std::vector<Record>* out,
                            size_t max_decompressed_bytes) {
  out->clear();
  std::string_view records = batch.substr(kBatchHeaderSize, header.total_size() - kBatchHeaderSize);
  std::string decompressed;
  if (header.compression() != CompressionCodec::kNone) {
    if (Status s = Decompress(header.compression(), records, max_decompressed_bytes, &decompressed); !s.ok()) {
      return s;
    }
    records = decompressed;
  }
  RecordReader reader(records);
  size_t expected = header.record_count > 0 ? static_cast<size_t>(header.record_count) : 0;
  // Each record takes at least 7 bytes, which bounds the reservation against
  // a lying record_count.
  out->reserve(std::min(expected, records.size() / 7));
  while (!reader.empty()) {
    if (out->size() == expected) {
      return Status::InvalidArgument("record count mismatch: record_count is " + std::to_string(header.record_count) +
                                     " but more records follow");
    }
    if (Status s = DecodeRecord(reader, &out->emplace_back()); !s.ok()) {
      return Status::InvalidArgument("record " + std::to_string(out->size() - 1) + ": " + s.message());
    }
  }
  if (out->size() != expected || header.record_count < 0) {
    return Status::InvalidArgument("record count mismatch: record_count is " + std::to_string(header.record_count) +
                                   " but the batch holds " + std::to_string(out->size()) + " records");
  }
  return Status::OK();
}

// Deep check of one batch: its records decode, match the count, and carry
// offset deltas 0, 1, 2, ... as a producer assigns them.
Status CheckRecords(std::string_view batch, const RecordBatchHeader& header, size_t position,
                    size_t max_decompressed_bytes) {
  std::vector<Record> records;
  Status s = DecodeCheckedRecords(batch, header, &records, max_decompressed_bytes);
  if (!s.ok()) {
    return s.IsCorruption() ? Status::Corruption(Where(position) + s.message())
                            : Status::InvalidArgument(Where(position) + s.message());
  }
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].offset_delta != static_cast<int32_t>(i)) {
      return Status::InvalidArgument(Where(position) + "record " + std::to_string(i) + " has offset delta " +
                                     std::to_string(records[i].offset_delta));
    }
  }
  return Status::OK();
}

// One batch of a produce request: Corruption maps to CORRUPT_MESSAGE,
// InvalidArgument to INVALID_RECORD.
Status ValidateProducedBatch(std::string_view records, size_t position, const RecordsValidationOptions& options,
                             ValidatedBatch* batch) {
  batch->position = position;
  if (Status s = CheckFraming(records, position, &batch->header); !s.ok()) return s;
  batch->size = batch->header.total_size();
  std::string_view bytes = records.substr(position, batch->size);
  if (Status s = CheckCrc(bytes, batch->header, position); !s.ok()) return s;
  if (Status s = CheckHeaderRules(batch->header, position); !s.ok()) return s;
  if (!options.decode_records) return Status::OK();
  return CheckRecords(bytes, batch->header, position, options.max_decompressed_batch_bytes);
}

}  // namespace

Status ParseBatchHeader(std::string_view batch, RecordBatchHeader* out) {
  if (batch.size() < kBatchHeaderSize) {
    return Status::Corruption("batch header truncated: " + std::to_string(batch.size()) + " of " +
                              std::to_string(kBatchHeaderSize) + " bytes");
  }
  const char* p = batch.data();
  out->base_offset = LoadBigEndian<int64_t>(p);
  out->batch_length = LoadBigEndian<int32_t>(p + 8);
  out->partition_leader_epoch = LoadBigEndian<int32_t>(p + 12);
  out->magic = LoadBigEndian<int8_t>(p + 16);
  out->crc = LoadBigEndian<uint32_t>(p + kBatchCrcOffset);
  out->attributes = LoadBigEndian<int16_t>(p + kBatchAttributesOffset);
  out->last_offset_delta = LoadBigEndian<int32_t>(p + 23);
  out->base_timestamp = LoadBigEndian<int64_t>(p + 27);
  out->max_timestamp = LoadBigEndian<int64_t>(p + 35);
  out->producer_id = LoadBigEndian<int64_t>(p + 43);
  out->producer_epoch = LoadBigEndian<int16_t>(p + 51);
  out->base_sequence = LoadBigEndian<int32_t>(p + 53);
  out->record_count = LoadBigEndian<int32_t>(p + 57);
  return Status::OK();
}

RecordsValidation ValidateProduceRecords(std::string_view records, const RecordsValidationOptions& options) {
  RecordsValidation result;
  size_t position = 0;
  while (position < records.size()) {
    ValidatedBatch& batch = result.batches.emplace_back();
    if (Status s = ValidateProducedBatch(records, position, options, &batch); !s.ok()) {
      result.error = s.IsCorruption() ? RecordsError::kCorruptMessage : RecordsError::kInvalidRecord;
      result.message = s.message();
      return result;
    }
    position += batch.size;
  }
  return result;
}

void SetBaseOffset(char* batch, int64_t base_offset) { StoreBigEndian(batch, base_offset); }

int64_t GetBaseOffset(const char* batch) { return LoadBigEndian<int64_t>(batch); }

uint32_t CheckedBatchesCrc32c(std::string_view batches, uint32_t crc) {
  // Below this size reading the batch is cheaper than combining checksums.
  constexpr size_t kCombineFromBytes = 4096;
  size_t checksummed = 0;  // batches[..checksummed) is in crc
  size_t position = 0;
  while (batches.size() - position >= kBatchHeaderSize) {
    auto length = LoadBigEndian<int32_t>(batches.data() + position + 8);
    if (length < 0 || static_cast<size_t>(length) > batches.size() - position - kBatchLogOverhead) break;
    size_t size = kBatchLogOverhead + static_cast<size_t>(length);
    if (size >= kCombineFromBytes) {
      crc = Crc32c(batches.substr(checksummed, position + kBatchAttributesOffset - checksummed), crc);
      crc = Crc32cCombine(crc, LoadBigEndian<uint32_t>(batches.data() + position + kBatchCrcOffset),
                          size - kBatchAttributesOffset);
      checksummed = position + size;
    }
    position += size;
  }
  return Crc32c(batches.substr(checksummed), crc);
}

Status ScanBatches(std::string_view data, std::vector<BatchLocation>* out) {
  size_t position = 0;
  while (position < data.size()) {
    RecordBatchHeader header;
    if (Status s = CheckFraming(data, position, &header); !s.ok()) return s;
    out->push_back({position, header.total_size(), header.base_offset, header.last_offset(), header.record_count});
    position += header.total_size();
  }
  return Status::OK();
}

Status VerifyBatchCrc(std::string_view data, size_t position) {
  if (position > data.size()) {
    return Status::Corruption(Where(position) + "past the end of the " + std::to_string(data.size()) + " bytes");
  }
  RecordBatchHeader header;
  if (Status s = CheckFraming(data, position, &header); !s.ok()) return s;
  return CheckCrc(data.substr(position, header.total_size()), header, position);
}

Status DecodeRecords(std::string_view batch, std::vector<Record>* out, size_t max_decompressed_bytes) {
  out->clear();
  RecordBatchHeader header;
  if (Status s = CheckFraming(batch, 0, &header); !s.ok()) return s;
  if (Status s = CheckCrc(batch, header, 0); !s.ok()) return s;
  return DecodeCheckedRecords(batch, header, out, max_decompressed_bytes);
}

std::string EncodeBatch(const BatchBuilderOptions& options, const std::vector<Record>& records) {
  std::string encoded_records;
  std::string body;
  int64_t max_timestamp_delta = 0;
  for (const Record& record : records) {
    body.clear();
    body.push_back(0);  // record attributes: unused
    AppendVarint(&body, record.timestamp_delta);
    AppendVarint(&body, record.offset_delta);
    AppendNullableBytes(&body, record.key);
    AppendNullableBytes(&body, record.value);
    AppendVarint(&body, static_cast<int64_t>(record.headers.size()));
    for (const RecordHeader& header : record.headers) {
      AppendNullableBytes(&body, header.key);
      AppendNullableBytes(&body, header.value);
    }
    AppendVarint(&encoded_records, static_cast<int64_t>(body.size()));
    encoded_records += body;
    max_timestamp_delta = std::max(max_timestamp_delta, record.timestamp_delta);
  }
  std::string payload = Compress(options.compression, encoded_records, options.snappy_framing);

  int16_t attributes = static_cast<int16_t>(options.compression);
  if (options.timestamp_type == TimestampType::kLogAppendTime) attributes |= 0x8;
  if (options.transactional) attributes |= 0x10;
  if (options.control) attributes |= 0x20;

  std::string batch;
  batch.reserve(kBatchHeaderSize + payload.size());
  AppendBigEndian(&batch, options.base_offset);
  AppendBigEndian(&batch, static_cast<int32_t>(kBatchHeaderSize - kBatchLogOverhead + payload.size()));
  AppendBigEndian(&batch, options.partition_leader_epoch);
  AppendBigEndian(&batch, kBatchMagicV2);
  AppendBigEndian(&batch, uint32_t{0});  // CRC, filled in below
  AppendBigEndian(&batch, attributes);
  AppendBigEndian(&batch, records.empty() ? int32_t{-1} : records.back().offset_delta);
  AppendBigEndian(&batch, options.base_timestamp);
  AppendBigEndian(&batch, options.base_timestamp + max_timestamp_delta);
  AppendBigEndian(&batch, options.producer_id);
  AppendBigEndian(&batch, options.producer_epoch);
  AppendBigEndian(&batch, options.base_sequence);
  AppendBigEndian(&batch, static_cast<int32_t>(records.size()));
  batch += payload;
  StoreBigEndian(batch.data() + kBatchCrcOffset, Crc32c(std::string_view(batch).substr(kBatchAttributesOffset)));
  return batch;
}

}  // namespace kafscale
