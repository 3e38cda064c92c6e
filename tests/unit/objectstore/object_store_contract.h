// The ObjectStore contract as a reusable, value-parameterized test suite.
// Every implementation (memory, local directory, S3/radosgw, wrappers) is
// instantiated against the same expectations; the suite uses only the
// ObjectStore interface, never an implementation's internals.
//
// To run it against a store, in some _test.cc:
//
//   INSTANTIATE_TEST_SUITE_P(MyStore, ObjectStoreContractTest,
//       ::testing::Values(ObjectStoreContractParam{"MyStore", [] { return MakeMyStoreUnderTest(); }}),
//       ObjectStoreContractName);
//
// The header defines the tests, so include it in exactly one .cc per test
// binary and put all of that binary's instantiations there.
// Each test writes only keys under its own unique prefix and deletes them at
// the end, so stores backed by a shared bucket can run the suite too.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "objectstore/object_store.h"

namespace kafscale::testing {

// Owns a store (and whatever it needs: a directory, a server connection) for
// the length of one test.
class ObjectStoreUnderTest {
 public:
  virtual ~ObjectStoreUnderTest() = default;
  virtual ObjectStore& store() = 0;
};

struct ObjectStoreContractParam {
  std::string name;  // test-name suffix: letters, digits and '_' only
  std::function<std::unique_ptr<ObjectStoreUnderTest>()> make;
};

inline void PrintTo(const ObjectStoreContractParam& param, std::ostream* out) { *out << param.name; }

inline std::string ObjectStoreContractName(const ::testing::TestParamInfo<ObjectStoreContractParam>& info) {
  return info.param.name;
}

class ObjectStoreContractTest : public ::testing::TestWithParam<ObjectStoreContractParam> {
 protected:
  void SetUp() override {
    under_test_ = GetParam().make();
    ASSERT_NE(under_test_, nullptr);
    store_ = &under_test_->store();
    std::random_device random;
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    prefix_ = std::string("contract/") + info->name() + "-" + std::to_string(random()) + "/";
  }

  void TearDown() override {
    if (store_ == nullptr) return;
    std::vector<ObjectInfo> left;
    ASSERT_TRUE(ListAll(*store_, prefix_, &left).ok());
    std::vector<std::string> keys;
    for (const ObjectInfo& object : left) keys.push_back(object.key);
    // Chunked like S3's DeleteObjects, which takes at most 1,000 keys.
    for (size_t start = 0; start < keys.size(); start += 1000) {
      std::vector<std::string> chunk(keys.begin() + start, keys.begin() + std::min(keys.size(), start + 1000));
      EXPECT_TRUE(store_->DeleteBatch(chunk).ok());
    }
  }

  // A key under this test's private prefix.
  std::string Key(const std::string& suffix) const { return prefix_ + suffix; }

  std::string MustGet(const std::string& key, uint64_t offset = 0, uint64_t length = ObjectStore::kToEnd) {
    std::string out;
    Status s = store_->Get(key, &out, offset, length);
    EXPECT_TRUE(s.ok()) << key << ": " << s.ToString();
    return out;
  }

  void MustPut(const std::string& key, std::string_view data) {
    Status s = store_->Put(key, data);
    ASSERT_TRUE(s.ok()) << key << ": " << s.ToString();
  }

  std::vector<std::string> ListKeys(const std::string& prefix) {
    std::vector<ObjectInfo> objects;
    Status s = ListAll(*store_, prefix, &objects);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<std::string> keys;
    for (const ObjectInfo& object : objects) keys.push_back(object.key);
    return keys;
  }

  // Puts `count` small objects named Key(stem + zero-padded index) from a few
  // threads, as a real store is slow per request.
  std::vector<std::string> PutMany(const std::string& stem, int count) {
    std::vector<std::string> keys;
    for (int i = 0; i < count; ++i) {
      char suffix[16];
      std::snprintf(suffix, sizeof(suffix), "%05d", i);
      keys.push_back(Key(stem + suffix));
    }
    std::atomic<size_t> next{0};
    std::atomic<int> failures{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < 8; ++t) {
      workers.emplace_back([&] {
        for (size_t i = next++; i < keys.size(); i = next++) {
          if (!store_->Put(keys[i], keys[i]).ok()) ++failures;
        }
      });
    }
    for (std::thread& worker : workers) worker.join();
    EXPECT_EQ(failures.load(), 0);
    return keys;
  }

