#include "protocol/uuid.h"

#include <random>

namespace kafscale::kafka {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr size_t kEncodedSize = 22;  // ceil(128 / 6)

int AlphabetIndex(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

Uuid Uuid::Random() {
  // One engine per thread: seeding from random_device on every call is slow,
  // and sharing one engine would need a lock.
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static constexpr Uuid kMetadataTopicId = [] {
    Uuid id;
    id.bytes[15] = 1;
    return id;
  }();
  while (true) {
    Uuid id;
    for (size_t half = 0; half < 2; ++half) {
      uint64_t bits = engine();
      for (size_t i = 0; i < 8; ++i) id.bytes[half * 8 + i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
    }
    id.bytes[6] = static_cast<uint8_t>((id.bytes[6] & 0x0f) | 0x40);  // version 4
    id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3f) | 0x80);  // IETF variant
    if (id != Zero() && id != kMetadataTopicId && id.ToBase64().front() != '-') return id;
  }
}

std::string Uuid::ToBase64() const {
  std::string out;
  out.reserve(kEncodedSize);
  uint32_t buffer = 0;
  int buffered_bits = 0;
  for (uint8_t byte : bytes) {
    buffer = (buffer << 8) | byte;
    buffered_bits += 8;
    while (buffered_bits >= 6) {
      buffered_bits -= 6;
      out.push_back(kAlphabet[(buffer >> buffered_bits) & 0x3f]);
    }
  }
  // 128 bits leave 2 over; pad them with zero bits to a final character.
  out.push_back(kAlphabet[(buffer << (6 - buffered_bits)) & 0x3f]);
  return out;
}

std::optional<Uuid> Uuid::FromBase64(std::string_view text) {
  if (text.size() != kEncodedSize) return std::nullopt;
  Uuid id;
  uint32_t buffer = 0;
  int buffered_bits = 0;
  size_t next = 0;
  for (char c : text) {
    int value = AlphabetIndex(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    buffered_bits += 6;
    if (buffered_bits >= 8) {
      buffered_bits -= 8;
      if (next < id.bytes.size()) id.bytes[next++] = static_cast<uint8_t>(buffer >> buffered_bits);
    }
  }
  // The last character carries 2 data bits; the 4 padding bits must be zero
  // so each UUID has exactly one textual form.
  if ((buffer & ((1u << buffered_bits) - 1)) != 0) return std::nullopt;
  return id;
}

}  // namespace kafscale::kafka
