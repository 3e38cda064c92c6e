// Reading the record batches of a Fetch response.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "storage/record_batch.h"

namespace kafscale::client {

struct FetchedBatch {
  RecordBatchHeader header;
  std::string_view bytes;  // the whole batch, inside the fetched data
};

// Splits fetched record data into whole v2 batches, in order. Brokers may cut
// the last batch short at the size limit; it is left out, as is anything
// after a batch that is not magic 2 (older message formats). Thread-safe.
std::vector<FetchedBatch> SplitFetchedBatches(std::string_view records);

// A record's timestamp: the batch's max timestamp under LogAppendTime (the
// broker's clock), else the base timestamp plus the record's delta.
int64_t RecordTimestamp(const RecordBatchHeader& header, const Record& record);

}  // namespace kafscale::client
