// TopicManager: the authoritative list of topics (name, id, partition count,
// replication factor, config overrides), persisted in the MetadataStore.
// Runs on the broker's core executor (not thread-safe); store calls go to
// the I/O pool.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster/topic_configs.h"
#include "common/noncopyable.h"
#include "common/status.h"
#include "metastore/metadata_store.h"
#include "protocol/error_codes.h"
#include "protocol/uuid.h"

namespace kafscale::cluster {

struct TopicInfo {
  std::string name;
  kafka::Uuid id;
  int32_t partitions = 0;
  int16_t replication_factor = 1;
  TopicConfigMap configs;  // overrides only; defaults come from TopicConfigDefs()
};

// The outcome of a topic operation in Kafka's terms.
struct TopicError {
  kafka::ErrorCode code = kafka::ErrorCode::kNone;
  std::string message;
  bool ok() const { return code == kafka::ErrorCode::kNone; }
  static TopicError Of(kafka::ErrorCode code, std::string message) { return {code, std::move(message)}; }
  static TopicError FromStatus(const Status& status);
};

// Coroutine parameters are references (callers pass named objects): g++ 12
// mishandles non-trivial temporaries that live across a co_await.

// Owner of each topic's data (the partition logs), told about changes.
class TopicDataListener {
 public:
  virtual ~TopicDataListener() = default;
  // A topic now exists with info.partitions partitions, all empty.
  virtual void OnTopicCreated(const TopicInfo& info) = 0;
  // Partitions [old_count, info.partitions) were added, empty.
  virtual void OnPartitionsAdded(const TopicInfo& info, int32_t old_count) = 0;
  // The topic was deleted by another broker: forget its partitions (the
  // deleting broker removes the stored data).
  virtual void ForgetTopic(const TopicInfo& info) = 0;
  // Deletes every stored record and offset of the topic. The topic's metadata
  // is removed only after this succeeds.
  virtual boost::asio::awaitable<Status> DropTopicData(const TopicInfo& info) = 0;
};

struct CreateTopicSpec {
  std::string name;
  int32_t partitions = -1;          // -1: the broker default
  int16_t replication_factor = -1;  // -1: 1
  TopicConfigMap configs{};
};

// Kafka's legal topic name: 1-249 of [a-zA-Z0-9._-], not "." or "..".
std::optional<std::string> ValidateTopicName(const std::string& name);

class TopicManager : NonCopyable {
 public:
  TopicManager(MetadataStore& store, boost::asio::thread_pool& pool, int32_t default_partitions);

  void set_listener(TopicDataListener* listener) { listener_ = listener; }

  // Reads every topic from the store. Called once at start-up.
  boost::asio::awaitable<Status> Load();
  // The store revision Load read; changes after it are applied with
  // ApplyStored (see TopicsWatch).
  int64_t loaded_revision() const { return loaded_revision_; }
  // Brings the topic in line with its stored record as of `revision`
  // (`stored` null: deleted), telling the listener what changed. Changes
  // older than one already applied are ignored, so this broker's own writes
  // and the store's notifications of them may arrive in either order.
  // Partition counts never shrink.
  void ApplyStored(const std::string& name, const TopicInfo* stored, int64_t revision);

  const TopicInfo* Find(const std::string& name) const;
  const TopicInfo* FindById(const kafka::Uuid& id) const;
  // All topics in name order.
  std::vector<const TopicInfo*> List() const;

  // Validates `spec` and, unless validate_only, creates the topic. On
  // success *created holds what was (or would be) created.
  boost::asio::awaitable<TopicError> Create(const CreateTopicSpec& request, bool validate_only, TopicInfo* created);
  boost::asio::awaitable<TopicError> Delete(const std::string& name);
  boost::asio::awaitable<TopicError> AddPartitions(const std::string& name, int32_t new_total, bool validate_only);
  // Replaces the topic's overrides with `configs` (AlterConfigs semantics);
  // IncrementalAlterConfigs computes the full map first.
  boost::asio::awaitable<TopicError> SetConfigs(const std::string& name, const TopicConfigMap& configs,
                                                bool validate_only);

 private:
  boost::asio::awaitable<TopicError> Persist(const TopicInfo& info, bool must_be_new);

  MetadataStore& store_;
  boost::asio::thread_pool& pool_;
  int32_t default_partitions_;
  TopicDataListener* listener_ = nullptr;
  std::map<std::string, std::unique_ptr<TopicInfo>> topics_;
  // Store revision of the newest change applied per topic name (kept after a
  // delete, so a late notification cannot resurrect the topic).
  std::map<std::string, int64_t> applied_revisions_;
  int64_t loaded_revision_ = 0;
};

}  // namespace kafscale::cluster
