// What the contract cannot see: the on-disk layout, temporary files and
// crash behaviour of LocalDirObjectStore.
#include "objectstore/local_dir_object_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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
