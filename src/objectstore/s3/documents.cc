#include "objectstore/s3/documents.h"

#include <charconv>

#include "objectstore/s3/sigv4.h"
#include "objectstore/s3/xml.h"

namespace kafscale::s3 {

namespace {

Status Malformed(std::string_view document, std::string_view what) {
  return Status::IOError("malformed S3 " + std::string(document) + " response: " + std::string(what));
}

Result<uint64_t> ParseSize(const std::string& text) {
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return Malformed("ListObjectsV2", "bad Size \"" + text + "\"");
  }
  return value;
}

}  // namespace

S3Error ParseS3Error(std::string_view body) {
  Result<XmlElement> root = ParseXml(body);
  if (!root.ok() || root->name != "Error") return {};
  return {root->ChildText("Code"), root->ChildText("Message")};
}

Status ParseListObjectsV2(std::string_view body, ListPage* page) {
  Result<XmlElement> root = ParseXml(body);
  if (!root.ok()) return root.status();
  if (root->name != "ListBucketResult") return Malformed("ListObjectsV2", "root is <" + root->name + ">");
  bool url_encoded = root->ChildText("EncodingType") == "url";
  page->objects.clear();
  page->next_continuation.clear();
  for (const XmlElement& child : root->children) {
    if (child.name != "Contents") continue;
    ObjectInfo info;
    const XmlElement* key = child.Child("Key");
    if (key == nullptr) return Malformed("ListObjectsV2", "Contents without Key");
    info.key = url_encoded ? UriDecode(key->text, true) : key->text;
    Result<uint64_t> size = ParseSize(child.ChildText("Size"));
    if (!size.ok()) return size.status();
    info.size = *size;
    info.etag = UnquoteETag(child.ChildText("ETag"));
    page->objects.push_back(std::move(info));
  }
  if (root->ChildText("IsTruncated") == "true") {
    page->next_continuation = root->ChildText("NextContinuationToken");
    if (page->next_continuation.empty()) return Malformed("ListObjectsV2", "truncated without NextContinuationToken");
  }
  return Status::OK();
}

Result<std::string> ParseUploadId(std::string_view body) {
  Result<XmlElement> root = ParseXml(body);
  if (!root.ok()) return root.status();
  std::string upload_id = root->ChildText("UploadId");
  if (root->name != "InitiateMultipartUploadResult" || upload_id.empty()) {
    return Malformed("CreateMultipartUpload", "no UploadId");
  }
  return upload_id;
}

bool IsErrorDocument(std::string_view body) {
  Result<XmlElement> root = ParseXml(body);
  return root.ok() && root->name == "Error";
}

Result<std::vector<DeleteFailure>> ParseDeleteFailures(std::string_view body) {
  Result<XmlElement> root = ParseXml(body);
  if (!root.ok()) return root.status();
  if (root->name != "DeleteResult") return Malformed("DeleteObjects", "root is <" + root->name + ">");
  std::vector<DeleteFailure> failures;
  for (const XmlElement& child : root->children) {
    if (child.name != "Error") continue;
    failures.push_back({child.ChildText("Key"), child.ChildText("Code"), child.ChildText("Message")});
  }
  return failures;
}

std::string DeleteObjectsBody(std::span<const std::string> keys) {
  std::string body = "<Delete><Quiet>true</Quiet>";
  for (const std::string& key : keys) body += "<Object><Key>" + XmlEscape(key) + "</Key></Object>";
  body += "</Delete>";
  return body;
}

std::string CompleteMultipartUploadBody(const std::vector<std::string>& part_etags) {
  std::string body = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < part_etags.size(); ++i) {
    body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + XmlEscape(part_etags[i]) +
            "</ETag></Part>";
  }
  body += "</CompleteMultipartUpload>";
  return body;
}

std::string CreateBucketBody(std::string_view region) {
  if (region.empty() || region == "us-east-1") return "";
  return "<CreateBucketConfiguration><LocationConstraint>" + XmlEscape(region) +
         "</LocationConstraint></CreateBucketConfiguration>";
}

std::optional<std::string> RangeHeaderValue(uint64_t offset, uint64_t length) {
  if (offset == 0 && length == ObjectStore::kToEnd) return std::nullopt;
  std::string value = "bytes=" + std::to_string(offset) + '-';
  if (length != ObjectStore::kToEnd && length - 1 <= ObjectStore::kToEnd - offset) {
    value += std::to_string(offset + length - 1);
  }
  return value;
}

std::string UnquoteETag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

}  // namespace kafscale::s3
