#include "objectstore/local_dir_object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>

#include "common/noncopyable.h"
#include "objectstore/store_support.h"

namespace kafscale {

namespace fs = std::filesystem;

namespace {

class FileDescriptor : NonCopyable {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and returns close()'s result: it can report a failed write-back.
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

Status ErrnoStatus(std::string_view action, const fs::path& path, int error) {
  std::string message = std::string(action) + " " + path.string() + ": " + std::strerror(error);
  switch (error) {
    case ENOENT: return Status::NotFound(message);
    case EACCES:
    case EPERM:
    case EROFS: return Status::PermissionDenied(message);
    case ENAMETOOLONG: return Status::InvalidArgument(message);
    default: return Status::IOError(message);
  }
}

bool IsTempName(std::string_view name) { return name.starts_with(LocalDirObjectStore::kTempFilePrefix); }

// The common key rules plus the store's own: no segment may look like one of
// its temporary files.
Status ValidateLocalKey(std::string_view key) {
  if (Status s = ValidateObjectKey(key); !s.ok()) return s;
  size_t start = 0;
  while (true) {
    if (IsTempName(key.substr(start))) {
      return Status::InvalidArgument("invalid object key (segment reserved for temporary files): " + std::string(key));
    }
    size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) return Status::OK();
    start = slash + 1;
  }
}

Status SyncDirectory(const fs::path& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("open directory", dir, errno);
  if (::fsync(fd.get()) != 0) return ErrnoStatus("fsync directory", dir, errno);
  return Status::OK();
}

// Writes all of `data` at the file's current offset.
Status WriteAll(int fd, const fs::path& path, std::string_view data) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return Status::OK();
}

constexpr size_t kDirectIoAlignment = LocalDirObjectStore::kDirectIoAlignment;
constexpr size_t kStagingBytes = 1024 * 1024;

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};

// Writes an object's bytes, in order, bypassing the page cache where the file
// system allows it: a buffered write copies every byte into the page cache,
// which on a virtual machine costs about 2 CPU-seconds per GB, while direct
// I/O hands the device whole blocks. Objects are written once and read back
// rarely (the broker caches what it wrote), so the page cache gains little
// from them. Direct I/O wants memory address, file offset and length in
// multiples of the device's logical block size (kDirectIoAlignment satisfies
// every common device): a piece whose memory address and file offset agree
// modulo the block size is written from where it lies once the staging
// buffer has completed the block it starts in; everything else is gathered
// into the aligned staging buffer first. The unaligned tail, and everything
// on file systems without direct I/O (tmpfs), is written buffered.
class DirectWriter : NonCopyable {
 public:
  DirectWriter(int fd, const fs::path& path, uint64_t size) : fd_(fd), path_(path), flags_(::fcntl(fd, F_GETFL)) {
    // One staging buffer per I/O thread: no page faults on a fresh one per object.
    thread_local std::unique_ptr<char, FreeDeleter> staging(
        static_cast<char*>(std::aligned_alloc(kDirectIoAlignment, kStagingBytes)));
    staging_ = staging.get();
    direct_ = staging_ != nullptr && flags_ >= 0 && size >= kDirectIoAlignment &&
              ::fcntl(fd, F_SETFL, flags_ | O_DIRECT) == 0;
  }
  ~DirectWriter() {
    if (direct_) ::fcntl(fd_, F_SETFL, flags_);
  }

  Status Add(std::string_view piece) {
    while (!piece.empty()) {
      if (!direct_) {
        if (Status s = WriteStagedBuffered(); !s.ok()) return s;
        return WriteAll(fd_, path_, piece);
      }
      // The staged bytes end at the next byte's file offset modulo the block size.
      const size_t misalignment = reinterpret_cast<uintptr_t>(piece.data()) % kDirectIoAlignment;
      const size_t top_up = (kDirectIoAlignment - misalignment) % kDirectIoAlignment;
      if (staged_ % kDirectIoAlignment == misalignment && piece.size() >= top_up + kDirectIoAlignment) {
        // Ends at a block boundary, within the buffer (a multiple of blocks).
        std::memcpy(staging_ + staged_, piece.data(), top_up);
        staged_ += top_up;
        piece.remove_prefix(top_up);
        if (Status s = WriteStaged(staged_); !s.ok()) return s;
        const size_t whole_blocks = piece.size() / kDirectIoAlignment * kDirectIoAlignment;
        if (Status s = Write(piece.substr(0, whole_blocks)); !s.ok()) return s;
        piece.remove_prefix(whole_blocks);
        continue;
      }
      const size_t taken = std::min(piece.size(), kStagingBytes - staged_);
      std::memcpy(staging_ + staged_, piece.data(), taken);
      staged_ += taken;
      piece.remove_prefix(taken);
      if (staged_ == kStagingBytes) {
        if (Status s = WriteStaged(staged_); !s.ok()) return s;
      }
    }
    return Status::OK();
  }

