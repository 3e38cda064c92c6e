#include "objectstore/store_support.h"

#include <algorithm>

namespace kafscale {

Result<uint64_t> RangeLength(const std::string& key, uint64_t object_size, uint64_t offset, uint64_t length) {
  bool readable = offset < object_size || (offset == 0 && object_size == 0);
  if (!readable) {
    return Status::InvalidArgument("range offset " + std::to_string(offset) + " is past the end of " + key +
                                   " (" + std::to_string(object_size) + " bytes)");
  }
  return std::min(length, object_size - offset);
}

Status ValidateMaxKeys(size_t max_keys) {
  if (max_keys == 0) return Status::InvalidArgument("List needs max_keys >= 1");
  return Status::OK();
}

}  // namespace kafscale
