#include "common/crc32c.h"

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

namespace {

// The crc32 instruction has a latency of three cycles but accepts one per
// cycle, so the hardware path runs three independent streams over adjacent
// lanes and joins them. CRC states (before the final inversion) are linear:
// the state after lane B begun from state s is Advance(s) ^ (B's state begun
// from 0), where Advance(s) is s carried over kLaneBytes zero bytes.
constexpr size_t kLaneBytes = 4096;

// Advance as four byte-indexed tables: the images of the 32 single-bit states
// combined per byte of the state.
struct LaneAdvance {
  std::array<std::array<uint32_t, 256>, 4> tables;

  uint32_t operator()(uint32_t state) const {
    return tables[0][state & 0xFF] ^ tables[1][(state >> 8) & 0xFF] ^ tables[2][(state >> 16) & 0xFF] ^
           tables[3][state >> 24];
  }
};

__attribute__((target("sse4.2"))) LaneAdvance MakeLaneAdvance() {
  std::array<uint32_t, 32> images;
  for (int bit = 0; bit < 32; ++bit) {
    uint64_t state = uint64_t{1} << bit;
    for (size_t i = 0; i < kLaneBytes / 8; ++i) state = _mm_crc32_u64(state, 0);
    images[bit] = static_cast<uint32_t>(state);
  }
  LaneAdvance advance;
  for (int byte = 0; byte < 4; ++byte) {
    for (uint32_t value = 0; value < 256; ++value) {
      uint32_t image = 0;
      for (int bit = 0; bit < 8; ++bit) {
        if ((value >> bit) & 1) image ^= images[8 * byte + bit];
      }
      advance.tables[byte][value] = image;
    }
  }
  return advance;
}

uint64_t Load64(const unsigned char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  return word;
}

}  // namespace

__attribute__((target("sse4.2"))) uint32_t Crc32cHardware(std::string_view data, uint32_t crc) {
  static const LaneAdvance advance = MakeLaneAdvance();
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t remaining = data.size();
  uint64_t state = static_cast<uint32_t>(~crc);
  while (remaining >= 3 * kLaneBytes) {
    uint64_t a = state, b = 0, c = 0;
    for (size_t i = 0; i < kLaneBytes; i += 8) {
      a = _mm_crc32_u64(a, Load64(p + i));
      b = _mm_crc32_u64(b, Load64(p + kLaneBytes + i));
      c = _mm_crc32_u64(c, Load64(p + 2 * kLaneBytes + i));
    }
    state = advance(advance(static_cast<uint32_t>(a)) ^ static_cast<uint32_t>(b)) ^ static_cast<uint32_t>(c);
    p += 3 * kLaneBytes;
    remaining -= 3 * kLaneBytes;
  }
  while (remaining >= 8) {
    state = _mm_crc32_u64(state, Load64(p));
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

namespace {

// Polynomials over GF(2) modulo the CRC polynomial, in the reflected bit order
// CRC states use: bit 31 is x^0.
uint32_t MultiplyModPolynomial(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t bit = uint32_t{1} << 31; bit != 0; bit >>= 1) {
    if (a & bit) product ^= b;
    b = (b >> 1) ^ ((b & 1) ? kReflectedPolynomial : 0);
  }
  return product;
}

// kSquarings[k] is x^(2^k) modulo the polynomial.
constexpr size_t kMaxSquarings = 67;  // lengths in bytes below 2^64, i.e. bits below 2^67
const std::array<uint32_t, kMaxSquarings>& Squarings() {
  static const std::array<uint32_t, kMaxSquarings> squarings = [] {
    std::array<uint32_t, kMaxSquarings> powers{};
    uint32_t power = uint32_t{1} << 30;  // x^1
    for (uint32_t& entry : powers) {
      entry = power;
      power = MultiplyModPolynomial(power, power);
    }
    return powers;
  }();
  return squarings;
}

}  // namespace

// A CRC state carried over n zero bytes is the state times x^(8n); Crc32c of
// a + b is then Crc32c(a) carried over b's length, xor Crc32c(b) (the
// initial and final inversions cancel out between the two).
uint32_t Crc32cCombine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b) {
  const auto& squarings = Squarings();
  uint32_t shift = uint32_t{1} << 31;  // x^0
  for (size_t k = 3; length_b != 0; length_b >>= 1, ++k) {
    if (length_b & 1) shift = MultiplyModPolynomial(squarings[k], shift);
  }
  return MultiplyModPolynomial(shift, crc_a) ^ crc_b;
}

}  // namespace kafscale
