// An object encoded as a header, the record batches it holds (referenced
// where they already lie, not copied) and a trailer, back to back: uploads
// gather the pieces, so nothing assembles the object in memory first.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kafscale {

struct PiecedObject {
  std::string header;
  std::vector<std::string_view> body;  // the batches, in order
  std::string trailer;

  // Bytes of the whole object.
  size_t size() const;
  // header, body..., trailer
  std::vector<std::string_view> Pieces() const;
  // The whole object in one buffer.
  std::string Flatten() const;
};

}  // namespace kafscale