  std::unique_ptr<ObjectStoreUnderTest> under_test_;
  ObjectStore* store_ = nullptr;
  std::string prefix_;
};

inline std::string BinaryBytes(size_t size) {
  std::string out(size, '\0');
  std::mt19937 random(7);
  for (char& c : out) c = static_cast<char>(random());
  return out;
}

TEST_P(ObjectStoreContractTest, PutThenGetReturnsTheBytes) {
  std::string data = BinaryBytes(100000);  // includes NUL bytes
  MustPut(Key("dir/object.kfs"), data);
  EXPECT_EQ(MustGet(Key("dir/object.kfs")), data);

  MustPut(Key("empty"), "");
  EXPECT_EQ(MustGet(Key("empty")), "");
  ObjectInfo info;
  ASSERT_TRUE(store_->Head(Key("empty"), &info).ok());
  EXPECT_EQ(info.size, 0u);
}

TEST_P(ObjectStoreContractTest, GetReplacesTheOutputContents) {
  MustPut(Key("a"), "new");
  std::string out = "previous contents that are longer";
  ASSERT_TRUE(store_->Get(Key("a"), &out).ok());
  EXPECT_EQ(out, "new");
}

TEST_P(ObjectStoreContractTest, PutOverwrites) {
  MustPut(Key("k"), "first version, longer");
  MustPut(Key("k"), "second");
  EXPECT_EQ(MustGet(Key("k")), "second");
  ObjectInfo info;
  ASSERT_TRUE(store_->Head(Key("k"), &info).ok());
  EXPECT_EQ(info.size, 6u);
  EXPECT_EQ(ListKeys(prefix_), std::vector<std::string>{Key("k")});
}

TEST_P(ObjectStoreContractTest, PutIfAbsentStoresANewObject) {
  std::string data = BinaryBytes(50000);
  ASSERT_TRUE(store_->PutIfAbsent(Key("new/segment.kfs"), data).ok());
  EXPECT_EQ(MustGet(Key("new/segment.kfs")), data);
  ASSERT_TRUE(store_->PutIfAbsent(Key("new/empty"), "").ok());
  EXPECT_EQ(MustGet(Key("new/empty")), "");
  EXPECT_EQ(ListKeys(prefix_), (std::vector<std::string>{Key("new/empty"), Key("new/segment.kfs")}));
}

// Bodies given in pieces are stored back to back, whatever their sizes
// (around the 4 KiB blocks a local store writes directly, and across them).
TEST_P(ObjectStoreContractTest, PiecesOfABodyAreStoredBackToBack) {
  const std::string bytes = BinaryBytes(3 * 1024 * 1024 + 5000);
  std::mt19937 random(11);
  for (size_t size : {size_t{0}, size_t{1}, size_t{4095}, size_t{4096}, size_t{4097}, size_t{1024 * 1024 + 3},
                      bytes.size()}) {
    const std::string_view whole = std::string_view(bytes).substr(0, size);
    std::vector<std::string_view> pieces;
    for (size_t at = 0; at < size;) {
      // Empty pieces and pieces of a few bytes up to about a megabyte.
      const size_t length = std::min<size_t>(size - at, random() % 3 == 0 ? random() % 9 : random() % (1 << 20));
      pieces.push_back(whole.substr(at, length));
      at += length;
    }
    const std::string key = Key("pieces/" + std::to_string(size));
    ASSERT_TRUE(store_->PutIfAbsent(key, ObjectBody(pieces)).ok()) << size;
    EXPECT_TRUE(MustGet(key) == whole) << size << " bytes in " << pieces.size() << " pieces";
    ASSERT_TRUE(store_->Put(key, ObjectBody(pieces)).ok()) << size;
    EXPECT_TRUE(MustGet(key) == whole) << size << " bytes in " << pieces.size() << " pieces, replaced";
  }
}

TEST_P(ObjectStoreContractTest, PutIfAbsentLeavesAnExistingObjectAlone) {
  MustPut(Key("taken"), "committed by the new owner");
  Status s = store_->PutIfAbsent(Key("taken"), "written by a zombie");
  EXPECT_TRUE(s.IsAlreadyExists()) << s.ToString();
  EXPECT_THAT(s.message(), ::testing::HasSubstr(Key("taken")));
  EXPECT_EQ(MustGet(Key("taken")), "committed by the new owner");

  ASSERT_TRUE(store_->PutIfAbsent(Key("once"), "first").ok());
  EXPECT_TRUE(store_->PutIfAbsent(Key("once"), "first").IsAlreadyExists());  // even with the same bytes
  EXPECT_EQ(MustGet(Key("once")), "first");

  // A deleted key is absent again.
  ASSERT_TRUE(store_->DeleteBatch({Key("once")}).ok());
  ASSERT_TRUE(store_->PutIfAbsent(Key("once"), "second").ok());
  EXPECT_EQ(MustGet(Key("once")), "second");
  EXPECT_EQ(ListKeys(prefix_), (std::vector<std::string>{Key("once"), Key("taken")}));
}

TEST_P(ObjectStoreContractTest, PutIfAbsentRacersExactlyOneWins) {
  constexpr int kRounds = 5;
  constexpr int kRacers = 6;
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = Key("raced/" + std::to_string(round));
    std::atomic<int> ready{0};
    std::vector<Status> results(kRacers);
    std::vector<std::thread> racers;
    for (int r = 0; r < kRacers; ++r) {
      racers.emplace_back([&, r] {
        // Start together so the calls overlap.
        ++ready;
        while (ready.load() < kRacers) std::this_thread::yield();
        results[r] = store_->PutIfAbsent(key, "racer " + std::to_string(r) + std::string(10000, 'x'));
      });
    }
    for (std::thread& racer : racers) racer.join();
    int winner = -1;
    for (int r = 0; r < kRacers; ++r) {
      if (results[r].ok()) {
        EXPECT_EQ(winner, -1) << "round " << round << ": racers " << winner << " and " << r << " both won";
        winner = r;
      } else {
        EXPECT_TRUE(results[r].IsAlreadyExists()) << "round " << round << ": " << results[r].ToString();
      }
    }
    ASSERT_NE(winner, -1) << "round " << round << ": nobody won";
    EXPECT_EQ(MustGet(key), "racer " + std::to_string(winner) + std::string(10000, 'x')) << "round " << round;
  }
}

