#include "metastore/etcd/json_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kafscale::etcd {
namespace {

std::vector<std::string> Drain(JsonObjectStream& stream) {
  std::vector<std::string> objects;
  std::string object;
  while (stream.Next(&object)) objects.push_back(object);
  return objects;
}

TEST(JsonObjectStreamTest, SeveralObjectsInOneChunk) {
  JsonObjectStream stream;
  stream.Feed("{\"result\":{\"created\":true}}\n{\"result\":{\"events\":[{\"kv\":{}},{\"kv\":{}}]}}\n{\"a\":1}");
  EXPECT_EQ(Drain(stream), (std::vector<std::string>{"{\"result\":{\"created\":true}}",
                                                     "{\"result\":{\"events\":[{\"kv\":{}},{\"kv\":{}}]}}",
                                                     "{\"a\":1}"}));
  EXPECT_EQ(stream.buffered(), 0u);
}

TEST(JsonObjectStreamTest, ObjectCutAtEveryPosition) {
  const std::string message = R"({"result":{"header":{"revision":"7"},"events":[{"kv":{"key":"e30=","value":"fQ=="}}]}})";
  const std::string text = message + "\n" + message + "\n";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    JsonObjectStream stream;
    stream.Feed(std::string_view(text).substr(0, cut));
    std::vector<std::string> objects = Drain(stream);
    stream.Feed(std::string_view(text).substr(cut));
    for (std::string& object : Drain(stream)) objects.push_back(std::move(object));
    EXPECT_EQ(objects, (std::vector<std::string>{message, message})) << "cut at " << cut;
  }
}

TEST(JsonObjectStreamTest, ByteByByteFeeding) {
  const std::string text = "{\"a\":\"}\"}{\"b\":[1,{\"c\":2}]}";
  JsonObjectStream stream;
  std::vector<std::string> objects;
  for (char c : text) {
    stream.Feed(std::string_view(&c, 1));
    for (std::string& object : Drain(stream)) objects.push_back(std::move(object));
  }
  EXPECT_EQ(objects, (std::vector<std::string>{"{\"a\":\"}\"}", "{\"b\":[1,{\"c\":2}]}"}));
}

TEST(JsonObjectStreamTest, BracesAndEscapesInsideStringsDoNotCount) {
  JsonObjectStream stream;
  stream.Feed(R"({"reason":"a \"}{\" b \\","x":"{["})");
  std::string object;
  ASSERT_TRUE(stream.Next(&object));
  EXPECT_EQ(object, R"({"reason":"a \"}{\" b \\","x":"{["})");
}

TEST(JsonObjectStreamTest, IncompleteObjectWaitsAndResetDropsIt) {
  JsonObjectStream stream;
  stream.Feed("\r\n  {\"result\":{\"header\":");
  std::string object;
  EXPECT_FALSE(stream.Next(&object));
  EXPECT_GT(stream.buffered(), 0u);
  stream.Reset();
  EXPECT_EQ(stream.buffered(), 0u);
  stream.Feed("{\"fresh\":true}");
  ASSERT_TRUE(stream.Next(&object));
  EXPECT_EQ(object, "{\"fresh\":true}");
}

TEST(JsonObjectStreamTest, StrayBytesBetweenObjectsAreSkipped) {
  JsonObjectStream stream;
  stream.Feed("Not Found\n{\"ok\":1}");
  EXPECT_EQ(Drain(stream), (std::vector<std::string>{"{\"ok\":1}"}));
}

}  // namespace
}  // namespace kafscale::etcd
