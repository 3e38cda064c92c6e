#include "cluster/topic_manager.h"

#include <spdlog/spdlog.h>

#include "cluster/topic_record.h"
#include "common/async.h"
#include "metastore/keys.h"

namespace kafscale::cluster {

namespace asio = boost::asio;
using kafka::ErrorCode;

namespace {
constexpr size_t kMaxTopicNameLength = 249;
constexpr int32_t kMaxPartitions = 100000;

std::optional<std::string> ValidateConfigs(const TopicConfigMap& configs) {
  for (const auto& [name, value] : configs) {
    if (auto error = ValidateTopicConfig(name, value)) return error;
  }
  return std::nullopt;
}
}  // namespace

TopicError TopicError::FromStatus(const Status& status) {
  if (status.IsRetriable()) return Of(ErrorCode::kRequestTimedOut, status.ToString());
  return Of(ErrorCode::kUnknownServerError, status.ToString());
}

std::optional<std::string> ValidateTopicName(const std::string& name) {
  if (name.empty()) return "topic name is empty";
  if (name == "." || name == "..") return "topic name cannot be '.' or '..'";
  if (name.size() > kMaxTopicNameLength) {
    return "topic name is " + std::to_string(name.size()) + " characters; the limit is 249";
  }
  for (char c : name) {
    const bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    if (!legal) return "topic name '" + name + "' contains characters other than [a-zA-Z0-9._-]";
  }
  return std::nullopt;
}

TopicManager::TopicManager(MetadataStore& store, asio::thread_pool& pool, int32_t default_partitions)
    : store_(store), pool_(pool), default_partitions_(default_partitions) {}

asio::awaitable<Status> TopicManager::Load() {
  auto work = [this] {
    std::vector<KeyValue> out;
    Status s = store_.Range(keys::TopicsPrefix(), &out, &loaded_revision_);
    return std::make_pair(s, std::move(out));
  };
  auto [status, kvs] = co_await RunBlocking(pool_, work);
  if (!status.ok()) co_return status;
  topics_.clear();
  applied_revisions_.clear();
  for (const KeyValue& kv : kvs) {
    if (!keys::ParseTopicConfigKey(kv.key).has_value()) continue;
    auto info = std::make_unique<TopicInfo>();
    Status decoded = DecodeTopicRecord(kv.value, info.get());
    if (!decoded.ok()) {
      co_return Status::Corruption("topic record " + kv.key + ": " + decoded.message());
    }
    applied_revisions_[info->name] = kv.mod_revision;
    topics_[info->name] = std::move(info);
  }
  co_return Status::OK();
}

const TopicInfo* TopicManager::Find(const std::string& name) const {
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second.get();
}

const TopicInfo* TopicManager::FindById(const kafka::Uuid& id) const {
  for (const auto& [name, info] : topics_) {
    if (info->id == id) return info.get();
  }
  return nullptr;
}

std::vector<const TopicInfo*> TopicManager::List() const {
  std::vector<const TopicInfo*> out;
  out.reserve(topics_.size());
  for (const auto& [name, info] : topics_) out.push_back(info.get());
  return out;
}

void TopicManager::ApplyStored(const std::string& name, const TopicInfo* stored, int64_t revision) {
  int64_t& applied = applied_revisions_[name];
  if (revision <= applied) return;
  applied = revision;
  auto it = topics_.find(name);
  if (it != topics_.end() && (!stored || it->second->id != stored->id)) {
    std::unique_ptr<TopicInfo> gone = std::move(it->second);
    topics_.erase(it);
    if (listener_) listener_->ForgetTopic(*gone);
    spdlog::info("topic deleted elsewhere name={}", name);
    it = topics_.end();
  }
  if (!stored) return;
  if (it == topics_.end()) {
    const TopicInfo& ref = *(topics_[name] = std::make_unique<TopicInfo>(*stored));
    if (listener_) listener_->OnTopicCreated(ref);
    spdlog::info("topic created name={} partitions={} id={}", name, ref.partitions, ref.id.ToBase64());
    return;
  }
  TopicInfo& live = *it->second;
  const int32_t old_count = live.partitions;
  live.configs = stored->configs;
  live.replication_factor = stored->replication_factor;
  if (stored->partitions > old_count) {
    live.partitions = stored->partitions;
    if (listener_) listener_->OnPartitionsAdded(live, old_count);
  }
}

asio::awaitable<TopicError> TopicManager::Persist(const TopicInfo& info, bool must_be_new) {
  const std::string key = keys::TopicConfigKey(info.name);
  std::vector<Compare> compares;
  // A partition's next offset key is written by its first flush; absent means 0.
  std::vector<TxnOp> ops = {TxnOp::Put(key, EncodeTopicRecord(info))};
  if (must_be_new) compares.push_back(Compare::Absent(key));
  auto work = [&, compares, ops] {
    TxnResult r;
    Status s = store_.Txn(compares, ops, {}, &r);
    return std::make_pair(s, r);
  };
  auto [status, result] = co_await RunBlocking(pool_, work);
  if (!status.ok()) co_return TopicError::FromStatus(status);
  if (!result.succeeded) {
    co_return TopicError::Of(ErrorCode::kTopicAlreadyExists, "topic '" + info.name + "' already exists");
  }
  ApplyStored(info.name, &info, result.revision);
  co_return TopicError{};
}

asio::awaitable<TopicError> TopicManager::Create(const CreateTopicSpec& request, bool validate_only,
                                                 TopicInfo* created) {
  CreateTopicSpec spec = request;
  if (auto error = ValidateTopicName(spec.name)) co_return TopicError::Of(ErrorCode::kInvalidTopicException, *error);
  if (Find(spec.name)) {
    co_return TopicError::Of(ErrorCode::kTopicAlreadyExists, "topic '" + spec.name + "' already exists");
  }
  if (spec.partitions == -1) spec.partitions = default_partitions_;
  if (spec.partitions < 1 || spec.partitions > kMaxPartitions) {
    co_return TopicError::Of(ErrorCode::kInvalidPartitions,
                             "partition count " + std::to_string(spec.partitions) + " must be from 1 to " +
                                 std::to_string(kMaxPartitions));
  }
  if (spec.replication_factor == -1) spec.replication_factor = 1;
  if (spec.replication_factor < 1) {
    co_return TopicError::Of(ErrorCode::kInvalidReplicationFactor,
                             "replication factor " + std::to_string(spec.replication_factor) + " must be at least 1");
  }
  if (auto error = ValidateConfigs(spec.configs)) co_return TopicError::Of(ErrorCode::kInvalidConfig, *error);

  TopicInfo info;
  info.name = spec.name;
  info.id = kafka::Uuid::Random();
  info.partitions = spec.partitions;
  info.replication_factor = spec.replication_factor;
  info.configs = std::move(spec.configs);
  if (!validate_only) {
    TopicError error = co_await Persist(info, /*must_be_new=*/true);
    if (!error.ok()) co_return error;
  }
  if (created) *created = std::move(info);
  co_return TopicError{};
}

asio::awaitable<TopicError> TopicManager::Delete(const std::string& name) {
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    co_return TopicError::Of(ErrorCode::kUnknownTopicOrPartition, "topic '" + name + "' does not exist");
  }
  // Keep the info alive across the awaits even if a concurrent delete races.
  std::shared_ptr<TopicInfo> info(std::move(it->second));
  topics_.erase(it);
  if (listener_) {
    Status dropped = co_await listener_->DropTopicData(*info);
    if (!dropped.ok()) {
      topics_.emplace(name, std::make_unique<TopicInfo>(*info));
      co_return TopicError::FromStatus(dropped);
    }
  }
  auto work = [this, name] {
    TxnResult r;
    Status s = store_.Txn({}, {TxnOp::DeletePrefix(keys::TopicPrefix(name))}, {}, &r);
    return std::make_pair(s, r.revision);
  };
  auto [status, revision] = co_await RunBlocking(pool_, work);
  if (!status.ok()) co_return TopicError::FromStatus(status);
  applied_revisions_[name] = std::max(applied_revisions_[name], revision);
  spdlog::info("topic deleted name={}", name);
  co_return TopicError{};
}

