#include "apps/bench/producer_load.h"

#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include "apps/bench/bench_target.h"

namespace kafscale::bench {

namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr int kFinalFlushMs = 60'000;

int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now().time_since_epoch()).count();
}

// What one producer thread learns from its delivery reports. Only that
// thread touches it: librdkafka calls the delivery callback from
// rd_kafka_poll/rd_kafka_flush on the polling thread.
struct ProducerTally {
  uint64_t acknowledged = 0;
  uint64_t acknowledged_bytes = 0;
  uint64_t failed = 0;
  std::string first_error;
  int64_t last_delivery_us = 0;
  LatencyHistogram latency_us;
  ClientStagesCollector* stages = nullptr;  // null unless ProducerSettings::client_stages
};

// The produce call time travels as the message opaque, so no per-record
// allocation is needed to measure latency.
void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* tally = static_cast<ProducerTally*>(opaque);
  const int64_t now = SteadyMicros();
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (tally->failed++ == 0) tally->first_error = rd_kafka_err2str(message->err);
    return;
  }
  ++tally->acknowledged;
  tally->acknowledged_bytes += message->len;
  tally->last_delivery_us = now;
  tally->latency_us.Record(now - reinterpret_cast<intptr_t>(message->_private));
}

// Called on the polling thread like OnDelivery; the document is only copied
// here so that parsing it does not delay the delivery reports being timed.
int OnStatistics(rd_kafka_t*, char* json, size_t json_len, void* opaque) {
  static_cast<ProducerTally*>(opaque)->stages->Add(std::string(json, json_len));
  return 0;  // librdkafka frees `json`
}

// The sending loop of one producer; `quota` is its share of the records (0 =
// until `deadline`), `rate` its share of the target rate (0 = unlimited).
void SendRecords(rd_kafka_t* producer, const ProducerSettings& settings, int index, uint64_t quota, double rate,
                 SteadyClock::time_point start, SteadyClock::time_point deadline, ProducerTally& tally) {
  std::vector<char> value(static_cast<size_t>(settings.record_size), 'x');
  uint64_t sent = 0;
  for (;;) {
    const SteadyClock::time_point now = SteadyClock::now();
    if (quota > 0 ? sent >= quota : now >= deadline) break;
    if (rate > 0) {
      const auto due = start + std::chrono::duration_cast<SteadyClock::duration>(
                                   std::chrono::duration<double>(static_cast<double>(sent) / rate));
      if (now < due) {
        // Serve delivery reports while waiting so their latency is not inflated.
        const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(due - now).count();
        if (wait_ms > 0) {
          rd_kafka_poll(producer, static_cast<int>(wait_ms));
        } else {
          std::this_thread::sleep_until(due);
        }
        continue;
      }
    }
    StampSendTime(value.data());
    const int32_t partition = static_cast<int32_t>((sent + static_cast<uint64_t>(index)) %
                                                   static_cast<uint64_t>(settings.partitions));
    const rd_kafka_resp_err_t error = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(settings.topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<intptr_t>(SteadyMicros()))), RD_KAFKA_V_END);
    if (error == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(producer, 1);  // librdkafka's queue is full: wait for acknowledgements
      continue;
    }
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (tally.failed++ == 0) tally.first_error = rd_kafka_err2str(error);
      break;
    }
    ++sent;
    rd_kafka_poll(producer, 0);
  }
  rd_kafka_flush(producer, kFinalFlushMs);
  const int unacknowledged = rd_kafka_outq_len(producer);
  if (unacknowledged > 0) {
    if (tally.failed == 0) tally.first_error = "not acknowledged within 60 s of the last send";
    tally.failed += static_cast<uint64_t>(unacknowledged);
    rd_kafka_purge(producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  }
}

}  // namespace

int64_t WallClockMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void StampSendTime(char* value) {
  const int64_t now = WallClockMicros();
  std::memcpy(value, &now, sizeof(now));
}

int64_t ReadSendTime(const void* value) {
  int64_t sent = 0;
  std::memcpy(&sent, value, sizeof(sent));
  return sent;
}

Result<ProduceReport> ProducerLoad::Run() {
  const size_t count = static_cast<size_t>(settings_.producers);
  std::vector<ProducerTally> tallies(count);
  // Outlives the clients, whose statistics it receives.
  std::optional<ClientStagesCollector> stages;
  if (settings_.client_stages) stages.emplace();
  std::vector<KafkaHandle> clients;
  for (size_t i = 0; i < count; ++i) {
    ProducerTally* tally = &tallies[i];
    std::map<std::string, std::string> client_settings = {{"bootstrap.servers", settings_.bootstrap},
                                                          {"acks", settings_.acks},
                                                          {"linger.ms", std::to_string(settings_.linger_ms)},
                                                          {"batch.size", std::to_string(settings_.batch_size)},
                                                          {"compression.type", settings_.compression},
                                                          {"client.id", "kafscale-bench-" + std::to_string(i)}};
    if (stages) {
      tally->stages = &*stages;
      client_settings["statistics.interval.ms"] = std::to_string(ClientStagesCollector::kIntervalMs);
    }
    auto install_callbacks = [tally](rd_kafka_conf_t* conf) {
      rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
      if (tally->stages != nullptr) rd_kafka_conf_set_stats_cb(conf, OnStatistics);
      rd_kafka_conf_set_opaque(conf, tally);
    };
    Result<KafkaHandle> client = NewKafkaClient(RD_KAFKA_PRODUCER, client_settings, install_callbacks);
    if (!client.ok()) return client.status();
    // Leaders known before the clock starts: looking them up takes librdkafka
    // about a second, which would otherwise show as the first records' latency.
    Status learned = LearnTopic(client->get(), settings_.topic);
    if (!learned.ok()) return learned;
    clients.push_back(std::move(*client));
  }

  const uint64_t per_producer = settings_.records / count;
  const uint64_t remainder = settings_.records % count;
  const double rate_share = settings_.rate / static_cast<double>(count);
  const SteadyClock::time_point start = SteadyClock::now();
  const SteadyClock::time_point deadline =
      start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(settings_.duration_s));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < count; ++i) {
    const uint64_t quota = settings_.records == 0 ? 0 : per_producer + (i < remainder ? 1 : 0);
    threads.emplace_back(SendRecords, clients[i].get(), std::cref(settings_), static_cast<int>(i), quota,
                         rate_share, start, deadline, std::ref(tallies[i]));
  }
  for (std::thread& thread : threads) thread.join();

  ProduceReport report;
  int64_t last_delivery_us = 0;
  for (const ProducerTally& tally : tallies) {
    report.records += tally.acknowledged;
    report.bytes += tally.acknowledged_bytes;
    if (report.first_error.empty()) report.first_error = tally.first_error;
    report.failed += tally.failed;
    report.latency_us.Merge(tally.latency_us);
    last_delivery_us = std::max(last_delivery_us, tally.last_delivery_us);
  }
  if (stages) report.client_stages = stages->Finish();
  const int64_t start_us = std::chrono::duration_cast<std::chrono::microseconds>(start.time_since_epoch()).count();
  report.seconds = last_delivery_us > start_us ? static_cast<double>(last_delivery_us - start_us) / 1e6 : 0;
  return report;
}

}  // namespace kafscale::bench
