#include "http/broker_state_metrics.h"

#include <algorithm>
#include <string>

namespace kafscale::http {

namespace {

using metrics::FamilySnapshot;
using metrics::MetricType;
using metrics::Sample;
using metrics::SingleSampleFamily;

// 0, 1, 10, ... 10^8 records behind.
std::vector<double> LagBuckets() {
  std::vector<double> bounds{0};
  for (double bound : metrics::ExponentialBuckets(1, 10, 9)) bounds.push_back(bound);
  return bounds;
}

// One walk over the partitions gives their offsets and the buffered total.
void CollectPartitions(const BrokerState& state, std::vector<FamilySnapshot>& out) {
  FamilySnapshot high_watermark{"kafscale_partition_high_watermark",
                                "Next offset to be made durable (log end) per partition.",
                                MetricType::kGauge,
                                {}};
  FamilySnapshot log_start{
      "kafscale_partition_log_start_offset", "First offset still readable per partition.", MetricType::kGauge, {}};
  uint64_t buffered_bytes = 0;
  state.logs.ForEachPartition([&](const log::LogManager::PartitionStats& partition) {
    const metrics::Labels labels{{"topic", partition.topic}, {"partition", std::to_string(partition.partition)}};
    high_watermark.samples.push_back(
        Sample{high_watermark.name, labels, static_cast<double>(partition.high_watermark)});
    log_start.samples.push_back(Sample{log_start.name, labels, static_cast<double>(partition.log_start_offset)});
    buffered_bytes += partition.buffered_bytes;
  });
  out.push_back(std::move(high_watermark));
  out.push_back(std::move(log_start));
  out.push_back(SingleSampleFamily("kafscale_buffered_bytes", "Produced bytes buffered and not yet uploaded.",
                                   MetricType::kGauge, static_cast<double>(buffered_bytes)));
}

void CollectConsumerLag(const BrokerState& state, std::vector<FamilySnapshot>& out) {
  FamilySnapshot per_partition{"kafscale_consumer_group_lag",
                               "Records between a group's committed offset and the high watermark.",
                               MetricType::kGauge,
                               {}};
  std::vector<double> lags;
  for (const group::GroupListing& listing : state.groups.List({}, {})) {
    const group::FetchResult committed = state.groups.FetchOffsets(listing.group_id, std::nullopt);
    if (committed.error != kafka::ErrorCode::kNone) continue;
    for (const group::FetchedOffset& offset : committed.offsets) {
      if (offset.offset < 0) continue;
      const log::OffsetLookup latest = state.logs.Latest(offset.partition.topic, offset.partition.partition);
      if (latest.error != kafka::ErrorCode::kNone) continue;
      const double lag = static_cast<double>(std::max<int64_t>(0, latest.offset - offset.offset));
      per_partition.samples.push_back(Sample{per_partition.name,
                                             {{"group", listing.group_id},
                                              {"topic", offset.partition.topic},
                                              {"partition", std::to_string(offset.partition.partition)}},
                                             lag});
      lags.push_back(lag);
    }
  }
  out.push_back(std::move(per_partition));
  FamilySnapshot distribution{"kafscale_consumer_lag",
                              "Current consumer lags of every group and partition (rebuilt at each scrape).",
                              MetricType::kHistogram,
                              {}};
  metrics::AppendHistogramSamples(distribution, {}, metrics::MakeHistogramSnapshot(LagBuckets(), lags));
  out.push_back(std::move(distribution));
  const double max_lag = lags.empty() ? 0 : *std::max_element(lags.begin(), lags.end());
  out.push_back(
      SingleSampleFamily("kafscale_consumer_lag_max", "Largest current consumer lag.", MetricType::kGauge, max_lag));
}

void CollectResources(const BrokerState& state, std::vector<FamilySnapshot>& out) {
  const log::SegmentCache& cache = state.logs.cache();
  out.push_back(SingleSampleFamily("kafscale_cache_bytes", "Bytes held by the segment cache.", MetricType::kGauge,
                                   static_cast<double>(cache.size_bytes())));
  out.push_back(SingleSampleFamily(
      "kafscale_buffer_used_bytes",
      "Bytes counted against KAFSCALE_MAX_BUFFER_BYTES: produced records not yet durable, in buffers, in uploads "
      "and in the produce requests waiting for them.",
      MetricType::kGauge, static_cast<double>(state.logs.buffered_bytes())));
  out.push_back(SingleSampleFamily("kafscale_cache_hits_total", "Segment reads served by the cache.",
                                   MetricType::kCounter, static_cast<double>(cache.hits())));
  out.push_back(SingleSampleFamily("kafscale_cache_misses_total", "Segment reads that went to the object store.",
                                   MetricType::kCounter, static_cast<double>(cache.misses())));
  const log::LogCounters& log = state.logs.counters();
  const std::pair<const char*, std::pair<const char*, uint64_t>> log_counters[] = {
      {"kafscale_wal_objects_written_total", {"Write-ahead objects uploaded (one per flush).", log.wal_objects_written}},
      {"kafscale_wal_bytes_written_total", {"Bytes of write-ahead objects uploaded.", log.wal_bytes_written}},
      {"kafscale_wal_commit_txns_total",
       {"Metadata transactions committing flushed partitions.", log.wal_commit_txns}},
      {"kafscale_segments_compacted_total",
       {"Segments written by compaction (each one .kfs and one .index upload).", log.segments_compacted}},
      {"kafscale_compacted_bytes_total", {"Bytes of segments written by compaction.", log.compacted_bytes}},
      {"kafscale_wal_objects_deleted_total",
       {"Write-ahead objects deleted once every range was compacted.", log.wal_objects_deleted}},
  };
  for (const auto& [name, help_and_value] : log_counters) {
    out.push_back(SingleSampleFamily(name, help_and_value.first, MetricType::kCounter,
                                     static_cast<double>(help_and_value.second)));
  }
  const log::FlushStageHistograms& stages = state.logs.flush_stage_ms();
  FamilySnapshot flush_stages{"kafscale_wal_flush_stage_ms",
                              "Milliseconds each write-ahead flush spent per stage: buffered (oldest append to the "
                              "flush taking it), upload, turn (waiting for earlier flushes to commit), commit.",
                              MetricType::kHistogram,
                              {}};
  for (const auto& [stage, histogram] : {std::pair{"buffered", &stages.buffered}, std::pair{"upload", &stages.upload},
                                         std::pair{"turn", &stages.turn}, std::pair{"commit", &stages.commit}}) {
    AppendHistogramSamples(flush_stages, {{"stage", stage}}, histogram->Snapshot());
  }
  out.push_back(std::move(flush_stages));
  out.push_back(SingleSampleFamily("kafscale_connections", "Open Kafka client connections.", MetricType::kGauge,
                                   static_cast<double>(state.server.connection_count())));
  out.push_back(SingleSampleFamily("kafscale_connections_accepted_total", "Kafka client connections accepted.",
                                   MetricType::kCounter, static_cast<double>(state.server.connections_accepted())));
  out.push_back(SingleSampleFamily("kafscale_requests_in_flight", "Kafka requests read and not yet answered.",
                                   MetricType::kGauge, static_cast<double>(state.server.requests_in_flight())));
}

}  // namespace

void AddBrokerStateCollector(metrics::Registry& registry, BrokerState state) {
  registry.AddCollector([state](std::vector<FamilySnapshot>& out) {
    CollectPartitions(state, out);
    CollectConsumerLag(state, out);
    CollectResources(state, out);
  });
}

}  // namespace kafscale::http
