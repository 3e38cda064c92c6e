// The MetadataStore contract suite against a real etcd. The suite's source
// lives with the unit tests; this binary compiles its own copy.
#include "metastore/metadata_store_contract.cc"

#include "etcd_test_env.h"

namespace kafscale {
namespace {

INSTANTIATE_TEST_SUITE_P(Etcd, MetadataStoreContractTest,
                         ::testing::Values(MetadataStoreFactory{
                             "etcd",
                             [](const std::string&) -> std::unique_ptr<MetadataStore> {
                               return etcd_test::MustOpen(etcd_test::SharedEtcdOptions());
                             }}),
                         MetadataStoreFactoryName);

}  // namespace
}  // namespace kafscale
