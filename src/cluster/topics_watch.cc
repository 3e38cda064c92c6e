#include "cluster/topics_watch.h"

#include <boost/asio/post.hpp>

#include "cluster/topic_record.h"
#include "common/logging.h"
#include "metastore/keys.h"

namespace kafscale::cluster {

namespace {

// A watched value, or nullopt (and a log line) when it cannot be read.
template <typename T>
std::optional<T> Readable(const WatchEvent& event, Result<T> value, std::string_view what) {
  if (value.ok()) return std::move(value).value();
  LogError("ignoring unreadable " + std::string(what),
           {{"key", event.kv.key}, {"error", value.status().ToString()}});
  return std::nullopt;
}

}  // namespace

TopicsWatch::TopicsWatch(boost::asio::any_io_executor executor, MetadataStore& store, TopicManager& topics,
                         CommittedDataListener& committed)
    : executor_(executor), store_(store), topics_(topics), committed_(committed) {}

TopicsWatch::~TopicsWatch() { Stop(); }

Status TopicsWatch::Start() {
  auto deliver = [this, stopped = stopped_](const std::vector<WatchEvent>& events) {
    boost::asio::post(executor_, [this, stopped, events] {
      if (!*stopped) Apply(events);
    });
  };
  return store_.WatchPrefix(keys::TopicsPrefix(), topics_.loaded_revision() + 1, deliver, &watch_);
}

void TopicsWatch::Stop() {
  *stopped_ = true;
  watch_.reset();
}

void TopicsWatch::Apply(const std::vector<WatchEvent>& events) {
  for (const WatchEvent& event : events) {
    const bool deleted = event.type == WatchEvent::Type::kDelete;
    if (std::optional<std::string> name = keys::ParseTopicConfigKey(event.kv.key)) {
      if (deleted) {
        topics_.ApplyStored(*name, nullptr, event.kv.mod_revision);
        continue;
      }
      TopicInfo stored;
      Status decoded = DecodeTopicRecord(event.kv.value, &stored);
      if (!decoded.ok()) {
        LogError("ignoring unreadable topic record", {{"key", event.kv.key}, {"error", decoded.ToString()}});
        continue;
      }
      topics_.ApplyStored(*name, &stored, event.kv.mod_revision);
    } else if (std::optional<keys::TopicPartition> partition = keys::ParseWalStartKey(event.kv.key)) {
      if (deleted) continue;
      if (auto start = Readable(event, ParseNextOffset(event.kv.value), "WAL start")) {
        committed_.OnWalStart(partition->topic, partition->partition, *start);
      }
    }
  }
}

}  // namespace kafscale::cluster
