#include "etcd_test_env.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace kafscale::etcd_test {

namespace {
std::string EnvOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}
}  // namespace

EtcdMetadataStore::Options SharedEtcdOptions() {
  EtcdMetadataStore::Options options;
  options.endpoints = EtcdMetadataStore::ParseEndpointList(EnvOrEmpty("KAFSCALE_TEST_ETCD_ENDPOINTS"));
  EXPECT_FALSE(options.endpoints.empty())
      << "KAFSCALE_TEST_ETCD_ENDPOINTS is not set: start etcd with scripts/etcd.sh start DIR and "
         "export the variables in DIR/env";
  options.username = EnvOrEmpty("KAFSCALE_TEST_ETCD_USERNAME");
  options.password = EnvOrEmpty("KAFSCALE_TEST_ETCD_PASSWORD");
  return options;
}

std::unique_ptr<EtcdMetadataStore> MustOpen(const EtcdMetadataStore::Options& options) {
  auto store = EtcdMetadataStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return nullptr;
  return std::move(store).value();
}

}  // namespace kafscale::etcd_test
