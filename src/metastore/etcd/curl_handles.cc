#include "metastore/etcd/curl_handles.h"

#include <mutex>

namespace kafscale::etcd {

void EnsureCurlInitialized() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void AddRequestHeaders(const std::string& token, CurlHeaders* headers) {
  headers->Append("Content-Type: application/json");
  headers->Append("Expect:");
  if (!token.empty()) headers->Append("Authorization: " + token);
}

size_t AppendToString(char* data, size_t size, size_t count, void* target) {
  static_cast<std::string*>(target)->append(data, size * count);
  return size * count;
}

}  // namespace kafscale::etcd
