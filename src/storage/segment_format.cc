#include "storage/segment_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "storage/big_endian.h"
#include "common/crc32c.h"

namespace kafscale {

namespace {

constexpr size_t kMaxSegmentSize = std::numeric_limits<int32_t>::max();

}  // namespace

SegmentBuilder::SegmentBuilder(int32_t index_interval) : index_interval_(index_interval) {}

Status SegmentBuilder::Add(std::string_view batches) {
  std::vector<BatchLocation> added;
  if (Status s = ScanBatches(batches, &added); !s.ok()) return Status::InvalidArgument(s.message());
  if (added.empty()) return Status::InvalidArgument("no batch to add");
  int64_t previous_last = locations_.empty() ? std::numeric_limits<int64_t>::min() : locations_.back().last_offset;
  for (const BatchLocation& batch : added) {
    if (batch.base_offset <= previous_last || batch.last_offset < batch.base_offset) {
      return Status::InvalidArgument("batch offsets " + std::to_string(batch.base_offset) + ".." +
                                     std::to_string(batch.last_offset) + " do not follow offset " +
                                     std::to_string(previous_last));
    }
    previous_last = batch.last_offset;
  }
  if (segment_size() + batches.size() > kMaxSegmentSize) {
    return Status::InvalidArgument("segment would exceed " + std::to_string(kMaxSegmentSize) + " bytes");
  }
  for (BatchLocation& batch : added) {
    batch.position += body_size_;
    locations_.push_back(batch);
  }
  batches_.push_back(batches);
  body_size_ += batches.size();
  return Status::OK();
}

Result<EncodedSegment> SegmentBuilder::Finish(int64_t created_unix_ms) const {
  if (locations_.empty()) return Status::InvalidArgument("a segment needs at least one batch");
  EncodedSegment segment;
  segment.base_offset = locations_.front().base_offset;
  segment.last_offset = locations_.back().last_offset;
  IndexBuilder index(index_interval_);
  for (const BatchLocation& batch : locations_) {
    segment.message_count += batch.record_count;
    index.AddBatch(batch.base_offset, static_cast<int32_t>(kSegmentHeaderSize + batch.position), batch.record_count);
  }
  uint32_t body_crc = 0;
  for (std::string_view piece : batches_) body_crc = CheckedBatchesCrc32c(piece, body_crc);

  segment.header.reserve(kSegmentHeaderSize);
  AppendBigEndian(&segment.header, kSegmentMagic);
  AppendBigEndian(&segment.header, kSegmentVersion);
  AppendBigEndian(&segment.header, uint16_t{0});  // flags
  AppendBigEndian(&segment.header, segment.base_offset);
  AppendBigEndian(&segment.header, segment.message_count);
  AppendBigEndian(&segment.header, created_unix_ms);
  AppendBigEndian(&segment.header, uint32_t{0});  // reserved

  segment.trailer.reserve(kSegmentFooterSize);
  AppendBigEndian(&segment.trailer, body_crc);
  AppendBigEndian(&segment.trailer, segment.last_offset);
  AppendBigEndian(&segment.trailer, kSegmentFooterMagic);

  segment.body = batches_;
  segment.index = index.Encode();
  segment.index_entries = index.entries();
  return segment;
}

size_t SegmentView::FindBatch(int64_t offset) const {
  auto it = std::lower_bound(batches.begin(), batches.end(), offset,
                             [](const BatchLocation& batch, int64_t target) { return batch.last_offset < target; });
  return static_cast<size_t>(it - batches.begin());
}

Status ParseSegment(std::string_view data, SegmentView* out) {
  if (data.size() < kSegmentHeaderSize + kSegmentFooterSize) {
    return Status::Corruption("segment truncated: " + std::to_string(data.size()) + " bytes");
  }
  const char* header = data.data();
  const char* footer = data.data() + data.size() - kSegmentFooterSize;
  if (LoadBigEndian<uint32_t>(header) != kSegmentMagic) return Status::Corruption("segment: bad header magic");
  auto version = LoadBigEndian<uint16_t>(header + 4);
  if (version != kSegmentVersion) return Status::Corruption("segment: unsupported version " + std::to_string(version));
  if (LoadBigEndian<uint32_t>(footer + 12) != kSegmentFooterMagic) {
    return Status::Corruption("segment: bad footer magic (torn or truncated object?)");
  }
  out->data = data;
  out->base_offset = LoadBigEndian<int64_t>(header + 8);
  out->message_count = LoadBigEndian<int32_t>(header + 16);
  out->created_unix_ms = LoadBigEndian<int64_t>(header + 20);
  out->body_crc = LoadBigEndian<uint32_t>(footer);
  out->last_offset = LoadBigEndian<int64_t>(footer + 4);
  out->body = data.substr(kSegmentHeaderSize, data.size() - kSegmentHeaderSize - kSegmentFooterSize);

  uint32_t computed = Crc32c(out->body);
  if (computed != out->body_crc) {
    return Status::Corruption(
        fmt::format("segment: body CRC32C mismatch (stored {:08x}, computed {:08x})", out->body_crc, computed));
  }
  out->batches.clear();
  if (Status s = ScanBatches(out->body, &out->batches); !s.ok()) return Status::Corruption("segment body: " + s.message());
  if (out->batches.empty()) return Status::Corruption("segment: no batches");
  int64_t messages = 0;
  for (size_t i = 0; i < out->batches.size(); ++i) {
    BatchLocation& batch = out->batches[i];
    if (i > 0 && batch.base_offset <= out->batches[i - 1].last_offset) {
      return Status::Corruption("segment: batch " + std::to_string(i) + " starts at offset " +
                                std::to_string(batch.base_offset) + ", not after " +
                                std::to_string(out->batches[i - 1].last_offset));
    }
    batch.position += kSegmentHeaderSize;
    messages += batch.record_count;
  }
  if (out->batches.front().base_offset != out->base_offset) {
    return Status::Corruption("segment: header base offset " + std::to_string(out->base_offset) +
                              " but the first batch starts at " + std::to_string(out->batches.front().base_offset));
  }
  if (out->batches.back().last_offset != out->last_offset) {
    return Status::Corruption("segment: footer last offset " + std::to_string(out->last_offset) +
                              " but the last batch ends at " + std::to_string(out->batches.back().last_offset));
  }
  if (messages != out->message_count) {
    return Status::Corruption("segment: header message count " + std::to_string(out->message_count) +
                              " but the batches hold " + std::to_string(messages));
  }
  return Status::OK();
}

}  // namespace kafscale
