#include "objectstore/s3/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>
#include <stdexcept>

namespace kafscale::s3 {

namespace {

std::string Digest(const EVP_MD* algorithm, std::span<const std::string_view> pieces) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  // These only fail on allocation failure inside OpenSSL.
  bool ok = context != nullptr && EVP_DigestInit_ex(context.get(), algorithm, nullptr) == 1;
  for (size_t i = 0; ok && i < pieces.size(); ++i) {
    ok = EVP_DigestUpdate(context.get(), pieces[i].data(), pieces[i].size()) == 1;
  }
  if (!ok || EVP_DigestFinal_ex(context.get(), digest, &digest_size) != 1) {
    throw std::runtime_error("OpenSSL digest failed");
  }
  return std::string(reinterpret_cast<const char*>(digest), digest_size);
}

std::string Digest(const EVP_MD* algorithm, std::string_view data) { return Digest(algorithm, std::span(&data, 1)); }

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0xf];
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

std::string Sha256(std::string_view data) { return Digest(EVP_sha256(), data); }

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

std::string Sha256Hex(std::span<const std::string_view> pieces) { return HexEncode(Digest(EVP_sha256(), pieces)); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), mac, &mac_size) == nullptr) {
    throw std::runtime_error("OpenSSL HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_size);
}

std::string Md5Base64(std::string_view data) { return Base64Encode(Digest(EVP_md5(), data)); }

std::string Md5Hex(std::string_view data) { return HexEncode(Digest(EVP_md5(), data)); }

std::string Md5Hex(std::span<const std::string_view> pieces) { return HexEncode(Digest(EVP_md5(), pieces)); }

}  // namespace kafscale::s3
