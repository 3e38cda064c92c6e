// TopicsWatch: follows /kafscale/topics/ in the metadata store so that every
// broker sees topics created, changed or deleted through any broker, and
// learns where other brokers' compactions moved partitions' WAL starts. (New
// WAL ranges are learned by the LogManager's own watch of WAL object records.)
//
// Store notifications arrive on a store thread and are handed to the core
// executor, where TopicManager and the offset callback run.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "cluster/topic_manager.h"
#include "common/noncopyable.h"
#include "metastore/keys.h"
#include "metastore/metadata_store.h"

namespace kafscale::cluster {

// Told, on the core executor and in commit order, where partition owners'
// compactions moved the WAL start.
class CommittedDataListener {
 public:
  virtual ~CommittedDataListener() = default;
  virtual void OnWalStart(const std::string& topic, int32_t partition, int64_t wal_start) = 0;
};

class TopicsWatch : NonCopyable {
 public:
  TopicsWatch(boost::asio::any_io_executor executor, MetadataStore& store, TopicManager& topics,
              CommittedDataListener& committed);
  ~TopicsWatch();

  // Watches from just after the revision TopicManager::Load read. Errors:
  // the store's (NotFound when that revision was compacted away).
  Status Start();
  // Ends the watch; no callback runs once this returns. Call on the core
  // executor before the TopicManager goes away.
  void Stop();

 private:
  void Apply(const std::vector<WatchEvent>& events);

  boost::asio::any_io_executor executor_;
  MetadataStore& store_;
  TopicManager& topics_;
  CommittedDataListener& committed_;
  std::unique_ptr<Watch> watch_;
  // Shared with posted handlers so that ones still queued after Stop do
  // nothing.
  std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);
};

}  // namespace kafscale::cluster
