// Which partition a produced record goes to, as Kafka's Java client picks it
// for keyed records (murmur2 of the key), so keyed records land where other
// clients' default partitioner would put them.
#pragma once

#include <cstdint>
#include <string_view>

namespace kafscale::cli {

// Kafka's murmur2 (seed 0x9747b28c), as in org.apache.kafka.common.utils.Utils.
int32_t Murmur2(std::string_view data);

// (murmur2(key) & 0x7fffffff) % partition_count; partition_count > 0.
int32_t PartitionForKey(std::string_view key, int32_t partition_count);

}  // namespace kafscale::cli
