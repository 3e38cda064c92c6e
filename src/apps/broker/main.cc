// kafscale-broker: one Kafka-protocol broker. With no S3/etcd settings it runs
// on the embedded default (local-directory object store and embedded
// metadata store under KAFSCALE_DATA_DIR); with KAFSCALE_S3_BUCKET and
// KAFSCALE_ETCD_ENDPOINTS it is one of many stateless brokers sharing them.
#include <malloc.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cluster/broker_membership.h"
#include "cluster/partition_ownership.h"
#include "cluster/topic_manager.h"
#include "cluster/topics_watch.h"
#include "common/async.h"
#include "common/config.h"
#include "common/logging.h"
#include "group/group_coordinator.h"
#include "http/broker_state_metrics.h"
#include "http/health.h"
#include "http/http_server.h"
#include "http/periodic_probe.h"
#include "kafka/dispatcher.h"
#include "log/log_manager.h"
#include "metastore/embedded_store.h"
#include "metastore/etcd_store.h"
#include "metastore/instrumented_metadata_store.h"
#include "metrics/broker_metrics.h"
#include "metrics/process_stats.h"
#include "metrics/registry.h"
#include "metrics/s3_health.h"
#include "net/kafka_server.h"
#include "objectstore/instrumented_object_store.h"
#include "objectstore/local_dir_object_store.h"
#include "objectstore/read_replica_object_store.h"
#include "objectstore/s3_object_store.h"
#include "protocol/uuid.h"

namespace asio = boost::asio;
using namespace kafscale;

namespace {

constexpr int kExitBadConfig = 2;
// Object-store and etcd calls block a thread each: several flush uploads,
// their commit transactions, compaction and catch-up reads run at once.
constexpr int kIoThreads = 16;
constexpr std::chrono::seconds kShutdownGrace{2};

// Not part of the original KafScale layout: this broker's own addition.
constexpr char kClusterIdKey[] = "/kafscale/cluster-id";
// Probed with HEAD to learn whether the object store answers; never written,
// so the answer is "not found".
constexpr char kObjectProbeName[] = "/.kafscale-health-probe";

// The cluster id is created once and kept in the metadata store.
Result<std::string> LoadOrCreateClusterId(MetadataStore& store) {
  const std::string key = kClusterIdKey;
  const std::string fresh = kafka::Uuid::Random().ToBase64();
  TxnResult result;
  Status status = store.Txn({Compare::Absent(key)}, {TxnOp::Put(key, fresh)}, {TxnOp::Get(key)}, &result);
  if (!status.ok()) return status;
  if (result.succeeded) return fresh;
  if (result.results.empty() || result.results[0].empty()) return Status::Corruption("cluster id vanished");
  return result.results[0][0].value;
}

// The object stores the broker reads and writes through store(): S3 (with an
// optional read replica) when a bucket is configured, else a local directory.
struct ObjectStores {
  std::unique_ptr<ObjectStore> primary;
  std::unique_ptr<ObjectStore> replica;
  std::unique_ptr<ObjectStore> replica_first;  // set with `replica`
  ObjectStore& store() const { return replica_first ? *replica_first : *primary; }
};

Result<std::unique_ptr<ObjectStore>> OpenS3(const BrokerConfig& config, const std::string& bucket,
                                            const std::string& region, const std::string& endpoint) {
  S3Options options;
  options.bucket = bucket;
  options.region = region;
  options.endpoint = endpoint;
  options.path_style = config.s3_path_style;
  options.access_key_id = config.aws_access_key_id;
  options.secret_access_key = config.aws_secret_access_key;
  options.session_token = config.aws_session_token;
  options.create_bucket_if_missing = config.s3_create_bucket && bucket == config.s3_bucket;
  options.sign_payload = config.s3_sign_payload;
  auto opened = S3ObjectStore::Open(options);
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<ObjectStore>(std::move(*opened));
}

Result<ObjectStores> OpenObjectStores(const BrokerConfig& config) {
  ObjectStores stores;
  if (config.s3_bucket.empty()) {
    auto local = LocalDirObjectStore::Open(config.data_dir + "/objects");
    if (!local.ok()) return local.status();
    stores.primary = std::move(*local);
    return stores;
  }
  auto primary = OpenS3(config, config.s3_bucket, config.s3_region, config.s3_endpoint);
  if (!primary.ok()) return primary.status();
  stores.primary = std::move(*primary);
  if (!config.s3_read_bucket.empty()) {
    auto replica = OpenS3(config, config.s3_read_bucket, config.s3_read_region, config.s3_read_endpoint);
    if (!replica.ok()) return replica.status();
    stores.replica = std::move(*replica);
    stores.replica_first = std::make_unique<ReadReplicaObjectStore>(*stores.primary, *stores.replica);
  }
  return stores;
}

Result<std::unique_ptr<MetadataStore>> OpenMetadataStore(const BrokerConfig& config) {
  if (config.etcd_endpoints.empty()) {
    auto embedded = EmbeddedMetadataStore::Open(config.data_dir + "/meta");
    if (!embedded.ok()) return embedded.status();
    return std::unique_ptr<MetadataStore>(std::move(*embedded));
  }
  EtcdMetadataStore::Options options;
  options.endpoints = config.etcd_endpoints;
  options.username = config.etcd_username;
  options.password = config.etcd_password;
  auto etcd = EtcdMetadataStore::Open(options);
  if (!etcd.ok()) return etcd.status();
  return std::unique_ptr<MetadataStore>(std::move(*etcd));
}

}  // namespace