  // Writes what is still staged.
  Status Finish() {
    if (direct_) {
      if (Status s = WriteStaged(staged_ / kDirectIoAlignment * kDirectIoAlignment); !s.ok()) return s;
      if (Status s = StopDirect(); !s.ok()) return s;
    }
    return WriteStagedBuffered();
  }

 private:
  // Writes the first `count` staged bytes; the rest move to the front.
  Status WriteStaged(size_t count) {
    if (count == 0) return Status::OK();
    Status status = Write(std::string_view(staging_, count));
    std::memmove(staging_, staging_ + count, staged_ - count);
    staged_ -= count;
    return status;
  }

  // Writes whole blocks with direct I/O, or buffered once direct I/O failed.
  Status Write(std::string_view data) {
    while (direct_ && !data.empty()) {
      const ssize_t written = ::write(fd_, data.data(), data.size());
      if (written < 0 && errno == EINTR) continue;
      // EINVAL: the device wants another alignment; the rest goes buffered.
      if (written < 0 && errno != EINVAL) return ErrnoStatus("write", path_, errno);
      if (written > 0) data.remove_prefix(static_cast<size_t>(written));
      // A short write that ended off a block boundary: the rest goes buffered too.
      if (written <= 0 || data.size() % kDirectIoAlignment != 0) {
        if (Status s = StopDirect(); !s.ok()) return s;
      }
    }
    return WriteAll(fd_, path_, data);
  }

  Status StopDirect() {
    if (!direct_) return Status::OK();
    direct_ = false;
    if (::fcntl(fd_, F_SETFL, flags_) != 0) return ErrnoStatus("fcntl", path_, errno);
    return Status::OK();
  }

  Status WriteStagedBuffered() {
    const std::string_view staged(staging_, staged_);
    staged_ = 0;
    return WriteAll(fd_, path_, staged);
  }

  const int fd_;
  const fs::path& path_;
  const int flags_;
  bool direct_ = false;
  char* staging_ = nullptr;
  size_t staged_ = 0;
};

Status WriteBypassingCache(int fd, const fs::path& path, const ObjectBody& body) {
  DirectWriter writer(fd, path, body.size());
  // Pieces adjacent in memory (a segment's batches from one buffer) go
  // together: one write each rather than one per piece.
  std::string_view run;
  for (std::string_view piece : body.pieces()) {
    if (!run.empty() && piece.data() == run.data() + run.size()) {
      run = std::string_view(run.data(), run.size() + piece.size());
      continue;
    }
    if (Status s = writer.Add(run); !s.ok()) return s;
    run = piece;
  }
  if (Status s = writer.Add(run); !s.ok()) return s;
  return writer.Finish();
}

// Writes `body` to a new file at `path`, or over the recycled file there.
Status WriteDurably(const fs::path& path, const ObjectBody& body, bool recycled) {
  const int flags = recycled ? O_WRONLY | O_CLOEXEC : O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
  FileDescriptor fd(::open(path.c_str(), flags, 0644));
  if (fd.get() < 0) return ErrnoStatus(recycled ? "open" : "create", path, errno);
  if (Status s = WriteBypassingCache(fd.get(), path, body); !s.ok()) return s;
  // Whatever the old object had beyond the new one's end.
  if (recycled && ::ftruncate(fd.get(), static_cast<off_t>(body.size())) != 0) {
    return ErrnoStatus("truncate", path, errno);
  }
  if (::fsync(fd.get()) != 0) return ErrnoStatus("fsync", path, errno);
  if (fd.Close() != 0) return ErrnoStatus("close", path, errno);
  return Status::OK();
}

