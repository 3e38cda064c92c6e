// A contract test suite for any MetadataStore, using only the interface.
//
// Use: link metadata_store_contract.cc into the test binary and instantiate
//   INSTANTIATE_TEST_SUITE_P(Etcd, MetadataStoreContractTest,
//                            ::testing::Values(MetadataStoreFactory{"etcd", open_fn}),
//                            MetadataStoreFactoryName);
//
// The suite works against a shared server (etcd): every test writes only
// under its own unique key prefix, and never assumes the store is empty or
// that revisions start anywhere. Lease tests use TTLs of 2 s (etcd's
// minimum with default timing) and take a few seconds each.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "metastore/metadata_store.h"

namespace kafscale {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction.
class ScratchDir : NonCopyable {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct MetadataStoreFactory {
  std::string name;  // test-name suffix: letters, digits and '_' only
  // Opens the store under test. `scratch_dir` is an empty directory that
  // exists for the duration of one test (an embedded store lives there; a
  // client of a server may ignore it).
  std::function<std::unique_ptr<MetadataStore>(const std::string& scratch_dir)> open;
};

std::string MetadataStoreFactoryName(const ::testing::TestParamInfo<MetadataStoreFactory>& info);

class MetadataStoreContractTest : public ::testing::TestWithParam<MetadataStoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A key under this test's private prefix.
  std::string Key(std::string_view name) const { return prefix_ + std::string(name); }

  std::unique_ptr<ScratchDir> scratch_dir_;
  std::string prefix_;
  std::unique_ptr<MetadataStore> store_;
};

}  // namespace kafscale
