// S3's XML documents (reading and writing) and request helpers, without a
// server.
#include "objectstore/s3/documents.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "objectstore/s3/xml.h"

namespace kafscale::s3 {
namespace {

using ::testing::HasSubstr;

TEST(XmlTest, ReadsElementsTextEntitiesAndCdata) {
  Result<XmlElement> root = ParseXml(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->"
      "<Root xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\" a='x>y'>"
      "<A>1 &lt; 2 &amp;&amp; &quot;q&quot; &apos;s&apos; &gt;</A>"
      "<B>&#65;&#x42;&#xe9;&#x20AC;&#x1F600;</B><Empty/><Empty2></Empty2>"
      "<C><![CDATA[<raw & text>]]> tail</C><A>second</A></Root >\n");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->name, "Root");
  ASSERT_EQ(root->children.size(), 6u);
  EXPECT_EQ(root->ChildText("A"), "1 < 2 && \"q\" 's' >");
  EXPECT_EQ(root->ChildText("B"), "AB\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_EQ(root->ChildText("Empty"), "");
  EXPECT_NE(root->Child("Empty2"), nullptr);
  EXPECT_EQ(root->ChildText("C"), "<raw & text> tail");
  EXPECT_EQ(root->Child("Missing"), nullptr);
  EXPECT_EQ(root->ChildText("Missing"), "");
}

TEST(XmlTest, KeepsWhitespaceInText) {
  Result<XmlElement> root = ParseXml("<K>  two  spaces\n</K>");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->text, "  two  spaces\n");
}

TEST(XmlTest, RejectsMalformedDocuments) {
  for (const char* document : {"", "text only", "<A>", "<A></B>", "<A><B></A></B>", "<A>&unknown;</A>",
                               "<A>&#xZZ;</A>", "<A>&#1114112;</A>", "<A>&amp</A>", "<A/><B/>", "<A x=\"1></A>",
                               "<></>"}) {
    Result<XmlElement> root = ParseXml(document);
    EXPECT_FALSE(root.ok()) << document;
    if (!root.ok()) {
      EXPECT_EQ(root.status().code(), Status::Code::kIOError) << document;
    }
  }
}

TEST(XmlTest, RejectsDeepNesting) {
  std::string document;
  for (int i = 0; i < 100; ++i) document += "<a>";
  for (int i = 0; i < 100; ++i) document += "</a>";
  Result<XmlElement> root = ParseXml(document);
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.status().message(), HasSubstr("nested too deeply"));
}

TEST(XmlTest, EscapeRoundTrips) {
  std::string text = "a&b<c>d\"e'f\tg\nh\ri";
  EXPECT_EQ(XmlEscape(text), "a&amp;b&lt;c&gt;d&quot;e&apos;f&#9;g&#10;h&#13;i");
  Result<XmlElement> root = ParseXml("<K>" + XmlEscape(text) + "</K>");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->text, text);
  EXPECT_TRUE(XmlCanCarry(text));
  EXPECT_FALSE(XmlCanCarry("a\x01"));
  EXPECT_FALSE(XmlCanCarry("\x1F"));
}

TEST(ListObjectsV2Test, ReadsKeysSizesETagsAndTheContinuation) {
  ListPage page;
  page.objects.push_back({"stale", 1, ""});
  ASSERT_TRUE(ParseListObjectsV2(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>p/</Prefix><MaxKeys>2</MaxKeys><KeyCount>2</KeyCount>
  <IsTruncated>true</IsTruncated><NextContinuationToken>token+/=</NextContinuationToken>
  <Contents><Key>p/a&amp;b</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified>
    <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>42</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>p/&lt;c&gt;</Key><ETag>"abc-3"</ETag><Size>18446744073709551615</Size></Contents>
</ListBucketResult>)",
                                 &page)
                  .ok());
  ASSERT_EQ(page.objects.size(), 2u);
  EXPECT_EQ(page.objects[0].key, "p/a&b");
  EXPECT_EQ(page.objects[0].size, 42u);
  EXPECT_EQ(page.objects[0].etag, "9b2cf535f27731c974343645a3985328");
  EXPECT_EQ(page.objects[1].key, "p/<c>");
  EXPECT_EQ(page.objects[1].size, UINT64_MAX);
  EXPECT_EQ(page.objects[1].etag, "abc-3");
  EXPECT_EQ(page.next_continuation, "token+/=");
}

TEST(ListObjectsV2Test, LastPageHasNoContinuation) {
  ListPage page;
  page.next_continuation = "old";
  ASSERT_TRUE(ParseListObjectsV2("<ListBucketResult><IsTruncated>false</IsTruncated>"
                                 "<NextContinuationToken>ignored</NextContinuationToken></ListBucketResult>",
                                 &page)
                  .ok());
  EXPECT_TRUE(page.objects.empty());
  EXPECT_TRUE(page.next_continuation.empty());
}

