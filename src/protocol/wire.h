// Kafka wire primitives: Reader decodes from a shared request buffer, Writer
// builds a response as a gather list. The generated message codecs in
// protocol/messages/ are written in terms of these two classes.
//
// Encodings (all integers big-endian): "classic" strings have an int16 length
// and bytes/arrays an int32 length, -1 meaning null; "compact" ones (flexible
// versions) have an unsigned varint of length + 1, 0 meaning null.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/records.h"
#include "protocol/uuid.h"

namespace kafscale::kafka {

// Malformed input: truncated, a negative or oversized length, a null where the
// schema forbids one, an over-long varint or an unsupported version. The
// message names the field. The connection that sent it should be closed.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A tagged field this build does not know, kept verbatim so that decoding and
// re-encoding a message loses nothing.
struct RawTaggedField {
  uint32_t tag = 0;
  std::string data;
  bool operator==(const RawTaggedField&) const = default;
};

// Puts `value` back in its default-constructed state; generated Decode
// methods start with it. (Swapping with a fresh object rather than assigning
// a temporary avoids a GCC 12 -O3 -Wmaybe-uninitialized false positive on
// std::optional<std::string> members.)
template <typename T>
void ResetToDefault(T& value) {
  T fresh;
  std::swap(value, fresh);
}

// Throws DecodeError unless min <= version <= max.
void CheckDecodeVersion(const char* message, int16_t version, int16_t min, int16_t max);
// Throws std::invalid_argument unless min <= version <= max.
void CheckEncodeVersion(const char* message, int16_t version, int16_t min, int16_t max);

// Sequential decoder over bytes inside a shared buffer. Every Read* method
// takes the name of the field being read (for error messages), advances past
// what it read, and throws DecodeError on malformed input; after a throw the
// position is unspecified. A Reader is a cheap value (a shared_ptr and a view);
// one instance must not be used from two threads at once.
class Reader {
 public:
  // Reads `bytes`, which must lie inside `*owner`; records decoded from it
  // keep `owner` alive.
  Reader(std::shared_ptr<const std::string> owner, std::string_view bytes);
  // Reads all of `*owner`.
  explicit Reader(std::shared_ptr<const std::string> owner);

  size_t remaining() const { return data_.size(); }
  // The bytes not read yet.
  std::string_view rest() const { return data_; }

  int8_t ReadInt8(const char* field);
  int16_t ReadInt16(const char* field);
  int32_t ReadInt32(const char* field);
  int64_t ReadInt64(const char* field);
  uint16_t ReadUint16(const char* field);
  uint32_t ReadUint32(const char* field);
  double ReadFloat64(const char* field);
  // Any non-zero byte reads as true, as in Kafka.
  bool ReadBool(const char* field);
  Uuid ReadUuid(const char* field);

  // Unsigned LEB128; at most 5 bytes for 32 bits, 10 for 64.
  uint32_t ReadUnsignedVarint(const char* field);
  uint64_t ReadUnsignedVarlong(const char* field);
  // Zig-zag signed forms, as used inside record batches.
  int32_t ReadVarint(const char* field);
  int64_t ReadVarlong(const char* field);

  // The Nullable forms return nullopt for null; the others throw on null.
  std::string ReadString(bool compact, const char* field);
  std::optional<std::string> ReadNullableString(bool compact, const char* field);
  std::string ReadBytes(bool compact, const char* field);
  std::optional<std::string> ReadNullableBytes(bool compact, const char* field);
  // Records point into the owner buffer: no bytes are copied.
  Records ReadRecords(bool compact, const char* field);
  std::optional<Records> ReadNullableRecords(bool compact, const char* field);

  // An array's element count, or -1 for null when `nullable`. Counts above
  // the bytes remaining are rejected: every element takes at least one byte,
  // so a larger count is malformed, and trusting it would let a tiny request
  // make the decoder loop or allocate without bound.
  int32_t ReadArrayLength(bool compact, bool nullable, const char* field);

  // `n` raw bytes, viewed in place.
  std::string_view ReadRaw(size_t n, const char* field);

  struct TaggedField;
  // Reads a tag, a size and that many bytes (the caller reads the count).
  TaggedField ReadTaggedField(const char* context);
  // Reads a whole tagged-field section into `out`, for structs that know no tags.
  void ReadUnknownTaggedFields(std::vector<RawTaggedField>& out, const char* context);

 private:
  // Consumes n bytes or throws naming `field`.
  const char* Take(size_t n, const char* field);
  // The length prefix of a string/bytes/records value; -1 means null.
  int64_t ReadLength(bool compact, bool int16_length, const char* field);
  std::string_view ReadSized(bool compact, bool int16_length, bool nullable, bool* is_null,
                             const char* field);

  std::shared_ptr<const std::string> owner_;
  std::string_view data_;
};

// One entry of a tagged-field section: its tag and a Reader over its value.
struct Reader::TaggedField {
  uint32_t tag;
  Reader value;
  RawTaggedField ToRaw() const { return {tag, std::string(value.rest())}; }
};

// Encoder that accumulates small values in an internal buffer and appends
// record bytes as references to their shared buffers, so a response can be
// sent with one gather write and no copy of the batches. Not thread-safe;
// move-only, since a copy would silently duplicate a half-built message.
class Writer {
 public:
  Writer() = default;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  Writer(Writer&&) = default;
  Writer& operator=(Writer&&) = default;

  void WriteInt8(int8_t v);
  void WriteInt16(int16_t v);
  void WriteInt32(int32_t v);
  void WriteInt64(int64_t v);
  void WriteUint16(uint16_t v);
  void WriteUint32(uint32_t v);
  void WriteFloat64(double v);
  void WriteBool(bool v);
  void WriteUuid(const Uuid& v);

  void WriteUnsignedVarint(uint32_t v);
  void WriteUnsignedVarlong(uint64_t v);
  void WriteVarint(int32_t v);
  void WriteVarlong(int64_t v);

  // Lengths beyond the encoding's range (32767 for classic strings) throw
  // std::length_error: that is a caller bug, not a peer's.
  void WriteString(std::string_view v, bool compact);
  void WriteNullableString(const std::optional<std::string>& v, bool compact);
  void WriteBytes(std::string_view v, bool compact);
  void WriteNullableBytes(const std::optional<std::string>& v, bool compact);
  // Appends the records' slices by reference: the bytes are not copied, and
  // their owners stay alive in the output of Finish().
  void WriteRecords(const Records& v, bool compact);
  void WriteNullableRecords(const std::optional<Records>& v, bool compact);
  // `length` -1 writes null.
  void WriteArrayLength(int32_t length, bool compact);
  void WriteRaw(std::string_view bytes);

  // Writes a tagged-field section: the known fields (sorted by tag) merged
  // with the unknown ones in ascending tag order.
  void WriteTaggedFields(std::vector<RawTaggedField> known,
                         const std::vector<RawTaggedField>& unknown);

  // Bytes written so far.
  size_t size() const { return finished_size_ + chunk_.size(); }

  // The output as pieces in order, then resets the writer to empty.
  std::vector<SharedSlice> Finish();
  // The output as one string (copies records), then resets; for tests and
  // small nested encodings.
  std::string FinishFlat();

 private:
  void WriteLength(int64_t length, bool compact, bool int16_length);
  // Moves the internal buffer into pieces_ as an owned slice.
  void FlushChunk();

  std::string chunk_;
  std::vector<SharedSlice> pieces_;
  size_t finished_size_ = 0;  // bytes in pieces_
};

}  // namespace kafscale::kafka
