// Rules shared by the ObjectStore implementations, so each one applies the
// contract in object_store.h identically.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace kafscale {

// How many bytes Get returns for [offset, offset + length) of an object of
// `object_size` bytes. InvalidArgument (naming `key`) for an offset at or past
// the end of a non-empty object, or past the end of an empty one.
Result<uint64_t> RangeLength(const std::string& key, uint64_t object_size, uint64_t offset, uint64_t length);

// InvalidArgument when max_keys is 0.
Status ValidateMaxKeys(size_t max_keys);

}  // namespace kafscale
