#include "protocol/wire.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <limits>
#include <utility>

namespace kafscale::kafka {
namespace {

[[noreturn]] void Fail(const char* field, const std::string& what) {
  throw DecodeError(std::string(field) + ": " + what);
}

template <typename T>
T LoadBigEndian(const char* p) {
  using U = std::make_unsigned_t<T>;
  U value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value = static_cast<U>((value << 8) | static_cast<uint8_t>(p[i]));
  return static_cast<T>(value);
}

template <typename T>
void AppendBigEndian(std::string& out, T v) {
  using U = std::make_unsigned_t<T>;
  U value = static_cast<U>(v);
  char bytes[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<char>(value >> (8 * (sizeof(T) - 1 - i)));
  out.append(bytes, sizeof(T));
}

// Unsigned LEB128 of at most max_bytes; the last byte may not carry bits
// beyond the target width.
uint64_t DecodeUnsignedVarint(Reader& r, int width_bits, const char* field) {
  uint64_t value = 0;
  for (int shift = 0; shift < width_bits; shift += 7) {
    auto byte = static_cast<uint8_t>(r.ReadInt8(field));
    uint64_t bits = byte & 0x7f;
    if (width_bits - shift < 7 && (bits >> (width_bits - shift)) != 0) Fail(field, "varint overflows");
    value |= bits << shift;
    if ((byte & 0x80) == 0) return value;
  }
  Fail(field, "varint is too long");
}

}  // namespace

void CheckDecodeVersion(const char* message, int16_t version, int16_t min, int16_t max) {
  if (version < min || version > max) {
    throw DecodeError(std::string(message) + ": unsupported version " + std::to_string(version));
  }
}

void CheckEncodeVersion(const char* message, int16_t version, int16_t min, int16_t max) {
  if (version < min || version > max) {
    throw std::invalid_argument(std::string(message) + ": cannot encode version " +
                                std::to_string(version));
  }
}

// ---- Reader -----------------------------------------------------------------

Reader::Reader(std::shared_ptr<const std::string> owner, std::string_view bytes)
    : owner_(std::move(owner)), data_(bytes) {
  assert(bytes.empty() || (owner_ && bytes.data() >= owner_->data() &&
                           bytes.data() + bytes.size() <= owner_->data() + owner_->size()));
}

Reader::Reader(std::shared_ptr<const std::string> owner)
    : owner_(std::move(owner)), data_(owner_ ? std::string_view(*owner_) : std::string_view()) {}

const char* Reader::Take(size_t n, const char* field) {
  if (n > data_.size()) {
    Fail(field, "truncated: needs " + std::to_string(n) + " bytes, " +
                    std::to_string(data_.size()) + " left");
  }
  const char* p = data_.data();
  data_.remove_prefix(n);
  return p;
}

int8_t Reader::ReadInt8(const char* field) { return static_cast<int8_t>(*Take(1, field)); }
int16_t Reader::ReadInt16(const char* field) { return LoadBigEndian<int16_t>(Take(2, field)); }
int32_t Reader::ReadInt32(const char* field) { return LoadBigEndian<int32_t>(Take(4, field)); }
int64_t Reader::ReadInt64(const char* field) { return LoadBigEndian<int64_t>(Take(8, field)); }
uint16_t Reader::ReadUint16(const char* field) { return LoadBigEndian<uint16_t>(Take(2, field)); }
uint32_t Reader::ReadUint32(const char* field) { return LoadBigEndian<uint32_t>(Take(4, field)); }
double Reader::ReadFloat64(const char* field) {
  return std::bit_cast<double>(LoadBigEndian<uint64_t>(Take(8, field)));
}
bool Reader::ReadBool(const char* field) { return *Take(1, field) != 0; }

Uuid Reader::ReadUuid(const char* field) {
  Uuid id;
  std::memcpy(id.bytes.data(), Take(id.bytes.size(), field), id.bytes.size());
  return id;
}

uint32_t Reader::ReadUnsignedVarint(const char* field) {
  return static_cast<uint32_t>(DecodeUnsignedVarint(*this, 32, field));
}

uint64_t Reader::ReadUnsignedVarlong(const char* field) {
  return DecodeUnsignedVarint(*this, 64, field);
}

int32_t Reader::ReadVarint(const char* field) {
  uint32_t z = ReadUnsignedVarint(field);
  return static_cast<int32_t>((z >> 1) ^ (~(z & 1) + 1));
}

int64_t Reader::ReadVarlong(const char* field) {
  uint64_t z = ReadUnsignedVarlong(field);
  return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
}

int64_t Reader::ReadLength(bool compact, bool int16_length, const char* field) {
  int64_t length;
  if (compact) {
    length = static_cast<int64_t>(ReadUnsignedVarint(field)) - 1;
  } else if (int16_length) {
    length = ReadInt16(field);
  } else {
    length = ReadInt32(field);
  }
  if (length < -1) Fail(field, "negative length " + std::to_string(length));
  return length;
}

std::string_view Reader::ReadSized(bool compact, bool int16_length, bool nullable, bool* is_null,
                                   const char* field) {
  int64_t length = ReadLength(compact, int16_length, field);
  *is_null = length == -1;
  if (*is_null) {
    if (!nullable) Fail(field, "null in a non-nullable field");
    return {};
  }
  return std::string_view(Take(static_cast<size_t>(length), field), static_cast<size_t>(length));
}

std::string Reader::ReadString(bool compact, const char* field) {
  bool is_null;
  return std::string(ReadSized(compact, true, false, &is_null, field));
}

std::optional<std::string> Reader::ReadNullableString(bool compact, const char* field) {
  bool is_null;
  std::string_view bytes = ReadSized(compact, true, true, &is_null, field);
  if (is_null) return std::nullopt;
  return std::string(bytes);
}

std::string Reader::ReadBytes(bool compact, const char* field) {
  bool is_null;
  return std::string(ReadSized(compact, false, false, &is_null, field));
}

std::optional<std::string> Reader::ReadNullableBytes(bool compact, const char* field) {
  bool is_null;
  std::string_view bytes = ReadSized(compact, false, true, &is_null, field);
  if (is_null) return std::nullopt;
  return std::string(bytes);
}

Records Reader::ReadRecords(bool compact, const char* field) {
  bool is_null;
  std::string_view bytes = ReadSized(compact, false, false, &is_null, field);
  Records records;
  if (!bytes.empty()) records.slices.push_back({owner_, bytes});
  return records;
}

std::optional<Records> Reader::ReadNullableRecords(bool compact, const char* field) {
  bool is_null;
  std::string_view bytes = ReadSized(compact, false, true, &is_null, field);
  if (is_null) return std::nullopt;
  Records records;
  if (!bytes.empty()) records.slices.push_back({owner_, bytes});
  return records;
}

int32_t Reader::ReadArrayLength(bool compact, bool nullable, const char* field) {
  int64_t length = ReadLength(compact, false, field);
  if (length == -1) {
    if (!nullable) Fail(field, "null in a non-nullable array");
    return -1;
  }
  if (static_cast<uint64_t>(length) > data_.size()) {
    Fail(field, "array of " + std::to_string(length) + " elements in " +
                    std::to_string(data_.size()) + " bytes");
  }
  return static_cast<int32_t>(length);
}

std::string_view Reader::ReadRaw(size_t n, const char* field) {
  return std::string_view(Take(n, field), n);
}

Reader::TaggedField Reader::ReadTaggedField(const char* context) {
  uint32_t tag = ReadUnsignedVarint(context);
  uint32_t size = ReadUnsignedVarint(context);
  return TaggedField{tag, Reader(owner_, ReadRaw(size, context))};
}

void Reader::ReadUnknownTaggedFields(std::vector<RawTaggedField>& out, const char* context) {
  for (uint32_t n = ReadUnsignedVarint(context); n > 0; --n) {
    out.push_back(ReadTaggedField(context).ToRaw());
  }
}

// ---- Writer -----------------------------------------------------------------

void Writer::WriteInt8(int8_t v) { chunk_.push_back(static_cast<char>(v)); }
void Writer::WriteInt16(int16_t v) { AppendBigEndian(chunk_, v); }
void Writer::WriteInt32(int32_t v) { AppendBigEndian(chunk_, v); }
void Writer::WriteInt64(int64_t v) { AppendBigEndian(chunk_, v); }
void Writer::WriteUint16(uint16_t v) { AppendBigEndian(chunk_, v); }
void Writer::WriteUint32(uint32_t v) { AppendBigEndian(chunk_, v); }
void Writer::WriteFloat64(double v) { AppendBigEndian(chunk_, std::bit_cast<uint64_t>(v)); }
void Writer::WriteBool(bool v) { chunk_.push_back(v ? 1 : 0); }

void Writer::WriteUuid(const Uuid& v) {
  chunk_.append(reinterpret_cast<const char*>(v.bytes.data()), v.bytes.size());
}

void Writer::WriteUnsignedVarint(uint32_t v) { WriteUnsignedVarlong(v); }

void Writer::WriteUnsignedVarlong(uint64_t v) {
  while (v >= 0x80) {
    chunk_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  chunk_.push_back(static_cast<char>(v));
}

void Writer::WriteVarint(int32_t v) {
  WriteUnsignedVarint((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31));
}

void Writer::WriteVarlong(int64_t v) {
  WriteUnsignedVarlong((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

void Writer::WriteLength(int64_t length, bool compact, bool int16_length) {
  int64_t max = compact ? std::numeric_limits<uint32_t>::max() - 1
                        : (int16_length ? std::numeric_limits<int16_t>::max()
                                        : std::numeric_limits<int32_t>::max());
  if (length > max) throw std::length_error("value too long for its length prefix");
  if (compact) {
    WriteUnsignedVarint(static_cast<uint32_t>(length + 1));
  } else if (int16_length) {
    WriteInt16(static_cast<int16_t>(length));
  } else {
    WriteInt32(static_cast<int32_t>(length));
  }
}

void Writer::WriteString(std::string_view v, bool compact) {
  WriteLength(static_cast<int64_t>(v.size()), compact, true);
  chunk_.append(v);
}

void Writer::WriteNullableString(const std::optional<std::string>& v, bool compact) {
  if (v) {
    WriteString(*v, compact);
  } else {
    WriteLength(-1, compact, true);
  }
}

void Writer::WriteBytes(std::string_view v, bool compact) {
  WriteLength(static_cast<int64_t>(v.size()), compact, false);
  chunk_.append(v);
}

void Writer::WriteNullableBytes(const std::optional<std::string>& v, bool compact) {
  if (v) {
    WriteBytes(*v, compact);
  } else {
    WriteLength(-1, compact, false);
  }
}

void Writer::WriteRecords(const Records& v, bool compact) {
  WriteLength(static_cast<int64_t>(v.size()), compact, false);
  bool flushed = false;
  for (const SharedSlice& slice : v.slices) {
    if (slice.bytes.empty()) continue;
    if (!flushed) {
      FlushChunk();
      flushed = true;
    }
    pieces_.push_back(slice);
    finished_size_ += slice.bytes.size();
  }
}

void Writer::WriteNullableRecords(const std::optional<Records>& v, bool compact) {
  if (v) {
    WriteRecords(*v, compact);
  } else {
    WriteLength(-1, compact, false);
  }
}

void Writer::WriteArrayLength(int32_t length, bool compact) { WriteLength(length, compact, false); }

void Writer::WriteRaw(std::string_view bytes) { chunk_.append(bytes); }

void Writer::WriteTaggedFields(std::vector<RawTaggedField> known,
                               const std::vector<RawTaggedField>& unknown) {
  WriteUnsignedVarint(static_cast<uint32_t>(known.size() + unknown.size()));
  auto write = [this](const RawTaggedField& field) {
    WriteUnsignedVarint(field.tag);
    WriteUnsignedVarint(static_cast<uint32_t>(field.data.size()));
    chunk_.append(field.data);
  };
  auto k = known.cbegin();
  auto u = unknown.cbegin();
  while (k != known.cend() || u != unknown.cend()) {
    if (u == unknown.cend() || (k != known.cend() && k->tag <= u->tag)) {
      write(*k++);
    } else {
      write(*u++);
    }
  }
}

void Writer::FlushChunk() {
  if (chunk_.empty()) return;
  auto owned = std::make_shared<const std::string>(std::move(chunk_));
  chunk_ = std::string();
  finished_size_ += owned->size();
  pieces_.push_back({owned, *owned});
}

std::vector<SharedSlice> Writer::Finish() {
  FlushChunk();
  std::vector<SharedSlice> out = std::move(pieces_);
  pieces_.clear();
  finished_size_ = 0;
  return out;
}

std::string Writer::FinishFlat() {
  if (pieces_.empty()) {
    // Common case (no records): hand over the buffer without copying.
    std::string out = std::move(chunk_);
    chunk_ = std::string();
    return out;
  }
  std::string out;
  out.reserve(size());
  for (const SharedSlice& piece : Finish()) out.append(piece.bytes);
  return out;
}

}  // namespace kafscale::kafka
