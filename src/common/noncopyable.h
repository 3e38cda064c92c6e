#pragma once

namespace kafscale {

// Base for classes that own resources (files, sockets, threads) and must not
// be copied by accident.
class NonCopyable {
 protected:
  NonCopyable() = default;
  ~NonCopyable() = default;
  NonCopyable(const NonCopyable&) = delete;
  NonCopyable& operator=(const NonCopyable&) = delete;
};

}  // namespace kafscale
