// POSIX file helpers for the embedded metadata store: descriptor ownership,
// whole-file reads, and the fsync discipline that makes writes crash-safe.
// All functions are thread-compatible (no shared state); errors are IOError
// with the path and errno text, or NotFound where stated.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/noncopyable.h"
#include "common/status.h"

namespace kafscale::embedded {

// Owns one file descriptor and closes it on destruction.
class UniqueFd : NonCopyable {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  ~UniqueFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release();

 private:
  int fd_ = -1;
};

// IOError naming `what` and `path`, with the text of the current errno.
Status ErrnoError(std::string_view what, const std::string& path);

// Reads the whole file into *contents. NotFound if it does not exist.
Status ReadFileToString(const std::string& path, std::string* contents);

// Writes every byte of `data` at the descriptor's current position,
// retrying short writes and EINTR.
Status WriteFully(int fd, std::string_view data, const std::string& path);

// Makes the data of an open file durable (fdatasync).
Status SyncFileData(int fd, const std::string& path);

// Cuts the file at `path` to `size` bytes and makes that durable.
Status TruncateFile(const std::string& path, size_t size);

// Makes directory entries (creations, renames, removals) in `dir` durable.
Status SyncDirectory(const std::string& dir);

// Replaces `path` with `contents` so that a crash leaves either the old or
// the new file: writes `path`.tmp, fsyncs it, renames it over `path` and
// fsyncs the directory `dir` that holds both.
Status ReplaceFileAtomically(const std::string& dir, const std::string& path,
                             std::string_view contents);

// Takes an exclusive advisory lock on `path` (created if needed) so that a
// second process cannot open the same store. The lock lives as long as *fd
// and is released by the kernel if the process dies. Unavailable if another
// holder has it.
Status LockFile(const std::string& path, UniqueFd* fd);

}  // namespace kafscale::embedded
