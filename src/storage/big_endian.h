// Big-endian integer access for the on-disk and on-wire formats (Kafka record
// batches, KafScale segments and indexes are all big-endian).
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>

namespace kafscale {

// Reads sizeof(T) bytes at p. The caller guarantees they exist.
template <typename T>
T LoadBigEndian(const char* p) {
  static_assert(std::is_integral_v<T>);
  using Unsigned = std::make_unsigned_t<T>;
  Unsigned value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    value = static_cast<Unsigned>((value << 8) | static_cast<unsigned char>(p[i]));
  }
  return static_cast<T>(value);
}

// Writes sizeof(T) bytes at p. The caller guarantees room for them.
template <typename T>
void StoreBigEndian(char* p, T value) {
  static_assert(std::is_integral_v<T>);
  auto bits = static_cast<std::make_unsigned_t<T>>(value);
  for (size_t i = sizeof(T); i-- > 0;) {
    p[i] = static_cast<char>(bits & 0xFF);
    bits = static_cast<decltype(bits)>(bits >> 8);
  }
}

template <typename T>
void AppendBigEndian(std::string* out, T value) {
  char bytes[sizeof(T)];
  StoreBigEndian(bytes, value);
  out->append(bytes, sizeof(T));
}

}  // namespace kafscale
