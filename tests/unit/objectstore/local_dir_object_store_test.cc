// What the contract cannot see: the on-disk layout, temporary files and
// crash behaviour of LocalDirObjectStore.
#include "objectstore/local_dir_object_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "objectstore/temp_dir.h"

namespace kafscale {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::unique_ptr<LocalDirObjectStore> MustOpen(const fs::path& root) {
  auto opened = LocalDirObjectStore::Open(root);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
  return opened.ok() ? std::move(opened).value() : nullptr;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void WriteFile(const fs::path& path, const std::string& data) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

std::vector<std::string> FilesUnder(const fs::path& root) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files.push_back(entry.path().lexically_relative(root).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(LocalDirObjectStoreTest, KeysMapToFilesUnderTheRoot) {
  TempDir dir;
  auto store = MustOpen(dir.path() / "objects/");
  ASSERT_TRUE(store->Put("default/orders/0/segment-00000000000000000000.kfs", "segment bytes").ok());
  EXPECT_EQ(ReadFile(dir.path() / "objects/default/orders/0/segment-00000000000000000000.kfs"), "segment bytes");
  EXPECT_EQ(FilesUnder(dir.path() / "objects"),
            std::vector<std::string>{"default/orders/0/segment-00000000000000000000.kfs"});
  EXPECT_EQ(store->root(), dir.path() / "objects");
}

TEST(LocalDirObjectStoreTest, OpenRemovesStaleTemporaryFilesAndListNeverShowsThem) {
  TempDir dir;
  const fs::path root = dir.path() / "root";
  auto store = MustOpen(root);
  ASSERT_TRUE(store->Put("t/0/a", "real").ok());
  std::string temp_name = std::string(LocalDirObjectStore::kTempFilePrefix) + "999.1";
  WriteFile(root / "t/0" / temp_name, "half written");
  WriteFile(root / temp_name, "half written");

  std::vector<ObjectInfo> listed;
  ASSERT_TRUE(ListAll(*store, "", &listed).ok());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].key, "t/0/a");

