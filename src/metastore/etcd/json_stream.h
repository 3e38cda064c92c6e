// Splits a byte stream into complete top-level JSON objects, as the etcd
// gateway streams a watch: one object per message, usually newline
// separated, but arriving in chunks that may cut an object anywhere or hold
// several. Not thread-safe: one reader feeds and drains it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kafscale::etcd {

class JsonObjectStream {
 public:
  // Appends received bytes.
  void Feed(std::string_view bytes) { buffer_.append(bytes); }

  // Moves the next complete object (its text, from '{' to the matching '}')
  // into *object and returns true; false when none is complete yet. Bytes
  // between objects (newlines, spaces) are skipped.
  bool Next(std::string* object);

  // Drops buffered bytes and scan state; for a new connection.
  void Reset();

  // Bytes held for an object not yet complete.
  size_t buffered() const { return buffer_.size(); }

 private:
  std::string buffer_;
  // Scan state over buffer_[0, scanned_), so each byte is looked at once
  // however the chunks fall.
  size_t scanned_ = 0;
  size_t start_ = std::string::npos;  // '{' of the object being scanned
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
};

}  // namespace kafscale::etcd
