// Hex helpers for protocol tests: captured frames are stored as hex text, and
// failures print bytes as hex so differences are readable.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kafscale::kafka::testing {

inline std::string HexToBytes(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument("bad hex digit");
  };
  if (hex.size() % 2 != 0) throw std::invalid_argument("odd hex length");
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  }
  return out;
}

inline std::shared_ptr<const std::string> SharedHex(std::string_view hex) {
  return std::make_shared<const std::string>(HexToBytes(hex));
}

inline std::string BytesToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

}  // namespace kafscale::kafka::testing
