#include "metastore/etcd/endpoints.h"

#include <cassert>
#include <utility>

namespace kafscale::etcd {

EndpointSet::EndpointSet(std::vector<std::string> endpoints) : endpoints_(std::move(endpoints)) {
  assert(!endpoints_.empty());
}

std::vector<size_t> EndpointSet::AttemptOrder() const {
  size_t first = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    first = preferred_;
  }
  std::vector<size_t> order;
  order.reserve(endpoints_.size());
  for (size_t i = 0; i < endpoints_.size(); ++i) order.push_back((first + i) % endpoints_.size());
  return order;
}

void EndpointSet::ReportSuccess(size_t index) {
  std::lock_guard<std::mutex> lock(mu_);
  preferred_ = index;
}

void EndpointSet::ReportFailure(size_t index) {
  std::lock_guard<std::mutex> lock(mu_);
  // Only the preferred one moves on: a stale report about an endpoint that
  // is no longer preferred must not skip a healthy one.
  if (preferred_ == index) preferred_ = (index + 1) % endpoints_.size();
}

}  // namespace kafscale::etcd
