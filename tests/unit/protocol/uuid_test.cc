#include "protocol/uuid.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace kafscale::kafka {
namespace {

TEST(UuidTest, DefaultIsZero) {
  EXPECT_TRUE(Uuid().IsZero());
  EXPECT_EQ(Uuid(), Uuid::Zero());
  EXPECT_EQ(Uuid::Zero().ToBase64(), "AAAAAAAAAAAAAAAAAAAAAA");
}

TEST(UuidTest, Base64IsUrlSafeWithoutPadding) {
  Uuid id;
  id.bytes.fill(0xff);
  EXPECT_EQ(id.ToBase64(), "_____________________w");
  // Kafka's well-known metadata topic ID: 1 in the low bits.
  Uuid one;
  one.bytes[15] = 1;
  EXPECT_EQ(one.ToBase64(), "AAAAAAAAAAAAAAAAAAAAAQ");
  Uuid mixed;
  for (size_t i = 0; i < mixed.bytes.size(); ++i) mixed.bytes[i] = static_cast<uint8_t>(0xf8 + i);
  std::string text = mixed.ToBase64();
  EXPECT_EQ(text.size(), 22u);
  EXPECT_EQ(text.find_first_of("+/="), std::string::npos);
}

TEST(UuidTest, FromBase64InvertsToBase64) {
  for (int i = 0; i < 100; ++i) {
    Uuid id = Uuid::Random();
    EXPECT_EQ(Uuid::FromBase64(id.ToBase64()), id);
  }
  EXPECT_EQ(Uuid::FromBase64("AAAAAAAAAAAAAAAAAAAAAQ")->bytes[15], 1);
}

TEST(UuidTest, FromBase64RejectsMalformedText) {
  EXPECT_FALSE(Uuid::FromBase64(""));
  EXPECT_FALSE(Uuid::FromBase64("AAAAAAAAAAAAAAAAAAAAA"));     // 21 chars
  EXPECT_FALSE(Uuid::FromBase64("AAAAAAAAAAAAAAAAAAAAAAA"));   // 23 chars
  EXPECT_FALSE(Uuid::FromBase64("AAAAAAAAAAAAAAAAAAAAA+"));    // not URL-safe
  EXPECT_FALSE(Uuid::FromBase64("AAAAAAAAAAAAAAAAAAAAAB"));    // padding bits set
}

TEST(UuidTest, RandomIsVersion4AndAvoidsReservedValues) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    Uuid id = Uuid::Random();
    EXPECT_FALSE(id.IsZero());
    EXPECT_EQ(id.bytes[6] >> 4, 4);
    EXPECT_EQ(id.bytes[8] >> 6, 2);
    std::string text = id.ToBase64();
    EXPECT_NE(text.front(), '-');
    seen.insert(text);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace kafscale::kafka
