// EndpointSet: the client URLs of an etcd cluster and which one to try
// first. A request tries the preferred endpoint (the last one that
// answered), then the others in list order after it; a failing endpoint
// loses its preference so the next request starts elsewhere.
// Thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "common/noncopyable.h"

namespace kafscale::etcd {

class EndpointSet : NonCopyable {
 public:
  // `endpoints` must not be empty.
  explicit EndpointSet(std::vector<std::string> endpoints);

  size_t size() const { return endpoints_.size(); }
  const std::string& at(size_t index) const { return endpoints_[index]; }

  // Indexes of every endpoint, in the order one request should try them.
  std::vector<size_t> AttemptOrder() const;

  // `index` answered: later requests start there.
  void ReportSuccess(size_t index);
  // `index` could not be reached or was unhealthy: if it was preferred,
  // the one after it becomes preferred.
  void ReportFailure(size_t index);

 private:
  const std::vector<std::string> endpoints_;
  mutable std::mutex mu_;
  size_t preferred_ = 0;
};

}  // namespace kafscale::etcd
