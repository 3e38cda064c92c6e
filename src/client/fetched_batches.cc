#include "client/fetched_batches.h"

namespace kafscale::client {

std::vector<FetchedBatch> SplitFetchedBatches(std::string_view records) {
  std::vector<FetchedBatch> batches;
  while (records.size() >= kBatchHeaderSize) {
    FetchedBatch batch;
    if (!ParseBatchHeader(records, &batch.header).ok() || batch.header.magic != kBatchMagicV2 ||
        batch.header.batch_length < 0 || batch.header.total_size() > records.size()) {
      break;
    }
    batch.bytes = records.substr(0, batch.header.total_size());
    records.remove_prefix(batch.bytes.size());
    batches.push_back(batch);
  }
  return batches;
}

int64_t RecordTimestamp(const RecordBatchHeader& header, const Record& record) {
  if (header.timestamp_type() == TimestampType::kLogAppendTime) return header.max_timestamp;
  return header.base_timestamp + record.timestamp_delta;
}

}  // namespace kafscale::client