asio::awaitable<TopicError> TopicManager::AddPartitions(const std::string& name, int32_t new_total,
                                                        bool validate_only) {
  const TopicInfo* current = Find(name);
  if (!current) co_return TopicError::Of(ErrorCode::kUnknownTopicOrPartition, "topic '" + name + "' does not exist");
  if (new_total <= current->partitions) {
    co_return TopicError::Of(ErrorCode::kInvalidPartitions,
                             "topic '" + name + "' has " + std::to_string(current->partitions) +
                                 " partitions; the new count " + std::to_string(new_total) + " must be larger");
  }
  if (new_total > kMaxPartitions) {
    co_return TopicError::Of(ErrorCode::kInvalidPartitions,
                             "partition count must be at most " + std::to_string(kMaxPartitions));
  }
  if (validate_only) co_return TopicError{};
  TopicInfo updated = *current;
  updated.partitions = new_total;
  TopicError error = co_await Persist(updated, /*must_be_new=*/false);
  if (!error.ok()) co_return error;
  if (!Find(name)) co_return TopicError::Of(ErrorCode::kUnknownTopicOrPartition, "topic '" + name + "' was deleted");
  co_return TopicError{};
}

asio::awaitable<TopicError> TopicManager::SetConfigs(const std::string& name, const TopicConfigMap& configs,
                                                     bool validate_only) {
  const TopicInfo* current = Find(name);
  if (!current) co_return TopicError::Of(ErrorCode::kUnknownTopicOrPartition, "topic '" + name + "' does not exist");
  if (auto error = ValidateConfigs(configs)) co_return TopicError::Of(ErrorCode::kInvalidConfig, *error);
  if (validate_only) co_return TopicError{};
  TopicInfo updated = *current;
  updated.configs = configs;
  co_return co_await Persist(updated, /*must_be_new=*/false);
}

}  // namespace kafscale::cluster
