#include "apps/cli/partitioner.h"

namespace kafscale::cli {

int32_t Murmur2(std::string_view data) {
  constexpr uint32_t kSeed = 0x9747b28c;
  constexpr uint32_t kMultiplier = 0x5bd1e995;
  constexpr int kShift = 24;
  const auto length = static_cast<uint32_t>(data.size());
  uint32_t hash = kSeed ^ length;
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(data[i])); };
  const size_t whole = data.size() / 4 * 4;
  for (size_t i = 0; i < whole; i += 4) {
    uint32_t k = byte(i) | (byte(i + 1) << 8) | (byte(i + 2) << 16) | (byte(i + 3) << 24);
    k *= kMultiplier;
    k ^= k >> kShift;
    k *= kMultiplier;
    hash *= kMultiplier;
    hash ^= k;
  }
  switch (data.size() % 4) {
    case 3: hash ^= byte(whole + 2) << 16; [[fallthrough]];
    case 2: hash ^= byte(whole + 1) << 8; [[fallthrough]];
    case 1:
      hash ^= byte(whole);
      hash *= kMultiplier;
  }
  hash ^= hash >> 13;
  hash *= kMultiplier;
  hash ^= hash >> 15;
  return static_cast<int32_t>(hash);
}

int32_t PartitionForKey(std::string_view key, int32_t partition_count) {
  return (Murmur2(key) & 0x7fffffff) % partition_count;
}

}  // namespace kafscale::cli
