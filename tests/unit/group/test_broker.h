// Group tests drive coordinators as brokers do: on an io_context (the
// broker's core executor, run by the test thread) with store calls on an
// I/O pool, each coordinator beside the BrokerMembership it takes group
// leases under.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <type_traits>

#include "cluster/broker_membership.h"
#include "group/group_coordinator.h"

namespace kafscale::group {

// The event loop the test thread runs while it waits for an operation.
class TestLoop {
 public:
  static constexpr std::chrono::seconds kWaitLimit{5};

  ~TestLoop() { pool.join(); }

  template <typename T>
  std::future<T> Start(boost::asio::awaitable<T> operation) {
    return boost::asio::co_spawn(io, std::move(operation), boost::asio::use_future);
  }

  // Runs the event loop until `future` is ready (failing after kWaitLimit).
  template <typename T>
  T Finish(std::future<T>& future) {
    const auto deadline = std::chrono::steady_clock::now() + kWaitLimit;
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "operation did not finish";
        if constexpr (std::is_void_v<T>) {
          return;
        } else {
          return T{};
        }
      }
      io.restart();
      io.run_for(std::chrono::milliseconds(2));
    }
    return future.get();
  }

  template <typename T>
  T Run(boost::asio::awaitable<T> operation) {
    std::future<T> future = Start(std::move(operation));
    return Finish(future);
  }

  void RunFor(std::chrono::milliseconds duration) {
    const auto until = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < until) {
      io.restart();
      io.run_until(until);
    }
  }

  template <typename T>
  static bool IsReady(const std::future<T>& future) {
    return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  }

  boost::asio::io_context io;
  boost::asio::thread_pool pool{2};
};

// One broker's group side: a membership joined to the store and the
// coordinator listening to it. Destruction leaves the cluster gracefully
// (the broker lease, and with it every group lease, is revoked).
class TestBroker {
 public:
  // Long enough that no keep-alive runs during a test unless it asks for one.
  static constexpr int32_t kLeaseTtlSeconds = 30;

  TestBroker(TestLoop& loop, MetadataStore& store, int32_t id, const GroupCoordinatorOptions& options,
             int32_t lease_ttl_seconds = kLeaseTtlSeconds)
      : loop_(loop),
        endpoint_{id, "broker-" + std::to_string(id), 9000 + id},
        membership_(loop.io.get_executor(), loop.pool, store, lease_ttl_seconds),
        coordinator_(std::make_unique<GroupCoordinator>(loop.io.get_executor(), loop.pool, store, membership_,
                                                        options)) {
    Status joined = loop_.Run(membership_.Join(endpoint_));
    EXPECT_TRUE(joined.ok()) << joined.ToString();
  }

  ~TestBroker() {
    Leave();
    // Lets the membership's keep-alive loop see that it stopped.
    loop_.RunFor(std::chrono::milliseconds(20));
    coordinator_.reset();
  }

  // Revokes the broker lease (idempotent); the coordinator stays.
  void Leave() { loop_.Run(membership_.Leave()); }

  CoordinatorLookup Find(const std::string& group_id) { return loop_.Run(coordinator_->FindCoordinator(group_id)); }

  // Takes the group's lease, as a client's FindCoordinator does first.
  void Coordinate(const std::string& group_id) {
    CoordinatorLookup found = Find(group_id);
    EXPECT_EQ(found.error, ErrorCode::kNone) << found.message;
    EXPECT_EQ(found.coordinator, endpoint_) << group_id;
  }

  const cluster::BrokerEndpoint& endpoint() const { return endpoint_; }
  cluster::BrokerMembership& membership() { return membership_; }
  GroupCoordinator& coordinator() { return *coordinator_; }

 private:
  TestLoop& loop_;
  const cluster::BrokerEndpoint endpoint_;
  cluster::BrokerMembership membership_;
  std::unique_ptr<GroupCoordinator> coordinator_;
};

}  // namespace kafscale::group