Status ReadAt(int fd, const fs::path& path, uint64_t offset, uint64_t count, std::string* out) {
  out->resize(count);
  size_t done = 0;
  while (done < count) {
    ssize_t got = ::pread(fd, out->data() + done, count - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", path, errno);
    }
    // Objects are replaced by rename, never rewritten in place (a recycled
    // file waits for the reads that might have opened it), so an open file
    // cannot shrink under us.
    if (got == 0) return Status::IOError("read " + path.string() + ": unexpected end of file");
    done += static_cast<size_t>(got);
  }
  return Status::OK();
}

// Regular-file status of `path` for Get/Head: NotFound when nothing is there,
// or a directory (a key that is only a prefix of other keys) is.
Status StatObject(const fs::path& path, struct stat* info) {
  if (::stat(path.c_str(), info) != 0) {
    if (errno == ENOTDIR) return Status::NotFound("no object at " + path.string());
    return ErrnoStatus("stat", path, errno);
  }
  if (!S_ISREG(info->st_mode)) return Status::NotFound("no object at " + path.string());
  return Status::OK();
}

bool MissingDirectory(const std::error_code& error) {
  return error == std::errc::no_such_file_or_directory || error == std::errc::not_a_directory;
}

Status RemoveTempFiles(const fs::path& root) {
  std::error_code error;
  fs::recursive_directory_iterator it(root, error);
  for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (IsTempName(it->path().filename().string()) && it->is_regular_file(error)) fs::remove(it->path(), error);
    if (error) break;
  }
  if (error) return Status::IOError("removing temporary files under " + root.string() + ": " + error.message());
  return Status::OK();
}

}  // namespace

LocalDirObjectStore::LocalDirObjectStore(fs::path root, size_t max_recycled_files, uint64_t max_recycled_bytes)
    : root_(std::move(root)), max_recycled_files_(max_recycled_files), max_recycled_bytes_(max_recycled_bytes) {}

Result<std::unique_ptr<LocalDirObjectStore>> LocalDirObjectStore::Open(const fs::path& root,
                                                                       size_t max_recycled_files,
                                                                       uint64_t max_recycled_bytes) {
  std::error_code error;
  fs::path absolute_root = fs::absolute(root, error).lexically_normal();
  // "data/" names the same directory as "data"; drop the empty last part so
  // parent_path() is the real parent.
  if (!absolute_root.has_filename()) absolute_root = absolute_root.parent_path();
  if (!error) fs::create_directories(absolute_root, error);
  if (error) return ErrnoStatus("create directory", root, error.value());
  if (!fs::is_directory(absolute_root, error)) return Status::IOError(root.string() + " is not a directory");
  // The root's own entry must be durable before objects under it are.
  if (Status s = SyncDirectory(absolute_root.parent_path()); !s.ok()) return s;
  if (Status s = RemoveTempFiles(absolute_root); !s.ok()) return s;
  return std::unique_ptr<LocalDirObjectStore>(
      new LocalDirObjectStore(std::move(absolute_root), max_recycled_files, max_recycled_bytes));
}

Status LocalDirObjectStore::MakeDirectories(const fs::path& dir) const {
  struct stat info;
  if (::stat(dir.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) return Status::OK();
    return Status::InvalidArgument(dir.lexically_relative(root_).string() +
                                   " is an object, so it cannot be a prefix of another key");
  }
  if (errno == ENOTDIR) {
    return Status::InvalidArgument("a prefix of " + dir.lexically_relative(root_).string() +
                                   " is an object, so it cannot be a prefix of another key");
  }
  if (errno != ENOENT) return ErrnoStatus("stat", dir, errno);
  if (Status s = MakeDirectories(dir.parent_path()); !s.ok()) return s;
  // EEXIST: another Put made it meanwhile; sync the parent anyway, as this
  // Put must not return before the entry is durable.
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoStatus("mkdir", dir, errno);
  return SyncDirectory(dir.parent_path());
}

fs::path LocalDirObjectStore::TempPathFor(const fs::path& target) {
  // Not derived from the target name, which may already be near NAME_MAX.
  std::string name = std::string(kTempFilePrefix) + std::to_string(::getpid()) + "." +
                     std::to_string(temp_counter_.fetch_add(1, std::memory_order_relaxed));
  return target.parent_path() / name;
}

Status LocalDirObjectStore::Put(const std::string& key, const ObjectBody& data) {
  return Store(key, data, /*replace_existing=*/true);
}