TEST_P(ObjectStoreContractTest, RangedGet) {
  const std::string data = "0123456789abcdefghij";
  MustPut(Key("r"), data);
  EXPECT_EQ(MustGet(Key("r"), 5, 4), "5678");        // middle
  EXPECT_EQ(MustGet(Key("r"), 0, 1), "0");           // first byte
  EXPECT_EQ(MustGet(Key("r"), 19, 1), "j");          // last byte
  EXPECT_EQ(MustGet(Key("r"), 12), "cdefghij");      // to the end
  EXPECT_EQ(MustGet(Key("r"), 15, 1000), "fghij");   // past the end: cut
  EXPECT_EQ(MustGet(Key("r"), 0, 20), data);

  std::string out;
  EXPECT_EQ(store_->Get(Key("r"), &out, 20, 5).code(), Status::Code::kInvalidArgument);  // at the end
  EXPECT_EQ(store_->Get(Key("r"), &out, 21).code(), Status::Code::kInvalidArgument);     // past the end
  EXPECT_EQ(store_->Get(Key("r"), &out, uint64_t{1} << 40).code(), Status::Code::kInvalidArgument);
}

TEST_P(ObjectStoreContractTest, HeadReportsKeyAndSize) {
  MustPut(Key("h/one"), std::string(1234, 'x'));
  ObjectInfo info;
  ASSERT_TRUE(store_->Head(Key("h/one"), &info).ok());
  EXPECT_EQ(info.key, Key("h/one"));
  EXPECT_EQ(info.size, 1234u);
}

