#include "storage/pieced_object.h"

namespace kafscale {

size_t PiecedObject::size() const {
  size_t total = header.size() + trailer.size();
  for (std::string_view piece : body) total += piece.size();
  return total;
}

std::vector<std::string_view> PiecedObject::Pieces() const {
  std::vector<std::string_view> pieces;
  pieces.reserve(body.size() + 2);
  pieces.push_back(header);
  pieces.insert(pieces.end(), body.begin(), body.end());
  pieces.push_back(trailer);
  return pieces;
}

std::string PiecedObject::Flatten() const {
  std::string out;
  out.reserve(size());
  for (std::string_view piece : Pieces()) out += piece;
  return out;
}

}  // namespace kafscale