int main(int argc, char** argv) {
  // Produce requests, flush and compaction buffers are large and
  // short-lived, and freed on other threads than the ones that allocated
  // them. With glibc's adaptive threshold they end up in heaps that are never
  // returned to the system (RSS ~1 GB with a 256 MiB cache); mapped
  // separately they are.
  mallopt(M_MMAP_THRESHOLD, 128 << 10);
  Result<BrokerConfig> parsed = ParseBrokerConfig(argc, argv, [](const char* name) { return std::getenv(name); });
  if (!parsed.ok()) {
    std::cerr << "kafscale-broker: " << parsed.status().message() << "\nRun kafscale-broker --help for usage.\n";
    return kExitBadConfig;
  }
  BrokerConfig config = std::move(parsed).value();
  if (config.help_requested) {
    std::cout << BrokerConfigHelp();
    return 0;
  }
  InitLogging(config.log_level, config.log_format);
  LogInfo("starting kafscale-broker", {{"config", DescribeConfig(config)}});

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    LogError("cannot create data directory", {{"dir", config.data_dir}, {"error", ec.message()}});
    return 1;
  }
  auto metadata = OpenMetadataStore(config);
  if (!metadata.ok()) {
    LogError("cannot open metadata store", {{"error", metadata.status().ToString()}});
    return 1;
  }
  auto objects = OpenObjectStores(config);
  if (!objects.ok()) {
    if (objects.status().IsNotFound()) {
      LogError("cannot open object store", {{"error", objects.status().ToString()},
                                            {"hint", "create the bucket, or set KAFSCALE_S3_CREATE_BUCKET=true"}});
    } else {
      LogError("cannot open object store", {{"error", objects.status().ToString()}});
    }
    return 1;
  }
  // Every store call is measured; object-store calls also drive S3 health.
  metrics::Registry registry;
  metrics::S3HealthOptions s3_health_options;
  s3_health_options.window = std::chrono::seconds(config.s3_health_window_seconds);
  s3_health_options.degraded_latency = std::chrono::milliseconds(config.s3_degraded_latency_ms);
  s3_health_options.degraded_error_rate = config.s3_degraded_error_percent / 100.0;
  s3_health_options.unavailable_latency = std::chrono::milliseconds(config.s3_unavailable_latency_ms);
  s3_health_options.unavailable_error_rate = config.s3_unavailable_error_percent / 100.0;
  metrics::S3HealthTracker s3_health(s3_health_options);
  ObjectStoreMetrics object_store_metrics(registry);
  InstrumentedObjectStore instrumented_objects(objects->store(), object_store_metrics, &s3_health);
  InstrumentedMetadataStore instrumented_metadata(**metadata, registry);
  registry.AddCollector(metrics::CollectProcessMetrics);
  registry.AddCollector([&s3_health](std::vector<metrics::FamilySnapshot>& out) {
    metrics::AppendS3HealthFamilies(s3_health.Snapshot(), out);
  });

  auto cluster_id = LoadOrCreateClusterId(instrumented_metadata);
  if (!cluster_id.ok()) {
    LogError("cannot read cluster id", {{"error", cluster_id.status().ToString()}});
    return 1;
  }

  asio::io_context io(1);
  asio::thread_pool io_pool(kIoThreads);
  cluster::BrokerMembership membership(io.get_executor(), io_pool, instrumented_metadata, config.lease_ttl_seconds);
  cluster::TopicManager topics(instrumented_metadata, io_pool, config.auto_create_partitions);
  log::LogOptions log_options;
  log_options.object_namespace = config.s3_namespace;
  log_options.broker_id = config.broker_id;
  log_options.compaction_interval = std::chrono::milliseconds(config.compaction_interval_ms);
  log_options.flush_bytes = static_cast<uint64_t>(config.segment_bytes);
  log_options.compacted_segment_bytes = static_cast<uint64_t>(config.compacted_segment_bytes);
  log_options.flush_interval = std::chrono::milliseconds(config.flush_interval_ms);
  log_options.cache_bytes = static_cast<uint64_t>(config.cache_bytes);
  log_options.readahead_segments = static_cast<size_t>(config.readahead_segments);
  log_options.max_buffered_bytes = static_cast<uint64_t>(config.max_buffer_bytes);
  // The embedded store writes aligned pieces straight from memory.
  if (config.s3_bucket.empty()) log_options.wal_range_alignment = LocalDirObjectStore::kDirectIoAlignment;
  log::LogManager logs(io.get_executor(), io_pool, instrumented_objects, instrumented_metadata, log_options);
  topics.set_listener(&logs);
  cluster::PartitionOwnership ownership(io.get_executor(), io_pool, instrumented_metadata, membership, topics, logs);
  cluster::TopicsWatch topics_watch(io.get_executor(), instrumented_metadata, topics, logs);
  group::GroupCoordinatorOptions group_options;
  group_options.initial_rebalance_delay = std::chrono::milliseconds(config.group_initial_rebalance_delay_ms);
  group::GroupCoordinator groups(io.get_executor(), io_pool, instrumented_metadata, membership, group_options);
  metrics::BrokerMetrics broker_metrics(registry);

  kafka::BrokerServices services{
      .identity = {.node_id = config.broker_id,
                   .host = config.advertised_host,
                   .port = config.advertised_port,
                   .cluster_id = *cluster_id},
      .auto_create_topics = config.auto_create_topics,
      .executor = io.get_executor(),
      .membership = membership,
      .ownership = ownership,
      .topics = topics,
      .logs = logs,
      .groups = groups,
      .metrics = broker_metrics,
      .s3_health = s3_health,
  };
  kafka::Dispatcher dispatcher(services);
  net::ServerOptions server_options;
  server_options.listen_host = config.listen_addr.host;
  server_options.listen_port = config.listen_addr.port;
  server_options.max_request_bytes = static_cast<size_t>(config.max_request_bytes);
  net::KafkaServer server(io, server_options, dispatcher);
  http::AddBrokerStateCollector(registry, {logs, groups, server});

  // The HTTP endpoints answer from the start, so /readyz can say why the
  // broker is not ready yet.
  http::ReadinessFlag startup("startup", "recovering partitions and groups");
  http::ObjectStoreHealthCheck object_store_check(s3_health);
  const std::string object_probe_key = config.s3_namespace + kObjectProbeName;
  // The tracker judges the object store's answers; the probe's own check
  // catches a store that hangs and so never answers.
  http::ProbeOptions object_probe_options;
  object_probe_options.judge_answers = false;
  http::PeriodicProbe object_store_probe(
      "object_store_probe", io.get_executor(), io_pool,
      [&] {
        ObjectInfo info;
        Status status = instrumented_objects.Head(object_probe_key, &info);
        return status.IsNotFound() ? Status::OK() : status;
      },
      object_probe_options);
  http::PeriodicProbe metadata_store_probe("metadata_store", io.get_executor(), io_pool, [&] {
    KeyValue cluster_id_value;
    return instrumented_metadata.Get(kClusterIdKey, &cluster_id_value);
  });
  http::HttpServerOptions http_options;
  http_options.listen_host = config.metrics_addr.host;
  http_options.listen_port = config.metrics_addr.port;
  http::HttpServer http_server(io, http_options);
  http::AddMetricsRoute(http_server, registry);
  http::AddHealthRoutes(http_server, {&startup, &object_store_check, &object_store_probe, &metadata_store_probe});
  if (Status status = http_server.Listen(); !status.ok()) {
    LogError("cannot start the HTTP server", {{"error", status.ToString()}});
    return 1;
  }
  http_server.Start();
  object_store_probe.Start();
  metadata_store_probe.Start();

  int exit_code = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        Status status = co_await topics.Load();
        const std::vector<const cluster::TopicInfo*> recovered_topics = topics.List();
        if (status.ok()) status = co_await logs.Recover(recovered_topics);
        if (status.ok()) status = topics_watch.Start();
        if (status.ok()) status = server.Listen();
        // Listening on port 0 picks a free port; advertise the one bound.
        if (status.ok() && services.identity.port == 0) services.identity.port = server.port();
        const cluster::BrokerEndpoint self{services.identity.node_id, services.identity.host, services.identity.port};
        if (status.ok()) status = co_await membership.Join(self);
        if (!status.ok()) {
          LogError("start-up failed", {{"error", status.ToString()}});
          exit_code = 1;
          io.stop();
          co_return;
        }
        co_await ownership.Reconcile();
        ownership.Start();
        logs.Start();
        server.Start();
        startup.Set(true, "partitions and groups recovered; accepting Kafka connections");
        LogInfo("broker ready", {{"listen", config.listen_addr.ToString()},
                                 {"advertised", services.identity.host + ":" + std::to_string(services.identity.port)},
                                 {"node_id", std::to_string(config.broker_id)},
                                 {"cluster_id", *cluster_id}});
      },
      AbortOnException{"start-up"});

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    LogInfo("shutting down", {{"signal", std::to_string(signal_number)}});
    startup.Set(false, "shutting down");
    object_store_probe.Stop();
    metadata_store_probe.Stop();
    server.StopAccepting();
    ownership.Stop();
    groups.Shutdown();
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await logs.Shutdown();
          co_await membership.Leave();
          topics_watch.Stop();
          // Let answered requests reach their clients; long polls may take
          // up to kShutdownGrace to give up.
          const auto deadline = std::chrono::steady_clock::now() + kShutdownGrace;
          asio::steady_timer pause(io);
          while (server.requests_in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
            pause.expires_after(std::chrono::milliseconds(10));
            co_await pause.async_wait(asio::use_awaitable);
          }
          server.CloseAll();
          http_server.Stop();
          io.stop();
        },
        AbortOnException{"shutdown"});
  });

  io.run();
  io_pool.join();
  LogInfo("stopped", {{"exit_code", std::to_string(exit_code)}});
  return exit_code;
}