TEST_P(ObjectStoreContractTest, MissingObjectsAreNotFound) {
  MustPut(Key("d/e"), "x");
  std::string out;
  ObjectInfo info;
  for (const std::string& key : {Key("missing"), Key("d"), Key("d/e/f"), Key("d/ee")}) {
    EXPECT_TRUE(store_->Get(key, &out).IsNotFound()) << key;
    EXPECT_TRUE(store_->Get(key, &out, 3, 4).IsNotFound()) << key;
    EXPECT_TRUE(store_->Head(key, &info).IsNotFound()) << key;
  }
}

TEST_P(ObjectStoreContractTest, ListFiltersByPrefixInByteOrder) {
  // '-' < '.' < '/' < '0': byte order differs from a directory walk's.
  for (const char* suffix : {"a0", "a/b", "a.b", "a-b", "a/c/d", "ab/1", "b/1", "a/2"}) {
    MustPut(Key(suffix), std::string(suffix));
  }
  EXPECT_THAT(ListKeys(Key("a/")), ::testing::ElementsAre(Key("a/2"), Key("a/b"), Key("a/c/d")));
  EXPECT_THAT(ListKeys(Key("a")), ::testing::ElementsAre(Key("a-b"), Key("a.b"), Key("a/2"), Key("a/b"),
                                                          Key("a/c/d"), Key("a0"), Key("ab/1")));
  EXPECT_THAT(ListKeys(Key("a/c")), ::testing::ElementsAre(Key("a/c/d")));
  EXPECT_THAT(ListKeys(Key("a/b")), ::testing::ElementsAre(Key("a/b")));
  EXPECT_THAT(ListKeys(Key("b")), ::testing::ElementsAre(Key("b/1")));
  EXPECT_TRUE(ListKeys(Key("c")).empty());
  EXPECT_TRUE(ListKeys(Key("a/b/")).empty());
  EXPECT_TRUE(ListKeys(Key("zz/")).empty());
  EXPECT_EQ(ListKeys(prefix_).size(), 8u);

  ListPage page;
  ASSERT_TRUE(store_->List(Key("a/"), "", 10, &page).ok());
  ASSERT_EQ(page.objects.size(), 3u);
  EXPECT_EQ(page.objects[1].size, 3u);  // "a/b"
  EXPECT_TRUE(page.next_continuation.empty());
}

TEST_P(ObjectStoreContractTest, ListPaginatesOverMoreThanAThousandKeys) {
  std::vector<std::string> keys = PutMany("many/", 1105);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(ListKeys(Key("many/")), keys);

  // Pages of 1,000 (S3's maximum) and of 7; continuations are passed back
  // as received, since stores may make them opaque.
  for (size_t max_keys : {1000ul, 7ul}) {
    std::vector<std::string> listed;
    std::string continuation;
    size_t pages = 0;
    do {
      ListPage page;
      ASSERT_TRUE(store_->List(Key("many/"), continuation, max_keys, &page).ok());
      ASSERT_LE(page.objects.size(), max_keys);
      ASSERT_FALSE(page.objects.empty());
      for (const ObjectInfo& object : page.objects) listed.push_back(object.key);
      continuation = page.next_continuation;
      ++pages;
    } while (!continuation.empty());
    EXPECT_EQ(listed, keys) << "max_keys " << max_keys;
    EXPECT_EQ(pages, (keys.size() + max_keys - 1) / max_keys) << "max_keys " << max_keys;
  }
}

TEST_P(ObjectStoreContractTest, LastFullPageHasNoContinuation) {
  std::vector<std::string> keys = PutMany("exact/", 6);
  ListPage page;
  ASSERT_TRUE(store_->List(Key("exact/"), "", 3, &page).ok());
  ASSERT_EQ(page.objects.size(), 3u);
  ASSERT_FALSE(page.next_continuation.empty());
  ASSERT_TRUE(store_->List(Key("exact/"), page.next_continuation, 3, &page).ok());
  ASSERT_EQ(page.objects.size(), 3u);
  EXPECT_EQ(page.objects.back().key, keys.back());
  EXPECT_TRUE(page.next_continuation.empty());
}

