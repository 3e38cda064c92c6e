#include "metastore/etcd/json_stream.h"

namespace kafscale::etcd {

bool JsonObjectStream::Next(std::string* object) {
  for (; scanned_ < buffer_.size(); ++scanned_) {
    const char c = buffer_[scanned_];
    if (start_ == std::string::npos) {
      // Between objects only separators are expected; anything else is
      // skipped so that a stray byte cannot wedge the stream.
      if (c == '{') {
        start_ = scanned_;
        depth_ = 1;
      }
      continue;
    }
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if ((c == '}' || c == ']') && --depth_ == 0) {
      object->assign(buffer_, start_, scanned_ + 1 - start_);
      buffer_.erase(0, scanned_ + 1);
      scanned_ = 0;
      start_ = std::string::npos;
      return true;
    }
  }
  if (start_ == std::string::npos) {
    buffer_.clear();  // only separators so far
    scanned_ = 0;
  }
  return false;
}

void JsonObjectStream::Reset() {
  buffer_.clear();
  scanned_ = 0;
  start_ = std::string::npos;
  depth_ = 0;
  in_string_ = false;
  escaped_ = false;
}

}  // namespace kafscale::etcd
