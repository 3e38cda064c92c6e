// SigV4 signing against the published examples of the Amazon S3 API
// reference ("Signature Calculations for the Authorization Header"), and the
// URI encoding that signing depends on.
#include "objectstore/s3/sigv4.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "objectstore/s3/crypto.h"

namespace kafscale::s3 {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;

constexpr char kDate[] = "20130524T000000Z";
constexpr char kHost[] = "examplebucket.s3.amazonaws.com";
constexpr char kEmptyHash[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const SigV4Credentials kCredentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};

std::string Sign(std::string_view method, std::string_view uri, const QueryParams& query, HttpHeaders headers,
                 std::string_view payload_hash) {
  std::string canonical_query = CanonicalQueryString(query);
  headers.emplace_back("Host", kHost);
  AddSigV4Headers(kCredentials, kDate, payload_hash, &headers);
  SigV4Request request{method, uri, canonical_query, headers, payload_hash};
  return SigV4Authorization(request, kCredentials, "us-east-1", "s3", kDate);
}

TEST(SigV4Test, GetObjectWithRangeMatchesTheAwsExample) {
  std::string authorization = Sign("GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}, kEmptyHash);
  EXPECT_EQ(authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, PutObjectMatchesTheAwsExample) {
  std::string body = "Welcome to Amazon S3.";
  std::string payload_hash = Sha256Hex(body);
  EXPECT_EQ(payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  std::string authorization = Sign("PUT", "/" + UriEncode("test$file.text", true), {},
                                   {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                                    {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                                   payload_hash);
  EXPECT_THAT(authorization, HasSubstr("SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"));
  EXPECT_THAT(authorization, EndsWith("Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
}

TEST(SigV4Test, GetBucketLifecycleMatchesTheAwsExample) {
  std::string authorization = Sign("GET", "/", {{"lifecycle", ""}}, {}, kEmptyHash);
  EXPECT_THAT(authorization, EndsWith("Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
}

TEST(SigV4Test, ListObjectsMatchesTheAwsExampleWhateverTheParameterOrder) {
  for (const QueryParams& query : {QueryParams{{"max-keys", "2"}, {"prefix", "J"}},
                                   QueryParams{{"prefix", "J"}, {"max-keys", "2"}}}) {
    std::string authorization = Sign("GET", "/", query, {}, kEmptyHash);
    EXPECT_THAT(authorization,
                EndsWith("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
  }
}

TEST(SigV4Test, CanonicalRequestOfTheGetExample) {
  HttpHeaders headers = {{"Host", kHost}, {"Range", "bytes=0-9"}};
  AddSigV4Headers(kCredentials, kDate, kEmptyHash, &headers);
  SigV4Request request{"GET", "/test.txt", "", headers, kEmptyHash};
  EXPECT_EQ(CanonicalRequest(request),
            "GET\n/test.txt\n\n"
            "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\n"
            "host;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SigV4Test, HeaderValuesAreTrimmedAndNamesLowerCasedAndSorted) {
  HttpHeaders headers = {{"X-Amz-Meta-B", "  two   spaces  "}, {"x-amz-meta-a", "a"}, {"Host", "h"}};
  SigV4Request request{"PUT", "/k", "", headers, "hash"};
  EXPECT_EQ(CanonicalRequest(request),
            "PUT\n/k\n\nhost:h\nx-amz-meta-a:a\nx-amz-meta-b:two spaces\n\nhost;x-amz-meta-a;x-amz-meta-b\nhash");
}

TEST(SigV4Test, SessionTokenIsSentAndSigned) {
  SigV4Credentials credentials = kCredentials;
  credentials.session_token = "token/with+chars";
  HttpHeaders headers = {{"host", kHost}};
  AddSigV4Headers(credentials, kDate, kEmptyHash, &headers);
  EXPECT_THAT(headers, ::testing::Contains(std::pair<std::string, std::string>("x-amz-security-token",
                                                                               "token/with+chars")));
  SigV4Request request{"GET", "/", "", headers, kEmptyHash};
  EXPECT_THAT(SigV4Authorization(request, credentials, "eu-west-1", "s3", kDate),
              HasSubstr("/20130524/eu-west-1/s3/aws4_request,"
                        "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"));
}

TEST(UriEncodeTest, KeepsUnreservedCharactersAndOptionallySlashes) {
  EXPECT_EQ(UriEncode("AZaz09-._~", false), "AZaz09-._~");
  EXPECT_EQ(UriEncode("a/b c", true), "a/b%20c");
  EXPECT_EQ(UriEncode("a/b c", false), "a%2Fb%20c");
  EXPECT_EQ(UriEncode("+=&?#%$", true), "%2B%3D%26%3F%23%25%24");
  EXPECT_EQ(UriEncode("\xC3\xA9\x01", true), "%C3%A9%01");
  EXPECT_EQ(UriEncode(std::string_view("\0", 1), true), "%00");
}

TEST(UriDecodeTest, UndoesEncodingAndOptionallyPlus) {
  EXPECT_EQ(UriDecode("a%2Fb%20c%c3%a9", false), "a/b c\xC3\xA9");
  EXPECT_EQ(UriDecode("a+b%2B", true), "a b+");
  EXPECT_EQ(UriDecode("a+b", false), "a+b");
  EXPECT_EQ(UriDecode("100%", true), "100%");    // malformed escapes stay
  EXPECT_EQ(UriDecode("%zz%4", true), "%zz%4");
}

TEST(CanonicalQueryStringTest, SortsByEncodedNameAndEncodesEverything) {
  EXPECT_EQ(CanonicalQueryString({}), "");
  EXPECT_EQ(CanonicalQueryString({{"prefix", "a/b c"}, {"list-type", "2"}, {"continuation-token", "x+y=="}}),
            "continuation-token=x%2By%3D%3D&list-type=2&prefix=a%2Fb%20c");
  EXPECT_EQ(CanonicalQueryString({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(CanonicalQueryString({{"uploadId", "u"}, {"partNumber", "10"}}), "partNumber=10&uploadId=u");
}

TEST(AmzDateTest, FormatsUtc) {
  EXPECT_EQ(AmzDate(std::chrono::system_clock::from_time_t(1369353600)), "20130524T000000Z");
  EXPECT_EQ(AmzDate(std::chrono::system_clock::from_time_t(1369353600 + 86399)), "20130524T235959Z");
}

TEST(CryptoTest, KnownDigests) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Md5Base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(Md5Base64("The quick brown fox jumps over the lazy dog"), "nhB9nTcrtoJr2B01QqQZ1g==");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(HexEncode(HmacSha256("key", "The quick brown fox jumps over the lazy dog")),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

}  // namespace
}  // namespace kafscale::s3