  store.reset();
  store = MustOpen(root);
  EXPECT_EQ(FilesUnder(root), std::vector<std::string>{"t/0/a"});
}

TEST(LocalDirObjectStoreTest, KeysShapedLikeTemporaryFilesAreRejected) {
  TempDir dir;
  auto store = MustOpen(dir.path());
  std::string temp_like = std::string(LocalDirObjectStore::kTempFilePrefix) + "x";
  EXPECT_EQ(store->Put(temp_like, "v").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store->Put("a/" + temp_like + "/b", "v").code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(store->Put("a/b" + temp_like, "v").ok());  // only a segment prefix is reserved
}

TEST(LocalDirObjectStoreTest, AKeyCannotBeBothAnObjectAndAPrefix) {
  TempDir dir;
  auto store = MustOpen(dir.path());
  ASSERT_TRUE(store->Put("a", "file").ok());
  EXPECT_EQ(store->Put("a/b", "v").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store->Put("a/b/c", "v").code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(store->Put("d/e", "v").ok());
  EXPECT_EQ(store->Put("d", "v").code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(FilesUnder(dir.path()), (std::vector<std::string>{"a", "d/e"}));
}

TEST(LocalDirObjectStoreTest, OpenFailsWhenTheRootIsAFile) {
  TempDir dir;
  WriteFile(dir.path() / "file", "x");
  EXPECT_FALSE(LocalDirObjectStore::Open(dir.path() / "file").ok());
}

TEST(LocalDirObjectStoreTest, ObjectsSurviveReopening) {
  TempDir dir;
  ASSERT_TRUE(MustOpen(dir.path())->Put("p/q", "durable").ok());
  std::string out;
  ASSERT_TRUE(MustOpen(dir.path())->Get("p/q", &out).ok());
  EXPECT_EQ(out, "durable");
}

// Objects are written with direct I/O where the file system has it; tmpfs
// has not, so there every byte goes through the buffered path.
TEST(LocalDirObjectStoreTest, FileSystemsWithoutDirectIoStoreObjectsToo) {
  const fs::path shm = "/dev/shm";
  if (!fs::is_directory(shm)) GTEST_SKIP() << "no /dev/shm";
  const fs::path root = shm / ("kafscale-test-" + std::to_string(::getpid()));
  const std::string bytes = std::string(3 * 4096 + 17, 'q') + "end";
  {
    auto store = MustOpen(root);
    ASSERT_TRUE(store->PutIfAbsent("a/b", bytes).ok());
    std::string out;
    ASSERT_TRUE(store->Get("a/b", &out).ok());
    EXPECT_EQ(out, bytes);
  }
  fs::remove_all(root);
}

// Pieces that lie at the same offset modulo the block in memory and in the
// object are written from where they are, the others through the staging
// buffer: whatever the mix, the object holds the pieces' bytes in order.
TEST(LocalDirObjectStoreTest, AlignedAndUnalignedPiecesAreStoredInOrder) {
  constexpr size_t kAlign = LocalDirObjectStore::kDirectIoAlignment;
  struct AlignedFree {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, AlignedFree> memory(static_cast<char*>(std::aligned_alloc(kAlign, 8 << 20)));
  char* aligned = memory.get();
  for (size_t i = 0; i < (8u << 20); ++i) aligned[i] = static_cast<char>('a' + i * 7 % 23);
  auto at = [&](size_t offset, size_t size) { return std::string_view(aligned + offset, size); };
  const std::string header(16, 'H');
  const std::string zeros(kAlign - 16, '\0');
  const std::vector<std::vector<std::string_view>> bodies = {
      // header padded to a block, then an aligned piece with a tail, then an unaligned one
      {header, zeros, at(0, 5 * kAlign + 123), at(kAlign * 10 + 1, 3000)},
      // aligned pieces back to back (the second follows a whole number of blocks)
      {at(0, 2 * kAlign), at(4 * kAlign, 3 * kAlign), at(8 * kAlign, 17)},
      // more unaligned bytes than the staging buffer holds, then an aligned piece
      {at(1, (3 << 20) + 5), at(0, 1 << 20)},
      // aligned in memory but not in the object
      {header, at(0, 3 * kAlign)},
      // at the same offset past a block boundary in memory and in the object
      // (a segment's body after its header), then a piece adjacent in memory
      {header, at(16, 5 * kAlign), at(16 + 5 * kAlign, 2 * kAlign + 9)},
      // smaller than a block
      {at(0, 100)},
  };
  TempDir dir;
  auto store = MustOpen(dir.path());
  for (size_t i = 0; i < bodies.size(); ++i) {
    const std::string key = "aligned/" + std::to_string(i);
    ASSERT_TRUE(store->Put(key, ObjectBody(bodies[i])).ok());
    std::string expected;
    for (std::string_view piece : bodies[i]) expected += piece;
    std::string out;
    ASSERT_TRUE(store->Get(key, &out).ok());
    EXPECT_EQ(out.size(), expected.size()) << key;
    EXPECT_TRUE(out == expected) << key;
  }
}

ino_t InodeOf(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_ino;
}

TEST(LocalDirObjectStoreTest, ADeletedObjectsFileIsWrittenOverByTheNextPut) {
  TempDir dir;
  auto store = MustOpen(dir.path());
  ASSERT_TRUE(store->Put("wal/1", std::string(3 * 4096 + 100, 'a')).ok());
  const ino_t deleted_inode = InodeOf(dir.path() / "wal/1");
  ASSERT_TRUE(store->DeleteBatch({"wal/1"}).ok());
  std::string out;
  EXPECT_TRUE(store->Get("wal/1", &out).IsNotFound());
  ListPage page;
  ASSERT_TRUE(store->List("", "", 100, &page).ok());
  EXPECT_TRUE(page.objects.empty());
  // Shorter than the old object: nothing of the old one may show past its end.
  ASSERT_TRUE(store->PutIfAbsent("topic/0/segment", "new and short").ok());
  EXPECT_EQ(InodeOf(dir.path() / "topic/0/segment"), deleted_inode);
  ASSERT_TRUE(store->Get("topic/0/segment", &out).ok());
  EXPECT_EQ(out, "new and short");
  EXPECT_EQ(FilesUnder(dir.path()), std::vector<std::string>{"topic/0/segment"});
}

TEST(LocalDirObjectStoreTest, RecycledFilesStayWithinTheBoundAndGoWhenReopened) {
  TempDir dir;
  constexpr size_t kMaxRecycled = 8;
  constexpr uint64_t kMaxRecycledBytes = 20;  // two of the 8-byte objects below
  auto opened = LocalDirObjectStore::Open(dir.path(), kMaxRecycled, kMaxRecycledBytes);
  ASSERT_TRUE(opened.ok());
  auto store = std::move(opened).value();
  const size_t objects = kMaxRecycled + 10;
  std::vector<std::string> keys;
  for (size_t i = 0; i < objects; ++i) {
    keys.push_back("wal/" + std::to_string(i));
    ASSERT_TRUE(store->Put(keys.back(), "object " + std::to_string(i % 10)).ok());
  }
  ASSERT_TRUE(store->DeleteBatch(keys).ok());
  EXPECT_EQ(FilesUnder(dir.path()).size(), kMaxRecycled);
  // Within the byte bound files keep their blocks; the others were emptied.
  size_t with_bytes = 0;
  for (const std::string& file : FilesUnder(dir.path())) with_bytes += fs::file_size(dir.path() / file) > 0;
  EXPECT_EQ(with_bytes, 2u);
  store = MustOpen(dir.path());
  EXPECT_TRUE(FilesUnder(dir.path()).empty());
}

// Objects created and deleted as fast as possible while readers fetch them:
// a read that succeeds returns its own object's bytes, never those of a
// later object written over a recycled file.
TEST(LocalDirObjectStoreTest, ReadersNeverSeeAnotherObjectWrittenOverARecycledFile) {
  TempDir dir;
  auto store = MustOpen(dir.path());
  auto content = [](int i) { return std::string(1024 * 1024 + i % 4096, static_cast<char>('a' + i % 26)); };
  std::atomic<int> newest{-1};
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, wrong{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      std::string out;
      while (!stop) {
        const int i = newest.load();
        if (i < 0) continue;
        if (store->Get("wal/" + std::to_string(i), &out).ok()) {
          ++reads;
          if (out != content(i)) ++wrong;
        }
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(store->Put("wal/" + std::to_string(i), content(i)).ok());
    newest = i;
    if (i >= 1) {
      ASSERT_TRUE(store->DeleteBatch({"wal/" + std::to_string(i - 1)}).ok());
    }
  }
  stop = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
}

TEST(LocalDirObjectStoreTest, KilledWriterLeavesOldOrNewObjectNeverATornOne) {
  TempDir dir;
  const fs::path root = dir.path() / "root";
  constexpr size_t kSize = 4 << 20;
  ASSERT_TRUE(MustOpen(root)->Put("victim", std::string(kSize, 'a')).ok());
  for (int round = 0; round < 5; ++round) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Rewrite the object over and over until killed.
      auto opened = LocalDirObjectStore::Open(root);
      for (int i = 0;; ++i) {
        if (!opened.ok() || !(*opened)->Put("victim", std::string(kSize, static_cast<char>('a' + i % 26))).ok()) {
          ::_exit(1);
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + round * 37));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer failed before it was killed";

    auto store = MustOpen(root);  // also clears the killed writer's temp file
    std::string out;
    ASSERT_TRUE(store->Get("victim", &out).ok());
    ASSERT_EQ(out.size(), kSize) << "round " << round;
    EXPECT_EQ(out, std::string(kSize, out[0])) << "round " << round;
    EXPECT_EQ(FilesUnder(root), std::vector<std::string>{"victim"});
  }
}

}  // namespace
}  // namespace kafscale
