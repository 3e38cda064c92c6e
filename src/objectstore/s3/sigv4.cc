#include "objectstore/s3/sigv4.h"

#include <algorithm>
#include <ctime>

#include "objectstore/s3/crypto.h"

namespace kafscale::s3 {

namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string LowerCase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Header values are signed trimmed, with runs of spaces collapsed to one.
std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

struct CanonicalHeaders {
  std::string lines;           // "name:value\n" per header
  std::string signed_headers;  // "name;name;..."
};

CanonicalHeaders Canonicalize(const HttpHeaders& headers) {
  std::vector<std::pair<std::string, std::string>> sorted;
  sorted.reserve(headers.size());
  for (const auto& [name, value] : headers) sorted.emplace_back(LowerCase(name), CanonicalHeaderValue(value));
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (size_t i = 0; i < sorted.size(); ++i) {
    bool repeated = i > 0 && sorted[i].first == sorted[i - 1].first;
    if (repeated) {
      out.lines.back() = ',';  // a repeated header's values join with ','
    } else {
      if (!out.signed_headers.empty()) out.signed_headers += ';';
      out.signed_headers += sorted[i].first;
      out.lines += sorted[i].first + ':';
    }
    out.lines += sorted[i].second + '\n';
  }
  return out;
}

std::string CanonicalRequestWith(const SigV4Request& request, const CanonicalHeaders& headers) {
  std::string out;
  out.append(request.method).append("\n");
  out.append(request.canonical_uri).append("\n");
  out.append(request.canonical_query).append("\n");
  out.append(headers.lines).append("\n");
  out.append(headers.signed_headers).append("\n");
  out.append(request.payload_sha256_hex);
  return out;
}

}  // namespace

std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xf];
    }
  }
  return out;
}

std::string UriDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else if (text[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string CanonicalQueryString(const QueryParams& params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [name, value] : params) encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name + '=' + value;
  }
  return out;
}

std::string AmzDate(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

void AddSigV4Headers(const SigV4Credentials& credentials, std::string_view amz_date,
                     std::string_view payload_sha256_hex, HttpHeaders* headers) {
  headers->emplace_back("x-amz-date", std::string(amz_date));
  headers->emplace_back("x-amz-content-sha256", std::string(payload_sha256_hex));
  if (!credentials.session_token.empty()) headers->emplace_back("x-amz-security-token", credentials.session_token);
}

std::string CanonicalRequest(const SigV4Request& request) {
  return CanonicalRequestWith(request, Canonicalize(request.headers));
}

std::string SigV4Authorization(const SigV4Request& request, const SigV4Credentials& credentials,
                               std::string_view region, std::string_view service, std::string_view amz_date) {
  std::string_view date = amz_date.substr(0, 8);
  std::string scope = std::string(date) + '/' + std::string(region) + '/' + std::string(service) + "/aws4_request";
  CanonicalHeaders headers = Canonicalize(request.headers);
  std::string string_to_sign = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + '\n' + scope + '\n' +
                               Sha256Hex(CanonicalRequestWith(request, headers));
  std::string key = HmacSha256("AWS4" + credentials.secret_access_key, date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, service);
  key = HmacSha256(key, "aws4_request");
  return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + '/' + scope +
         ",SignedHeaders=" + headers.signed_headers +
         ",Signature=" + HexEncode(HmacSha256(key, string_to_sign));
}

}  // namespace kafscale::s3
