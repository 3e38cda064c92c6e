#include "storage/crc32c.h"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace kafscale {

namespace {

constexpr uint32_t kReflectedPolynomial = 0x82F63B78;

// Slicing-by-8 tables: kTables[k][b] is the CRC of byte b followed by k zero
// bytes, which lets the portable path consume 8 bytes per step.
using CrcTables = std::array<std::array<uint32_t, 256>, 8>;

constexpr CrcTables MakeTables() {
  CrcTables tables{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kReflectedPolynomial : 0);
    tables[0][byte] = crc;
  }
  for (size_t k = 1; k < tables.size(); ++k) {
    for (uint32_t byte = 0; byte < 256; ++byte) {
      uint32_t previous = tables[k - 1][byte];
      tables[k][byte] = (previous >> 8) ^ tables[0][previous & 0xFF];
    }
  }
  return tables;
}

constexpr CrcTables kTables = MakeTables();

uint64_t LoadLittleEndian64(const unsigned char* p) {
  uint64_t value;
  std::memcpy(&value, p, sizeof(value));
  if constexpr (std::endian::native == std::endian::big) value = __builtin_bswap64(value);
  return value;
}

}  // namespace

uint32_t Crc32cPortable(std::string_view data, uint32_t crc) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t remaining = data.size();
  uint32_t state = ~crc;
  while (remaining >= 8) {
    uint64_t word = LoadLittleEndian64(p) ^ state;
    state = kTables[7][word & 0xFF] ^ kTables[6][(word >> 8) & 0xFF] ^
            kTables[5][(word >> 16) & 0xFF] ^ kTables[4][(word >> 24) & 0xFF] ^
            kTables[3][(word >> 32) & 0xFF] ^ kTables[2][(word >> 40) & 0xFF] ^
            kTables[1][(word >> 48) & 0xFF] ^ kTables[0][word >> 56];
    p += 8;
    remaining -= 8;
  }
  while (remaining-- > 0) state = (state >> 8) ^ kTables[0][(state ^ *p++) & 0xFF];
  return ~state;
}

#if defined(__x86_64__)

__attribute__((target("sse4.2"))) uint32_t Crc32cHardware(std::string_view data, uint32_t crc) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t remaining = data.size();
  uint64_t state = static_cast<uint32_t>(~crc);
  while (remaining >= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof(word));
    state = _mm_crc32_u64(state, word);
    p += 8;
    remaining -= 8;
  }
  auto state32 = static_cast<uint32_t>(state);
  while (remaining-- > 0) state32 = _mm_crc32_u8(state32, *p++);
  return ~state32;
}

bool Crc32cHardwareAvailable() {
  static const bool available = __builtin_cpu_supports("sse4.2");
  return available;
}

#else

// Without x86 there is no hardware path; the portable one stands in so the
// interface stays the same.
uint32_t Crc32cHardware(std::string_view data, uint32_t crc) { return Crc32cPortable(data, crc); }
bool Crc32cHardwareAvailable() { return false; }

#endif

uint32_t Crc32c(std::string_view data, uint32_t crc) {
  return Crc32cHardwareAvailable() ? Crc32cHardware(data, crc) : Crc32cPortable(data, crc);
}

}  // namespace kafscale
