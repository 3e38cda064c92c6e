// Shared setup of the etcd integration tests: where the shared test etcd is
// (KAFSCALE_TEST_ETCD_ENDPOINTS, set by `scripts/etcd.sh start DIR` in
// DIR/env) and how to open a store on it.
#pragma once

#include <memory>
#include <string>

#include "metastore/etcd_store.h"

namespace kafscale::etcd_test {

// Options for the shared etcd: endpoints from KAFSCALE_TEST_ETCD_ENDPOINTS
// (a test FAILS, it does not skip, when it is missing) and credentials from
// KAFSCALE_TEST_ETCD_USERNAME / _PASSWORD when set.
EtcdMetadataStore::Options SharedEtcdOptions();

// Opens a store, failing the current test (and returning null) on error.
std::unique_ptr<EtcdMetadataStore> MustOpen(const EtcdMetadataStore::Options& options);

}  // namespace kafscale::etcd_test
