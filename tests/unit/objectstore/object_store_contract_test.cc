// Runs the ObjectStore contract against every store this binary can build
// without a server.
#include "objectstore/object_store_contract.h"

#include "objectstore/fault_injecting_object_store.h"
#include "objectstore/local_dir_object_store.h"
#include "objectstore/memory_object_store.h"
#include "objectstore/read_replica_object_store.h"
#include "objectstore/temp_dir.h"

namespace kafscale::testing {
namespace {

class MemoryUnderTest : public ObjectStoreUnderTest {
 public:
  ObjectStore& store() override { return store_; }

 private:
  MemoryObjectStore store_;
};

class LocalDirUnderTest : public ObjectStoreUnderTest {
 public:
  LocalDirUnderTest() {
    auto opened = LocalDirObjectStore::Open(dir_.path() / "root");
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    if (opened.ok()) store_ = std::move(opened).value();
  }
  ObjectStore& store() override { return *store_; }

 private:
  TempDir dir_;
  std::unique_ptr<LocalDirObjectStore> store_;
};

// The wrapper with no faults set must be transparent.
class PassThroughFaultInjectorUnderTest : public ObjectStoreUnderTest {
 public:
  ObjectStore& store() override { return wrapper_; }

 private:
  MemoryObjectStore inner_;
  FaultInjectingObjectStore wrapper_{inner_};
};

// With an empty replica every read falls back to the primary, so the
// decorator must be transparent.
class ReadReplicaOverEmptyReplicaUnderTest : public ObjectStoreUnderTest {
 public:
  ObjectStore& store() override { return store_; }

 private:
  MemoryObjectStore primary_;
  MemoryObjectStore replica_;
  ReadReplicaObjectStore store_{primary_, replica_};
};

template <typename UnderTest>
ObjectStoreContractParam Param(const std::string& name) {
  return {name, [] { return std::unique_ptr<ObjectStoreUnderTest>(new UnderTest()); }};
}

INSTANTIATE_TEST_SUITE_P(Stores, ObjectStoreContractTest,
                         ::testing::Values(Param<MemoryUnderTest>("Memory"), Param<LocalDirUnderTest>("LocalDir"),
                                           Param<PassThroughFaultInjectorUnderTest>("FaultInjectorPassThrough"),
                                           Param<ReadReplicaOverEmptyReplicaUnderTest>("ReadReplicaOverEmptyReplica")),
                         ObjectStoreContractName);

}  // namespace
}  // namespace kafscale::testing
