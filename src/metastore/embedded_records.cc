#include "metastore/embedded_records.h"

#include "metastore/record_log.h"

namespace kafscale::embedded {

namespace {

constexpr std::string_view kSnapshotMagic = "KSMETA\x01\n";
constexpr uint8_t kLogRecordFormat = 1;

class Writer {
 public:
  void U8(uint8_t value) { out_.push_back(static_cast<char>(value)); }
  void U32(uint32_t value) { Big(value, 4); }
  void I64(int64_t value) { Big(static_cast<uint64_t>(value), 8); }
  void Bytes(std::string_view bytes) {
    U32(static_cast<uint32_t>(bytes.size()));
    out_.append(bytes);
  }
  std::string Take() { return std::move(out_); }

 private:
  void Big(uint64_t value, int width) {
    for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) {
      out_.push_back(static_cast<char>((value >> shift) & 0xFF));
    }
  }
  std::string out_;
};

// Reads fields in order; after the first underflow every read fails, so
// callers check ok() once at the end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  uint8_t U8() { return static_cast<uint8_t>(Big(1)); }
  uint32_t U32() { return static_cast<uint32_t>(Big(4)); }
  int64_t I64() { return static_cast<int64_t>(Big(8)); }
  std::string Bytes() {
    uint32_t length = U32();
    if (!ok_ || length > data_.size()) {
      ok_ = false;
      return {};
    }
    std::string bytes(data_.substr(0, length));
    data_.remove_prefix(length);
    return bytes;
  }
  // Element counts are checked against the bytes left (each element takes
  // at least one byte) so a corrupt count cannot trigger a huge allocation.
  uint32_t Count() {
    uint32_t count = U32();
    if (count > data_.size()) ok_ = false;
    return ok_ ? count : 0;
  }
  bool ok() const { return ok_; }
  bool AtEnd() const { return data_.empty(); }

 private:
  uint64_t Big(size_t width) {
    if (!ok_ || data_.size() < width) {
      ok_ = false;
      return 0;
    }
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) value = (value << 8) | static_cast<uint8_t>(data_[i]);
    data_.remove_prefix(width);
    return value;
  }
  std::string_view data_;
  bool ok_ = true;
};

bool ValidKind(uint8_t kind) {
  return kind >= static_cast<uint8_t>(LogEntry::Kind::kPut) &&
         kind <= static_cast<uint8_t>(LogEntry::Kind::kRevokeLease);
}

}  // namespace

std::string EncodeLogRecord(const LogRecord& record) {
  Writer writer;
  writer.U8(kLogRecordFormat);
  writer.I64(record.revision);
  writer.U32(static_cast<uint32_t>(record.entries.size()));
  for (const LogEntry& entry : record.entries) {
    writer.U8(static_cast<uint8_t>(entry.kind));
    switch (entry.kind) {
      case LogEntry::Kind::kPut:
        writer.Bytes(entry.key);
        writer.Bytes(entry.value);
        writer.I64(entry.lease);
        break;
      case LogEntry::Kind::kDelete:
        writer.Bytes(entry.key);
        break;
      case LogEntry::Kind::kGrantLease:
        writer.I64(entry.lease);
        writer.I64(entry.ttl_seconds);
        break;
      case LogEntry::Kind::kRevokeLease:
        writer.I64(entry.lease);
        break;
    }
  }
  return writer.Take();
}

Result<LogRecord> DecodeLogRecord(std::string_view payload) {
  Reader reader(payload);
  if (reader.U8() != kLogRecordFormat) return Status::Corruption("unknown log record format");
  LogRecord record;
  record.revision = reader.I64();
  uint32_t count = reader.Count();
  record.entries.reserve(count);
  for (uint32_t i = 0; i < count && reader.ok(); ++i) {
    uint8_t kind = reader.U8();
    if (!ValidKind(kind)) return Status::Corruption("unknown log entry kind");
    LogEntry& entry = record.entries.emplace_back();
    entry.kind = static_cast<LogEntry::Kind>(kind);
    switch (entry.kind) {
      case LogEntry::Kind::kPut:
        entry.key = reader.Bytes();
        entry.value = reader.Bytes();
        entry.lease = reader.I64();
        break;
      case LogEntry::Kind::kDelete:
        entry.key = reader.Bytes();
        break;
      case LogEntry::Kind::kGrantLease:
        entry.lease = reader.I64();
        entry.ttl_seconds = reader.I64();
        break;
      case LogEntry::Kind::kRevokeLease:
        entry.lease = reader.I64();
        break;
    }
  }
  if (!reader.ok() || !reader.AtEnd()) return Status::Corruption("malformed log record");
  return record;
}

std::string EncodeSnapshotFile(const Snapshot& snapshot) {
  Writer writer;
  writer.I64(snapshot.revision);
  writer.I64(snapshot.next_lease_id);
  writer.I64(static_cast<int64_t>(snapshot.log_generation));
  writer.U32(static_cast<uint32_t>(snapshot.leases.size()));
  for (const SnapshotLease& lease : snapshot.leases) {
    writer.I64(lease.id);
    writer.I64(lease.ttl_seconds);
  }
  writer.U32(static_cast<uint32_t>(snapshot.kvs.size()));
  for (const KeyValue& kv : snapshot.kvs) {
    writer.Bytes(kv.key);
    writer.Bytes(kv.value);
    writer.I64(kv.create_revision);
    writer.I64(kv.mod_revision);
    writer.I64(kv.version);
    writer.I64(kv.lease);
  }
  std::string file(kSnapshotMagic);
  AppendFramedRecord(writer.Take(), &file);
  return file;
}

Result<Snapshot> DecodeSnapshotFile(std::string_view file) {
  if (file.substr(0, kSnapshotMagic.size()) != kSnapshotMagic) {
    return Status::Corruption("snapshot has a bad magic string");
  }
  Result<ScannedLog> scanned = ScanFramedRecords(file.substr(kSnapshotMagic.size()));
  if (!scanned.ok()) return scanned.status();
  if (scanned->torn_tail || scanned->payloads.size() != 1) {
    return Status::Corruption("snapshot is truncated or fails its checksum");
  }
  Reader reader(scanned->payloads.front());
  Snapshot snapshot;
  snapshot.revision = reader.I64();
  snapshot.next_lease_id = reader.I64();
  snapshot.log_generation = static_cast<uint64_t>(reader.I64());
  uint32_t lease_count = reader.Count();
  snapshot.leases.reserve(lease_count);
  for (uint32_t i = 0; i < lease_count && reader.ok(); ++i) {
    SnapshotLease& lease = snapshot.leases.emplace_back();
    lease.id = reader.I64();
    lease.ttl_seconds = reader.I64();
  }
  uint32_t kv_count = reader.Count();
  snapshot.kvs.reserve(kv_count);
  for (uint32_t i = 0; i < kv_count && reader.ok(); ++i) {
    KeyValue& kv = snapshot.kvs.emplace_back();
    kv.key = reader.Bytes();
    kv.value = reader.Bytes();
    kv.create_revision = reader.I64();
    kv.mod_revision = reader.I64();
    kv.version = reader.I64();
    kv.lease = reader.I64();
  }
  if (!reader.ok() || !reader.AtEnd()) return Status::Corruption("malformed snapshot");
  return snapshot;
}

}  // namespace kafscale::embedded
