#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace kafscale {
namespace {

using Implementation = uint32_t (*)(std::string_view, uint32_t);

std::vector<Implementation> AvailableImplementations() {
  std::vector<Implementation> implementations{&Crc32c, &Crc32cPortable};
  if (Crc32cHardwareAvailable()) implementations.push_back(&Crc32cHardware);
  return implementations;
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(random());
  return out;
}

TEST(Crc32cTest, StandardVectors) {
  for (Implementation crc : AvailableImplementations()) {
    EXPECT_EQ(crc("", 0), 0u);
    EXPECT_EQ(crc("123456789", 0), 0xE3069283u);
    EXPECT_EQ(crc(std::string(32, '\0'), 0), 0x8A9136AAu);
    EXPECT_EQ(crc(std::string(32, '\xFF'), 0), 0x62A8AB43u);
    std::string ascending;
    for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
    EXPECT_EQ(crc(ascending, 0), 0x46DD794Eu);
    std::string descending;
    for (int i = 31; i >= 0; --i) descending.push_back(static_cast<char>(i));
    EXPECT_EQ(crc(descending, 0), 0x113FDB5Cu);
  }
}

TEST(Crc32cTest, ExtendsIncrementally) {
  std::string data = RandomBytes(1000, 1);
  for (Implementation crc : AvailableImplementations()) {
    uint32_t whole = crc(data, 0);
    for (size_t split : {0ul, 1ul, 7ul, 8ul, 9ul, 500ul, 999ul, 1000ul}) {
      std::string_view view(data);
      EXPECT_EQ(crc(view.substr(split), crc(view.substr(0, split), 0)), whole) << "split at " << split;
    }
  }
}

TEST(Crc32cTest, HardwareAndPortableAgreeOnRandomData) {
  if (!Crc32cHardwareAvailable()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  for (uint32_t seed = 0; seed < 200; ++seed) {
    std::string data = RandomBytes(seed * 7 + seed % 13, seed);
    // Unaligned starts exercise the 8-byte loads at every alignment.
    for (size_t start = 0; start < std::min<size_t>(8, data.size()); ++start) {
      std::string_view view = std::string_view(data).substr(start);
      ASSERT_EQ(Crc32cHardware(view, seed), Crc32cPortable(view, seed)) << "seed " << seed << " start " << start;
    }
  }
}

// The hardware path runs three streams over 12 KiB stripes and joins them:
// lengths around stripe multiples, and long inputs, must agree too.
TEST(Crc32cTest, HardwareAndPortableAgreeAcrossStripes) {
  if (!Crc32cHardwareAvailable()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  const std::string data = RandomBytes(5 * 12288 + 100, 99);
  for (size_t length : {12287u, 12288u, 12289u, 24576u + 7, 3 * 12288u, 5 * 12288u + 100}) {
    for (uint32_t seed : {0u, 0xFFFFFFFFu, 12345u}) {
      std::string_view view = std::string_view(data).substr(0, length);
      ASSERT_EQ(Crc32cHardware(view, seed), Crc32cPortable(view, seed)) << "length " << length << " seed " << seed;
      ASSERT_EQ(Crc32cHardware(view.substr(3), seed), Crc32cPortable(view.substr(3), seed)) << "length " << length;
    }
  }
}

TEST(Crc32cTest, CombineEqualsTheChecksumOfTheConcatenation) {
  const std::string data = RandomBytes(3 * 12288 + 1000, 7);
  const std::string_view all(data);
  for (size_t length_a : {0u, 1u, 21u, 4096u, 12345u}) {
    for (size_t length_b : {0u, 1u, 7u, 40u, 4096u, 4097u, 12288u, 3 * 12288u + 1000u - 12345u}) {
      std::string_view a = all.substr(0, length_a);
      std::string_view b = all.substr(length_a, length_b);
      ASSERT_EQ(Crc32cCombine(Crc32c(a), Crc32c(b), b.size()), Crc32c(all.substr(0, length_a + b.size())))
          << length_a << " + " << length_b;
    }
  }
}

}  // namespace
}  // namespace kafscale
