#include "objectstore/object_store.h"

#include <cstring>

namespace kafscale {

ObjectBody::ObjectBody(std::span<const std::string_view> pieces) : many_(pieces) {
  for (std::string_view piece : pieces) size_ += piece.size();
}

std::string_view ObjectBody::Contiguous(std::string* storage) const {
  if (is_single_) return single_;
  *storage = Flatten();
  return *storage;
}

std::string ObjectBody::Flatten() const {
  std::string bytes;
  bytes.reserve(size_);
  for (std::string_view piece : pieces()) bytes.append(piece);
  return bytes;
}

std::string_view ObjectBodyReader::ReadPiece(size_t max) {
  while (next_ < pieces_.size() && offset_ == pieces_[next_].size()) {
    ++next_;
    offset_ = 0;
  }
  if (next_ == pieces_.size()) return {};
  const std::string_view piece = pieces_[next_].substr(offset_, max);
  offset_ += piece.size();
  return piece;
}

size_t ObjectBodyReader::Read(char* buffer, size_t capacity) {
  size_t filled = 0;
  for (std::string_view piece; filled < capacity && !(piece = ReadPiece(capacity - filled)).empty();) {
    std::memcpy(buffer + filled, piece.data(), piece.size());
    filled += piece.size();
  }
  return filled;
}

bool ObjectBodyReader::Seek(uint64_t position) {
  for (next_ = 0, offset_ = 0; next_ < pieces_.size(); ++next_) {
    if (position <= pieces_[next_].size()) {
      offset_ = static_cast<size_t>(position);
      return true;
    }
    position -= pieces_[next_].size();
  }
  return position == 0;
}

Status ListAll(ObjectStore& store, const std::string& prefix, std::vector<ObjectInfo>* out) {
  out->clear();
  std::string continuation;
  do {
    ListPage page;
    if (Status s = store.List(prefix, continuation, kListPageKeys, &page); !s.ok()) return s;
    for (ObjectInfo& object : page.objects) out->push_back(std::move(object));
    continuation = std::move(page.next_continuation);
  } while (!continuation.empty());
  return Status::OK();
}

Status ValidateObjectKey(std::string_view key) {
  auto invalid = [key](std::string_view why) {
    return Status::InvalidArgument("invalid object key (" + std::string(why) + "): \"" +
                                   std::string(key.substr(0, 100)) + "\"");
  };
  if (key.empty()) return invalid("empty");
  if (key.size() > kMaxObjectKeyBytes) return invalid("longer than " + std::to_string(kMaxObjectKeyBytes) + " bytes");
  if (key.find('\0') != std::string_view::npos) return invalid("NUL byte");
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    std::string_view segment = key.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (segment.empty()) return invalid(start == 0 ? "leading '/'" : "empty segment");
    if (segment == "." || segment == "..") return invalid("'.' or '..' segment");
    if (slash == std::string_view::npos) return Status::OK();
    start = slash + 1;
  }
}

}  // namespace kafscale
