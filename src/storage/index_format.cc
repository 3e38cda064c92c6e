#include "storage/index_format.h"

#include <algorithm>

#include "storage/big_endian.h"
#include "storage/segment_format.h"

namespace kafscale {

IndexBuilder::IndexBuilder(int32_t interval) : interval_(std::max(interval, 1)) {}

void IndexBuilder::AddBatch(int64_t base_offset, int32_t position, int32_t message_count) {
  if (entries_.empty() || messages_since_entry_ >= interval_) {
    entries_.push_back({base_offset, position});
    messages_since_entry_ = 0;
  }
  messages_since_entry_ += message_count;
}

std::string IndexBuilder::Encode() const {
  std::string out;
  out.reserve(kIndexHeaderSize + entries_.size() * kIndexEntrySize);
  AppendBigEndian(&out, kIndexMagic);
  AppendBigEndian(&out, kIndexVersion);
  AppendBigEndian(&out, static_cast<int32_t>(entries_.size()));
  AppendBigEndian(&out, interval_);
  AppendBigEndian(&out, uint16_t{0});  // reserved
  for (const IndexEntry& entry : entries_) {
    AppendBigEndian(&out, entry.offset);
    AppendBigEndian(&out, entry.position);
  }
  return out;
}

int32_t IndexView::FindPosition(int64_t offset) const {
  auto after = std::upper_bound(entries.begin(), entries.end(), offset,
                                [](int64_t target, const IndexEntry& entry) { return target < entry.offset; });
  return after == entries.begin() ? entries.front().position : std::prev(after)->position;
}

Status ParseIndex(std::string_view data, IndexView* out) {
  if (data.size() < kIndexHeaderSize) {
    return Status::Corruption("index truncated: " + std::to_string(data.size()) + " bytes");
  }
  if (LoadBigEndian<uint32_t>(data.data()) != kIndexMagic) return Status::Corruption("index: bad magic");
  uint16_t version = LoadBigEndian<uint16_t>(data.data() + 4);
  if (version != kIndexVersion) return Status::Corruption("index: unsupported version " + std::to_string(version));
  auto count = LoadBigEndian<int32_t>(data.data() + 6);
  out->interval = LoadBigEndian<int32_t>(data.data() + 10);
  if (count < 1) return Status::Corruption("index: entry count " + std::to_string(count));
  if (out->interval < 1) return Status::Corruption("index: interval " + std::to_string(out->interval));
  size_t expected_size = kIndexHeaderSize + static_cast<size_t>(count) * kIndexEntrySize;
  if (data.size() != expected_size) {
    return Status::Corruption("index: " + std::to_string(count) + " entries need " + std::to_string(expected_size) +
                              " bytes, found " + std::to_string(data.size()));
  }
  out->entries.clear();
  out->entries.reserve(static_cast<size_t>(count));
  for (size_t at = kIndexHeaderSize; at < data.size(); at += kIndexEntrySize) {
    IndexEntry entry{LoadBigEndian<int64_t>(data.data() + at), LoadBigEndian<int32_t>(data.data() + at + 8)};
    bool ascending = out->entries.empty() || (entry.offset > out->entries.back().offset &&
                                              entry.position > out->entries.back().position);
    if (!ascending || entry.position < static_cast<int32_t>(kSegmentHeaderSize)) {
      return Status::Corruption("index: entry " + std::to_string(out->entries.size()) + " (offset " +
                                std::to_string(entry.offset) + ", position " + std::to_string(entry.position) +
                                ") out of order");
    }
    out->entries.push_back(entry);
  }
  return Status::OK();
}

}  // namespace kafscale
