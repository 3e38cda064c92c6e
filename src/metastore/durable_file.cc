#include "metastore/durable_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kafscale::embedded {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

int UniqueFd::Release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

Status ErrnoError(std::string_view what, const std::string& path) {
  std::string message(what);
  message += " ";
  message += path;
  message += ": ";
  message += std::strerror(errno);
  return Status::IOError(message);
}

Status ReadFileToString(const std::string& path, std::string* contents) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return Status::NotFound("no such file: " + path);
    return ErrnoError("open", path);
  }
  contents->clear();
  char buffer[64 * 1024];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read", path);
    }
    if (n == 0) return Status::OK();
    contents->append(buffer, static_cast<size_t>(n));
  }
}

Status WriteFully(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

Status SyncFileData(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0) return ErrnoError("fdatasync", path);
  return Status::OK();
}

Status TruncateFile(const std::string& path, size_t size) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open", path);
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) return ErrnoError("truncate", path);
  return SyncFileData(fd.get(), path);
}

Status SyncDirectory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open directory", dir);
  if (::fsync(fd.get()) != 0) return ErrnoError("fsync directory", dir);
  return Status::OK();
}

Status ReplaceFileAtomically(const std::string& dir, const std::string& path,
                             std::string_view contents) {
  const std::string temp_path = path + ".tmp";
  {
    UniqueFd fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return ErrnoError("create", temp_path);
    Status status = WriteFully(fd.get(), contents, temp_path);
    if (status.ok()) status = SyncFileData(fd.get(), temp_path);
    if (!status.ok()) return status;
  }
  if (::rename(temp_path.c_str(), path.c_str()) != 0) return ErrnoError("rename", temp_path);
  return SyncDirectory(dir);
}

Status LockFile(const std::string& path, UniqueFd* fd) {
  UniqueFd lock_fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock_fd.valid()) return ErrnoError("open lock file", path);
  if (::flock(lock_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::Unavailable("metadata store is in use by another process: " + path);
    }
    return ErrnoError("lock", path);
  }
  *fd = std::move(lock_fd);
  return Status::OK();
}

}  // namespace kafscale::embedded