TEST(ListObjectsV2Test, DecodesUrlEncodedKeys) {
  ListPage page;
  ASSERT_TRUE(ParseListObjectsV2("<ListBucketResult><EncodingType>url</EncodingType>"
                                 "<Contents><Key>p/a+b%2Bc%20d%01%C3%A9</Key><Size>1</Size></Contents>"
                                 "<IsTruncated>false</IsTruncated></ListBucketResult>",
                                 &page)
                  .ok());
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].key, "p/a b+c d\x01\xC3\xA9");
}

TEST(ListObjectsV2Test, RejectsBrokenResults) {
  for (const char* document :
       {"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",  // truncated, no token
        "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key></Contents></ListBucketResult>",
        "<Error><Code>NoSuchBucket</Code></Error>", "<ListBucketResult>"}) {
    ListPage page;
    Status s = ParseListObjectsV2(document, &page);
    EXPECT_EQ(s.code(), Status::Code::kIOError) << document;
  }
}

TEST(S3ErrorTest, ReadsCodeAndMessage) {
  S3Error error = ParseS3Error(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code>"
      "<Message>The key &quot;k&quot; does not exist</Message><RequestId>1</RequestId></Error>");
  EXPECT_EQ(error.code, "NoSuchKey");
  EXPECT_EQ(error.message, "The key \"k\" does not exist");
  EXPECT_TRUE(ParseS3Error("").code.empty());
  EXPECT_TRUE(ParseS3Error("<html>busy</html>").code.empty());
  EXPECT_TRUE(IsErrorDocument("<Error><Code>InternalError</Code></Error>"));
  EXPECT_FALSE(IsErrorDocument("<CompleteMultipartUploadResult/>"));
  EXPECT_FALSE(IsErrorDocument(""));
}

TEST(MultipartDocumentsTest, UploadIdAndCompleteBody) {
  Result<std::string> id = ParseUploadId(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
      "<UploadId>2~abc&amp;def</UploadId></InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "2~abc&def");
  EXPECT_FALSE(ParseUploadId("<InitiateMultipartUploadResult/>").ok());
  EXPECT_FALSE(ParseUploadId("<Error><Code>AccessDenied</Code></Error>").ok());
  EXPECT_EQ(CompleteMultipartUploadBody({"\"e1\"", "\"e2\""}),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part></CompleteMultipartUpload>");
}

TEST(DeleteDocumentsTest, BodyEscapesKeysAndFailuresAreRead) {
  std::vector<std::string> keys = {"a&b", "c<d>"};
  EXPECT_EQ(DeleteObjectsBody(keys),
            "<Delete><Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object>"
            "<Object><Key>c&lt;d&gt;</Key></Object></Delete>");
  Result<std::vector<DeleteFailure>> failures = ParseDeleteFailures(
      "<DeleteResult><Deleted><Key>ok</Key></Deleted>"
      "<Error><Key>a&amp;b</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>");
  ASSERT_TRUE(failures.ok());
  ASSERT_EQ(failures->size(), 1u);
  EXPECT_EQ((*failures)[0].key, "a&b");
  EXPECT_EQ((*failures)[0].code, "AccessDenied");
  EXPECT_EQ((*failures)[0].message, "no");
  ASSERT_TRUE(ParseDeleteFailures("<DeleteResult/>").ok());
  EXPECT_FALSE(ParseDeleteFailures("<Error/>").ok());
}

TEST(CreateBucketBodyTest, LocationConstraintOutsideUsEast1) {
  EXPECT_EQ(CreateBucketBody("us-east-1"), "");
  EXPECT_EQ(CreateBucketBody("eu-central-1"),
            "<CreateBucketConfiguration><LocationConstraint>eu-central-1</LocationConstraint>"
            "</CreateBucketConfiguration>");
}

TEST(RangeHeaderTest, BuildsInclusiveRanges) {
  EXPECT_EQ(RangeHeaderValue(0, ObjectStore::kToEnd), std::nullopt);
  EXPECT_EQ(RangeHeaderValue(0, 1), "bytes=0-0");
  EXPECT_EQ(RangeHeaderValue(5, 4), "bytes=5-8");
  EXPECT_EQ(RangeHeaderValue(12, ObjectStore::kToEnd), "bytes=12-");
  EXPECT_EQ(RangeHeaderValue(0, 100), "bytes=0-99");
  // Lengths running past 2^64 - 1 mean "to the end".
  EXPECT_EQ(RangeHeaderValue(10, UINT64_MAX - 5), "bytes=10-");
  EXPECT_EQ(RangeHeaderValue(10, UINT64_MAX - 9), "bytes=10-18446744073709551615");
}

TEST(UnquoteETagTest, StripsOnlyMatchingQuotes) {
  EXPECT_EQ(UnquoteETag("\"abc\""), "abc");
  EXPECT_EQ(UnquoteETag("abc"), "abc");
  EXPECT_EQ(UnquoteETag("\""), "\"");
  EXPECT_EQ(UnquoteETag(""), "");
}

}  // namespace
}  // namespace kafscale::s3
