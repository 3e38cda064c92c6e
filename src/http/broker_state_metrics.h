// Scrape-time metrics read from the broker's live state: partition offsets,
// consumer lag, buffers and cache, connections.
#pragma once

#include "group/group_coordinator.h"
#include "log/log_manager.h"
#include "metrics/registry.h"
#include "net/kafka_server.h"

namespace kafscale::http {

struct BrokerState {
  const log::LogManager& logs;
  group::GroupCoordinator& groups;  // FetchOffsets and List are not const, but only read
  const net::KafkaServer& server;
};

// Adds a collector for:
//   kafscale_partition_high_watermark{topic,partition}       gauge
//   kafscale_partition_log_start_offset{topic,partition}     gauge
//   kafscale_consumer_group_lag{group,topic,partition}       gauge (high watermark - committed offset)
//   kafscale_consumer_lag                                    histogram of those lags, rebuilt at each scrape
//                                                            (use histogram_quantile without rate())
//   kafscale_consumer_lag_max                                gauge
//   kafscale_buffered_bytes, kafscale_buffer_used_bytes,
//   kafscale_cache_bytes                                     gauges
//   kafscale_cache_hits_total, kafscale_cache_misses_total   counters
//   kafscale_connections, kafscale_requests_in_flight        gauges
//   kafscale_connections_accepted_total                      counter
// The collector reads the objects in `state` without locks, so the registry
// must only be collected on their executor (the broker's core), and they
// must outlive every later Collect. It walks every partition and committed
// offset once: linear in their number, which stays quick for thousands.
void AddBrokerStateCollector(metrics::Registry& registry, BrokerState state);

}  // namespace kafscale::http
