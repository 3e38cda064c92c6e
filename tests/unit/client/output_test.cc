#include "apps/cli/output.h"

#include <gtest/gtest.h>

#include <sstream>

#include "apps/cli/partitioner.h"
#include "apps/cli/timestamps.h"

namespace kafscale::cli {
namespace {

TEST(OutputTest, TableAlignsColumns) {
  std::ostringstream out;
  RenderTable({"Title", {"topic", "partitions"}, {{"a", "3"}, {"longer-name", "12"}}}, out);
  EXPECT_EQ(out.str(),
            "Title\n"
            "TOPIC        PARTITIONS\n"
            "a            3\n"
            "longer-name  12\n");
}

TEST(OutputTest, EmptyTableSaysNone) {
  std::ostringstream out;
  RenderTable({"", {"group"}, {}}, out);
  EXPECT_EQ(out.str(), "GROUP\n(none)\n");
}

TEST(OutputTest, ResultAsTableOrJson) {
  CommandResult result;
  result.json = {{"topic", "t"}, {"count", 2}};
  result.lines = {"summary"};
  result.tables.push_back({"", {"a"}, {{"1"}}});
  std::ostringstream table;
  PrintResult(result, OutputFormat::kTable, table);
  EXPECT_EQ(table.str(), "summary\n\nA\n1\n");
  std::ostringstream json;
  PrintResult(result, OutputFormat::kJson, json);
  EXPECT_EQ(nlohmann::json::parse(json.str()), result.json);
}

TEST(OutputTest, JsonOfBinaryDataDoesNotThrow) {
  const std::string text = DumpJson(nlohmann::json(std::string("\xff\xfe", 2)));
  EXPECT_EQ(text, "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(OptionalText(std::nullopt), nlohmann::json(nullptr));
}

TEST(TimestampTest, ParsesMillisAndRfc3339) {
  EXPECT_EQ(*ParseTimestamp("1700000000000"), 1700000000000);
  EXPECT_EQ(*ParseTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseTimestamp("2023-11-14T22:13:20.5Z"), 1700000000500);
  EXPECT_EQ(*ParseTimestamp("2023-11-15 00:13:20.123456+02:00"), 1700000000123);
  EXPECT_EQ(*ParseTimestamp("2023-11-14t17:13:20-05:00"), 1700000000000);
  for (const char* bad : {"", "-5", "2023-11-14", "2023-11-14T22:13:20", "2023-02-30T00:00:00Z",
                          "2023-11-14T24:00:00Z", "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20Zjunk"}) {
    EXPECT_FALSE(ParseTimestamp(bad).ok()) << bad;
  }
}

TEST(TimestampTest, FormatsUtcWithMillis) {
  EXPECT_EQ(FormatTimestamp(1700000000500), "2023-11-14T22:13:20.500Z");
  EXPECT_EQ(FormatTimestamp(-1), "-");
  EXPECT_EQ(*ParseTimestamp(FormatTimestamp(1234567890123)), 1234567890123);
}

TEST(PartitionerTest, MatchesKafkaMurmur2) {
  // Values from Kafka's UtilsTest.testMurmur2.
  EXPECT_EQ(Murmur2("21"), -973932308);
  EXPECT_EQ(Murmur2("foobar"), -790332482);
  EXPECT_EQ(Murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(Murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(Murmur2(std::string("abc")), 479470107);
  const int32_t partition = PartitionForKey("foobar", 7);
  EXPECT_EQ(partition, (-790332482 & 0x7fffffff) % 7);
}

}  // namespace
}  // namespace kafscale::cli
