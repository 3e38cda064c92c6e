// A single-member etcd of one test's own, started with scripts/etcd.sh in a
// scratch directory, for tests that stop, restart, compact or enable auth
// (which must not disturb the shared test etcd other tests use at the same
// time).
#pragma once

#include <string>

#include "metastore/metadata_store_contract.h"
#include "metastore/etcd_store.h"

namespace kafscale::etcd_test {

class PrivateEtcd : NonCopyable {
 public:
  // Starts etcd; with `with_auth`, auth is enabled and a user created.
  // Check started() (a failure is also reported to the current test).
  explicit PrivateEtcd(bool with_auth = false);
  // Stops etcd (if running) and removes its directory.
  ~PrivateEtcd();

  bool started() const { return !endpoint_.empty(); }
  // Stops etcd and waits until it has exited; data and ports are kept.
  bool Stop();
  // Starts it again on the same data and ports.
  bool Start();

  const std::string& endpoint() const { return endpoint_; }
  // Options with this etcd's endpoint and credentials.
  EtcdMetadataStore::Options options() const;

 private:
  bool RunScript(const std::string& verb, const std::string& flags);
  bool ReadEnv();

  ScratchDir dir_;
  const bool with_auth_;
  bool running_ = false;
  std::string endpoint_;
  std::string username_;
  std::string password_;
};

}  // namespace kafscale::etcd_test
