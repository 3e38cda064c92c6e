#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "objectstore/object_store.h"

namespace kafscale {
namespace {

TEST(ObjectBodyTest, PiecesReadBackToBackAcrossEmptyOnes) {
  const std::vector<std::string_view> pieces{"", "abc", "", "", "defg", "h", ""};
  const ObjectBody body{std::span<const std::string_view>(pieces)};
  EXPECT_EQ(body.size(), 8u);
  EXPECT_EQ(body.Flatten(), "abcdefgh");

  ObjectBodyReader reader(body);
  char buffer[8];
  ASSERT_EQ(reader.Read(buffer, 2), 2u);
  EXPECT_EQ(std::string_view(buffer, 2), "ab");
  ASSERT_EQ(reader.Read(buffer, 5), 5u);  // across two pieces
  EXPECT_EQ(std::string_view(buffer, 5), "cdefg");
  EXPECT_EQ(reader.ReadPiece(), "h");
  EXPECT_EQ(reader.ReadPiece(), "");
  EXPECT_EQ(reader.Read(buffer, 8), 0u);
}

TEST(ObjectBodyTest, ReaderSeeksToAnyPositionAndNotPastTheEnd) {
  const std::vector<std::string_view> pieces{"abc", "", "defg"};
  const ObjectBody body{std::span<const std::string_view>(pieces)};
  ObjectBodyReader reader(body);
  char buffer[8];
  reader.Read(buffer, 6);
  for (uint64_t position = 0; position <= body.size(); ++position) {
    ASSERT_TRUE(reader.Seek(position)) << position;
    const size_t n = reader.Read(buffer, sizeof(buffer));
    EXPECT_EQ(std::string_view(buffer, n), std::string_view("abcdefg").substr(position)) << position;
  }
  EXPECT_FALSE(reader.Seek(8));
  EXPECT_EQ(reader.ReadPiece(), "");
}

TEST(ObjectBodyTest, AContiguousBodyIsOnePieceAndIsNotCopied) {
  const std::string bytes = "contiguous";
  const ObjectBody body(bytes);
  ASSERT_EQ(body.pieces().size(), 1u);
  std::string storage;
  EXPECT_EQ(body.Contiguous(&storage).data(), bytes.data());
  ObjectBodyReader reader(body);
  EXPECT_EQ(reader.ReadPiece(4).data(), bytes.data());
  EXPECT_EQ(reader.ReadPiece(), "iguous");
}

}  // namespace
}  // namespace kafscale
