#include "protocol/records.h"

#include <algorithm>
#include <utility>

namespace kafscale::kafka {

size_t Records::size() const {
  size_t total = 0;
  for (const SharedSlice& slice : slices) total += slice.bytes.size();
  return total;
}

std::string Records::Flatten() const {
  std::string out;
  out.reserve(size());
  for (const SharedSlice& slice : slices) out.append(slice.bytes);
  return out;
}

bool Records::operator==(const Records& other) const {
  if (size() != other.size()) return false;
  // Walk both slice lists in step, comparing the overlapping parts.
  auto a = slices.begin(), b = other.slices.begin();
  size_t a_offset = 0, b_offset = 0;
  while (a != slices.end() && b != other.slices.end()) {
    std::string_view left = a->bytes.substr(a_offset), right = b->bytes.substr(b_offset);
    size_t n = std::min(left.size(), right.size());
    if (left.substr(0, n) != right.substr(0, n)) return false;
    a_offset += n;
    b_offset += n;
    if (a_offset == a->bytes.size()) ++a, a_offset = 0;
    if (b_offset == b->bytes.size()) ++b, b_offset = 0;
  }
  return true;
}

Records Records::FromString(std::string bytes) {
  Records records;
  if (bytes.empty()) return records;
  auto owner = std::make_shared<const std::string>(std::move(bytes));
  records.slices.push_back({owner, *owner});
  return records;
}

}  // namespace kafscale::kafka