Status LocalDirObjectStore::PutIfAbsent(const std::string& key, const ObjectBody& data) {
  return Store(key, data, /*replace_existing=*/false);
}

Status LocalDirObjectStore::Store(const std::string& key, const ObjectBody& data, bool replace_existing) {
  if (Status s = ValidateLocalKey(key); !s.ok()) return s;
  fs::path target = root_ / key;
  fs::path dir = target.parent_path();
  if (Status s = MakeDirectories(dir); !s.ok()) return s;
  fs::path temp = TempPathFor(target);
  Status status = WriteDurably(temp, data, ReuseRecycledFile(temp));
  if (status.ok()) {
    // link(2) never replaces an existing name, so of racing PutIfAbsent
    // calls exactly one links its file; the others get EEXIST.
    int rc = replace_existing ? ::rename(temp.c_str(), target.c_str()) : ::link(temp.c_str(), target.c_str());
    if (rc != 0) {
      int error = errno;
      std::error_code stat_error;  // a failed check reads as "not a directory"
      bool is_directory = error == EISDIR || (error == EEXIST && fs::is_directory(target, stat_error));
      if (is_directory) {
        status = Status::InvalidArgument(key + " is a prefix of other keys, so it cannot be an object");
      } else if (error == EEXIST) {
        status = Status::AlreadyExists("object " + key + " already exists");
      } else {
        status = ErrnoStatus(replace_existing ? "rename to" : "link to", target, error);
      }
    }
  }
  // After a rename the temporary name is gone already; after a link (or a
  // failure) it must go, and a crash before this unlink leaves a temporary
  // file that Open removes.
  if (!status.ok() || !replace_existing) ::unlink(temp.c_str());
  if (!status.ok()) return status;
  return SyncDirectory(dir);
}

Status LocalDirObjectStore::Get(const std::string& key, std::string* out, uint64_t offset, uint64_t length) {
  if (Status s = ValidateLocalKey(key); !s.ok()) return s;
  const ReadRegistration registration(*this);
  fs::path path = root_ / key;
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOTDIR) return Status::NotFound("no object " + key);
    return ErrnoStatus("open", path, errno);
  }
  struct stat info;
  if (::fstat(fd.get(), &info) != 0) return ErrnoStatus("fstat", path, errno);
  if (!S_ISREG(info.st_mode)) return Status::NotFound("no object " + key);
  Result<uint64_t> count = RangeLength(key, static_cast<uint64_t>(info.st_size), offset, length);
  if (!count.ok()) return count.status();
  return ReadAt(fd.get(), path, offset, *count, out);
}

Status LocalDirObjectStore::Head(const std::string& key, ObjectInfo* info) {
  if (Status s = ValidateLocalKey(key); !s.ok()) return s;
  struct stat file_info;
  if (Status s = StatObject(root_ / key, &file_info); !s.ok()) return s;
  *info = ObjectInfo{key, static_cast<uint64_t>(file_info.st_size), ""};
  return Status::OK();
}

Status LocalDirObjectStore::CollectKeys(const fs::path& dir, const std::string& dir_key, const std::string& prefix,
                                        const std::string& continuation, std::vector<std::string>* keys) const {
  std::error_code error;
  fs::directory_iterator it(dir, error);
  if (MissingDirectory(error)) return Status::OK();
  for (; !error && it != fs::directory_iterator(); it.increment(error)) {
    std::string name = it->path().filename().string();
    if (IsTempName(name)) continue;
    std::string key = dir_key + name;
    std::error_code type_error;
    if (it->is_directory(type_error)) {
      std::string sub_prefix = key + "/";
      bool may_match = sub_prefix.starts_with(prefix) || prefix.starts_with(sub_prefix);
      // Every key under sub_prefix sorts before a continuation that is
      // greater than sub_prefix without starting with it.
      bool all_listed = continuation > sub_prefix && !continuation.starts_with(sub_prefix);
      if (!may_match || all_listed) continue;
      if (Status s = CollectKeys(it->path(), sub_prefix, prefix, continuation, keys); !s.ok()) return s;
    } else if (it->is_regular_file(type_error) && key.starts_with(prefix) && key > continuation) {
      keys->push_back(std::move(key));
    }
  }
  // A directory deleted while we walk it simply has no keys.
  if (error && !MissingDirectory(error)) {
    return Status::IOError("listing " + dir.string() + ": " + error.message());
  }
  return Status::OK();
}