TEST_P(ObjectStoreContractTest, ListRejectsZeroMaxKeys) {
  ListPage page;
  EXPECT_EQ(store_->List(prefix_, "", 0, &page).code(), Status::Code::kInvalidArgument);
}

TEST_P(ObjectStoreContractTest, DeleteBatchRemovesKeysAndIgnoresAbsentOnes) {
  for (const char* suffix : {"x/1", "x/2", "x/3", "y"}) MustPut(Key(suffix), "v");
  ASSERT_TRUE(store_->DeleteBatch({Key("x/1"), Key("x/3"), Key("never-existed"), Key("x")}).ok());
  EXPECT_EQ(ListKeys(prefix_), (std::vector<std::string>{Key("x/2"), Key("y")}));
  std::string out;
  EXPECT_TRUE(store_->Get(Key("x/1"), &out).IsNotFound());
  EXPECT_TRUE(store_->DeleteBatch({}).ok());
  EXPECT_TRUE(store_->DeleteBatch({Key("x/1")}).ok());  // deleting twice is fine

  // A deleted key can be written again.
  MustPut(Key("x/1"), "again");
  EXPECT_EQ(MustGet(Key("x/1")), "again");
}

TEST_P(ObjectStoreContractTest, InvalidKeysAreRejected) {
  const std::string kInvalid[] = {
      "",
      "/" + Key("leading-slash"),
      Key("empty//segment"),
      Key("trailing-slash/"),
      Key("dot/../dot"),
      Key("dot/./dot"),
      "..",
      Key("nul") + std::string(1, '\0') + "byte",
      Key(std::string(kMaxObjectKeyBytes, 'k')),
  };
  for (const std::string& key : kInvalid) {
    std::string out;
    ObjectInfo info;
    EXPECT_EQ(store_->Put(key, "v").code(), Status::Code::kInvalidArgument) << key;
    EXPECT_EQ(store_->PutIfAbsent(key, "v").code(), Status::Code::kInvalidArgument) << key;
    EXPECT_EQ(store_->Get(key, &out).code(), Status::Code::kInvalidArgument) << key;
    EXPECT_EQ(store_->Head(key, &info).code(), Status::Code::kInvalidArgument) << key;
    EXPECT_EQ(store_->DeleteBatch({Key("fine"), key}).code(), Status::Code::kInvalidArgument) << key;
  }
  EXPECT_TRUE(ListKeys(prefix_).empty());
}

TEST_P(ObjectStoreContractTest, LongestKeyIsAccepted) {
  // Segments of at most 200 bytes: file systems cap a name at 255.
  std::string key = prefix_;
  while (key.size() < kMaxObjectKeyBytes) {
    key += std::string(std::min<size_t>(200, kMaxObjectKeyBytes - key.size()), 'k');
    if (key.size() < kMaxObjectKeyBytes - 1) key += '/';
  }
  ASSERT_EQ(key.size(), kMaxObjectKeyBytes);
  MustPut(key, "long");
  EXPECT_EQ(MustGet(key), "long");
  EXPECT_EQ(ListKeys(prefix_), std::vector<std::string>{key});
}

TEST_P(ObjectStoreContractTest, ConcurrentReadersSeeWholeObjects) {
  // Writers alternate two versions of one key; a reader must always see one
  // version entirely, never a mix or a torn prefix.
  const std::string key = Key("contended");
  const std::string versions[] = {std::string(200000, 'A'), std::string(150000, 'B')};
  MustPut(key, versions[0]);
  std::atomic<bool> stop{false};
  std::atomic<int> bad_reads{0};
  std::thread writer([&] {
    for (int i = 1; i <= 40; ++i) EXPECT_TRUE(store_->Put(key, versions[i % 2]).ok());
    stop = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      std::string out;
      while (!stop) {
        if (!store_->Get(key, &out).ok() || (out != versions[0] && out != versions[1])) ++bad_reads;
      }
    });
  }
  writer.join();
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(bad_reads.load(), 0);
  EXPECT_EQ(MustGet(key), versions[0]);
}

}  // namespace kafscale::testing
