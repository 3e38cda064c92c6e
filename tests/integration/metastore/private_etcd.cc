#include "private_etcd.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace kafscale::etcd_test {

namespace {

// scripts/etcd.sh of the source tree (KAFSCALE_SOURCE_DIR comes from CMake).
std::string ScriptPath() {
  return (std::filesystem::path(KAFSCALE_SOURCE_DIR) / "scripts/etcd.sh").string();
}

}  // namespace

PrivateEtcd::PrivateEtcd(bool with_auth) : with_auth_(with_auth) {
  if (Start()) ReadEnv();
}

PrivateEtcd::~PrivateEtcd() {
  if (running_) Stop();
}

bool PrivateEtcd::RunScript(const std::string& verb, const std::string& flags) {
  const std::string command = "bash '" + ScriptPath() + "' " + verb + " '" + dir_.path() + "' " + flags + " >>'" +
                              dir_.path() + "/script.log' 2>&1";
  const int status = std::system(command.c_str());
  EXPECT_EQ(status, 0) << command << "; see " << dir_.path() << "/script.log";
  return status == 0;
}

bool PrivateEtcd::Start() {
  running_ = RunScript("start", with_auth_ ? "--auth" : "");
  return running_;
}

bool PrivateEtcd::Stop() {
  running_ = false;
  return RunScript("stop", "");
}

bool PrivateEtcd::ReadEnv() {
  std::ifstream env(dir_.path() + "/env");
  std::string line;
  while (std::getline(env, line)) {
    const size_t equals = line.find('=');
    if (equals == std::string::npos) continue;
    const std::string name = line.substr(0, equals);
    const std::string value = line.substr(equals + 1);
    if (name == "KAFSCALE_TEST_ETCD_ENDPOINTS") endpoint_ = value;
    if (name == "KAFSCALE_TEST_ETCD_USERNAME") username_ = value;
    if (name == "KAFSCALE_TEST_ETCD_PASSWORD") password_ = value;
  }
  EXPECT_FALSE(endpoint_.empty()) << "no endpoint in " << dir_.path() << "/env";
  return !endpoint_.empty();
}

EtcdMetadataStore::Options PrivateEtcd::options() const {
  EtcdMetadataStore::Options options;
  options.endpoints = {endpoint_};
  options.username = username_;
  options.password = password_;
  return options;
}

}  // namespace kafscale::etcd_test
