// Uuid: Kafka's 128-bit identifier (topic IDs, directory IDs), carried on the
// wire as 16 raw bytes and shown to people in URL-safe base64 without padding.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kafscale::kafka {

struct Uuid {
  std::array<uint8_t, 16> bytes{};  // big-endian: most significant byte first

  // The all-zero UUID, which Kafka uses for "no ID".
  static constexpr Uuid Zero() { return Uuid{}; }

  // A random version-4 UUID that is neither zero nor 1 (Kafka reserves 1 for
  // the metadata topic) and whose base64 form does not start with '-', since
  // command-line tools would read such an ID as a flag. Thread-safe.
  static Uuid Random();

  // Parses the 22-character form ToBase64 produces; nullopt if malformed.
  static std::optional<Uuid> FromBase64(std::string_view text);

  bool IsZero() const { return *this == Zero(); }

  // Kafka's textual form: URL-safe base64 alphabet, no '=' padding, 22 chars.
  std::string ToBase64() const;

  bool operator==(const Uuid&) const = default;
};

}  // namespace kafscale::kafka