Status LocalDirObjectStore::List(const std::string& prefix, const std::string& continuation, size_t max_keys,
                                 ListPage* page) {
  if (Status s = ValidateMaxKeys(max_keys); !s.ok()) return s;
  // Copied first: callers may pass page->next_continuation itself.
  const std::string start_after = continuation;
  page->objects.clear();
  page->next_continuation.clear();
  // Walk only the directory the prefix's complete segments name. If they
  // break the key rules, no valid key can match.
  size_t last_slash = prefix.rfind('/');
  std::string dir_key = last_slash == std::string::npos ? "" : prefix.substr(0, last_slash + 1);
  if (!dir_key.empty() && !ValidateLocalKey(std::string_view(dir_key).substr(0, last_slash)).ok()) {
    return Status::OK();
  }
  std::vector<std::string> keys;
  if (Status s = CollectKeys(root_ / dir_key, dir_key, prefix, start_after, &keys); !s.ok()) return s;
  std::sort(keys.begin(), keys.end());
  size_t next = 0;
  for (; next < keys.size() && page->objects.size() < max_keys; ++next) {
    struct stat info;
    Status s = StatObject(root_ / keys[next], &info);
    if (s.IsNotFound()) continue;  // deleted since the walk
    if (!s.ok()) return s;
    page->objects.push_back(ObjectInfo{keys[next], static_cast<uint64_t>(info.st_size), ""});
  }
  if (next < keys.size()) page->next_continuation = page->objects.back().key;
  return Status::OK();
}

bool LocalDirObjectStore::Recycle(const fs::path& path, uint64_t size) {
  std::lock_guard lock(recycled_mutex_);
  if (recycled_.size() >= max_recycled_files_) return false;
  // Its blocks are kept for the next Put to write over while within the
  // bound; beyond it they are freed now, unless a Get in progress may be
  // reading them (one that begins later cannot open the file: the rename
  // below comes first).
  uint64_t kept_bytes = size;
  if (recycled_bytes_ + size > max_recycled_bytes_) {
    if (!reads_begun_.empty() || ::truncate(path.c_str(), 0) != 0) return false;
    kept_bytes = 0;
  }
  fs::path recycled_path = TempPathFor(root_ / "recycled");
  if (::rename(path.c_str(), recycled_path.c_str()) != 0) return false;
  recycled_.push_back(RecycledFile{std::move(recycled_path), kept_bytes, ++recycles_});
  recycled_bytes_ += kept_bytes;
  return true;
}

bool LocalDirObjectStore::ReuseRecycledFile(const fs::path& temp) {
  std::lock_guard lock(recycled_mutex_);
  // A Get that began before a file was recycled may have it open still.
  while (!recycled_.empty() && (reads_begun_.empty() || *reads_begun_.begin() >= recycled_.front().recycle)) {
    RecycledFile file = std::move(recycled_.front());
    recycled_.pop_front();
    recycled_bytes_ -= file.size;
    if (::rename(file.path.c_str(), temp.c_str()) == 0) return true;
    ::unlink(file.path.c_str());
  }
  return false;
}

LocalDirObjectStore::ReadRegistration::ReadRegistration(LocalDirObjectStore& store) : store_(store) {
  std::lock_guard lock(store_.recycled_mutex_);
  entry_ = store_.reads_begun_.insert(store_.recycles_);
}

LocalDirObjectStore::ReadRegistration::~ReadRegistration() {
  std::lock_guard lock(store_.recycled_mutex_);
  store_.reads_begun_.erase(entry_);
}

Status LocalDirObjectStore::DeleteBatch(const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    if (Status s = ValidateLocalKey(key); !s.ok()) return s;
  }
  std::set<fs::path> touched_dirs;
  for (const std::string& key : keys) {
    fs::path path = root_ / key;
    struct stat info;
    if (::lstat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && Recycle(path, info.st_size)) {
      touched_dirs.insert(path.parent_path());
    } else if (::unlink(path.c_str()) == 0) {
      touched_dirs.insert(path.parent_path());
    } else if (errno != ENOENT && errno != ENOTDIR && errno != EISDIR) {
      return ErrnoStatus("unlink", path, errno);
    }
  }
  // Make the deletions durable so a crash cannot bring objects back.
  for (const fs::path& dir : touched_dirs) {
    if (Status s = SyncDirectory(dir); !s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace kafscale
