#include "storage/wal_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include "storage/big_endian.h"
#include "common/crc32c.h"

namespace kafscale {

namespace {

constexpr size_t kMaxTopicLength = std::numeric_limits<uint16_t>::max();
constexpr size_t kRangeCountSize = 4;
constexpr std::string_view kWalDirectory = "~wal";
constexpr std::string_view kWalSuffix = ".wal";

// "orders-3 from offset 1000", how errors name a range.
std::string RangeName(std::string_view topic, int32_t partition, int64_t base_offset) {
  return fmt::format("{}-{} from offset {}", topic, partition, base_offset);
}

// Reads the index fields in order, never past the end of the index.
class IndexReader {
 public:
  explicit IndexReader(std::string_view data) : data_(data) {}

  size_t remaining() const { return data_.size(); }

  template <typename T>
  bool Read(T* out) {
    if (data_.size() < sizeof(T)) return false;
    *out = LoadBigEndian<T>(data_.data());
    data_.remove_prefix(sizeof(T));
    return true;
  }

  bool ReadBytes(size_t length, std::string_view* out) {
    if (data_.size() < length) return false;
    *out = data_.substr(0, length);
    data_.remove_prefix(length);
    return true;
  }

 private:
  std::string_view data_;
};

// Reads one index entry. False when the index ends inside it.
bool ReadRange(IndexReader& reader, WalRange* range) {
  uint16_t topic_length = 0;
  std::string_view topic;
  bool complete = reader.Read(&topic_length) && reader.ReadBytes(topic_length, &topic) &&
                  reader.Read(&range->partition) && reader.Read(&range->base_offset) &&
                  reader.Read(&range->last_offset) && reader.Read(&range->position) && reader.Read(&range->length);
  range->topic = topic;
  return complete;
}

// The checks on one index entry that need nothing but the entry and where
// the body ends. Returns the problem, empty when there is none.
std::string RangeProblem(const WalRange& range, uint64_t body_end) {
  if (range.topic.empty()) return "empty topic";
  if (range.partition < 0) return "negative partition";
  if (range.base_offset < 0 || range.last_offset < range.base_offset) {
    return fmt::format("offsets {}..{}", range.base_offset, range.last_offset);
  }
  if (range.length == 0) return "empty";
  if (range.position < kWalHeaderSize || range.position > body_end || range.length > body_end - range.position) {
    return fmt::format("{} bytes at position {} lie outside the body (bytes {}..{})", range.length, range.position,
                       kWalHeaderSize, body_end);
  }
  return {};
}

// Canonical decimal int32 >= 0: digits only, no leading zero but in "0".
bool ParseBrokerId(std::string_view text, int32_t* out) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  if (text.find_first_not_of("0123456789") != std::string_view::npos) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size();
}

// Zero bytes before an aligned range (WalBuilder's range alignment).
constexpr std::array<char, WalBuilder::kMaxRangeAlignment> kZeroPadding{};

bool IsPadding(std::string_view piece) { return piece.data() == kZeroPadding.data(); }

}  // namespace

WalBuilder::WalBuilder(size_t range_alignment) : range_alignment_(range_alignment) {}

Status WalBuilder::Add(std::string_view topic, int32_t partition, std::string_view batches) {
  if (topic.empty() || topic.size() > kMaxTopicLength) {
    return Status::InvalidArgument(fmt::format("topic of {} bytes (1..{} allowed)", topic.size(), kMaxTopicLength));
  }
  if (partition < 0) return Status::InvalidArgument("negative partition " + std::to_string(partition));
  std::vector<BatchLocation> added;
  if (Status s = ScanBatches(batches, &added); !s.ok()) return Status::InvalidArgument(s.message());
  if (added.empty()) return Status::InvalidArgument("no batch to add");
  auto name = [&] { return RangeName(topic, partition, added.front().base_offset); };

  bool extends = !ranges_.empty() && ranges_.back().topic == topic && ranges_.back().partition == partition;
  if (!extends) {
    if (partitions_.contains({std::string(topic), partition})) {
      return Status::InvalidArgument(fmt::format("{}-{} already has a range; add a partition's batches together",
                                                 topic, partition));
    }
    if (ranges_.size() == static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
      return Status::InvalidArgument("a WAL object holds at most 2^31-1 ranges");
    }
    if (added.front().base_offset < 0) return Status::InvalidArgument(name() + ": negative base offset");
  }
  int64_t previous_last = extends ? ranges_.back().last_offset : std::numeric_limits<int64_t>::min();
  for (const BatchLocation& batch : added) {
    if (batch.base_offset <= previous_last || batch.last_offset < batch.base_offset) {
      return Status::InvalidArgument(fmt::format("{}: batch offsets {}..{} do not follow offset {}", name(),
                                                 batch.base_offset, batch.last_offset, previous_last));
    }
    previous_last = batch.last_offset;
  }

  if (extends) {
    ranges_.back().last_offset = added.back().last_offset;
    ranges_.back().length += batches.size();
  } else {
    if (range_alignment_ > 0 && batches.size() >= 16 * range_alignment_) {
      // Unsigned wrap-around keeps the difference right modulo a power of two.
      const size_t padding =
          (reinterpret_cast<uintptr_t>(batches.data()) - (kWalHeaderSize + body_size_)) % range_alignment_;
      if (padding > 0) {
        pieces_.push_back(std::string_view(kZeroPadding.data(), padding));
        body_size_ += padding;
      }
    }
    ranges_.push_back({std::string(topic), partition, added.front().base_offset, added.back().last_offset,
                       kWalHeaderSize + body_size_, batches.size()});
    partitions_.emplace(topic, partition);
    index_size_ += kWalIndexEntryFixedSize + topic.size();
  }
  pieces_.push_back(batches);
  body_size_ += batches.size();
  return Status::OK();
}

Result<EncodedWal> WalBuilder::Finish(int64_t created_unix_ms) const {
  if (ranges_.empty()) return Status::InvalidArgument("a WAL object needs at least one batch");
  EncodedWal wal;
  wal.header.reserve(kWalHeaderSize);
  AppendBigEndian(&wal.header, kWalMagic);
  AppendBigEndian(&wal.header, kWalVersion);
  AppendBigEndian(&wal.header, uint16_t{0});  // flags
  AppendBigEndian(&wal.header, created_unix_ms);
  wal.body = pieces_;

  std::string& out = wal.trailer;
  out.reserve(index_size_ + kWalFooterSize);
  const auto index_position = static_cast<uint64_t>(kWalHeaderSize + body_size_);
  AppendBigEndian(&out, static_cast<int32_t>(ranges_.size()));
  for (const WalRange& range : ranges_) {
    AppendBigEndian(&out, static_cast<uint16_t>(range.topic.size()));
    out += range.topic;
    AppendBigEndian(&out, range.partition);
    AppendBigEndian(&out, range.base_offset);
    AppendBigEndian(&out, range.last_offset);
    AppendBigEndian(&out, range.position);
    AppendBigEndian(&out, range.length);
  }

  uint32_t crc = Crc32c(wal.header);
  for (std::string_view piece : pieces_) crc = IsPadding(piece) ? Crc32c(piece, crc) : CheckedBatchesCrc32c(piece, crc);
  crc = Crc32c(out, crc);
  AppendBigEndian(&out, crc);
  AppendBigEndian(&out, index_position);
  AppendBigEndian(&out, kWalFooterMagic);
  wal.ranges = ranges_;
  return wal;
}

Status ParseWalIndex(std::string_view object, std::vector<WalRange>* ranges) {
  if (object.size() < kWalHeaderSize + kRangeCountSize + kWalFooterSize) {
    return Status::Corruption("wal object truncated: " + std::to_string(object.size()) + " bytes");
  }
  const char* header = object.data();
  const char* footer = object.data() + object.size() - kWalFooterSize;
  if (LoadBigEndian<uint32_t>(header) != kWalMagic) return Status::Corruption("wal: bad header magic");
  auto version = LoadBigEndian<uint16_t>(header + 4);
  if (version != kWalVersion) return Status::Corruption("wal: unsupported version " + std::to_string(version));
  if (LoadBigEndian<uint32_t>(footer + 12) != kWalFooterMagic) {
    return Status::Corruption("wal: bad footer magic (torn or truncated object?)");
  }
  size_t index_end = object.size() - kWalFooterSize;
  auto stored_crc = LoadBigEndian<uint32_t>(footer);
  uint32_t computed_crc = Crc32c(object.substr(0, index_end));
  if (computed_crc != stored_crc) {
    return Status::Corruption(
        fmt::format("wal: CRC32C mismatch (stored {:08x}, computed {:08x})", stored_crc, computed_crc));
  }
  auto index_position = LoadBigEndian<uint64_t>(footer + 4);
  if (index_position < kWalHeaderSize || index_position > index_end - kRangeCountSize) {
    return Status::Corruption(fmt::format("wal: index position {} outside bytes {}..{}", index_position,
                                          kWalHeaderSize, index_end - kRangeCountSize));
  }

  IndexReader reader(object.substr(index_position, index_end - index_position));
  int32_t count = 0;
  reader.Read(&count);
  if (count < 1) return Status::Corruption("wal index: range count " + std::to_string(count));
  std::vector<WalRange> parsed;
  parsed.reserve(std::min(static_cast<size_t>(count), reader.remaining() / kWalIndexEntryFixedSize));
  for (int32_t i = 0; i < count; ++i) {
    WalRange& range = parsed.emplace_back();
    if (!ReadRange(reader, &range)) {
      return Status::Corruption(fmt::format("wal index: ends inside range {} of {}", i, count));
    }
    if (std::string problem = RangeProblem(range, index_position); !problem.empty()) {
      return Status::Corruption(fmt::format("wal index: range {} ({}): {}", i,
                                            RangeName(range.topic, range.partition, range.base_offset), problem));
    }
  }
  if (reader.remaining() != 0) {
    return Status::Corruption(fmt::format("wal index: {} bytes after the last range", reader.remaining()));
  }

  std::vector<const WalRange*> by_position;
  std::set<std::pair<std::string_view, int32_t>> partitions;
  for (const WalRange& range : parsed) {
    by_position.push_back(&range);
    if (!partitions.emplace(range.topic, range.partition).second) {
      return Status::Corruption(fmt::format("wal index: {}-{} has two ranges", range.topic, range.partition));
    }
  }
  std::sort(by_position.begin(), by_position.end(),
            [](const WalRange* a, const WalRange* b) { return a->position < b->position; });
  for (size_t i = 1; i < by_position.size(); ++i) {
    const WalRange& before = *by_position[i - 1];
    const WalRange& after = *by_position[i];
    if (before.position + before.length > after.position) {
      return Status::Corruption(fmt::format("wal index: ranges {} and {} overlap",
                                            RangeName(before.topic, before.partition, before.base_offset),
                                            RangeName(after.topic, after.partition, after.base_offset)));
    }
  }
  *ranges = std::move(parsed);
  return Status::OK();
}

Status ParseWalRange(std::string_view range_bytes, const WalRange& expected, std::vector<BatchLocation>* batches) {
  auto corruption = [&expected](std::string_view problem) {
    return Status::Corruption(fmt::format("wal range {}: {}",
                                          RangeName(expected.topic, expected.partition, expected.base_offset),
                                          problem));
  };
  if (range_bytes.size() != expected.length) {
    return corruption(fmt::format("{} bytes, the index says {}", range_bytes.size(), expected.length));
  }
  std::vector<BatchLocation> found;
  if (Status s = ScanBatches(range_bytes, &found); !s.ok()) return corruption(s.message());
  if (found.empty()) return corruption("no batches");
  for (size_t i = 0; i < found.size(); ++i) {
    const BatchLocation& batch = found[i];
    if (Status s = VerifyBatchCrc(range_bytes, batch.position); !s.ok()) return corruption(s.message());
    if (batch.last_offset < batch.base_offset || (i > 0 && batch.base_offset <= found[i - 1].last_offset)) {
      return corruption(fmt::format("batch at byte {} holds offsets {}..{}, not after offset {}", batch.position,
                                    batch.base_offset, batch.last_offset,
                                    i > 0 ? found[i - 1].last_offset : batch.base_offset - 1));
    }
  }
  if (found.front().base_offset != expected.base_offset) {
    return corruption(fmt::format("the first batch starts at offset {}", found.front().base_offset));
  }
  if (found.back().last_offset != expected.last_offset) {
    return corruption(fmt::format("the last batch ends at offset {}, the index says {}", found.back().last_offset,
                                  expected.last_offset));
  }
  *batches = std::move(found);
  return Status::OK();
}

std::string AllWalKeysPrefix(std::string_view ns) { return fmt::format("{}/{}/", ns, kWalDirectory); }

std::string WalKeyPrefix(std::string_view ns, int32_t broker_id) {
  return fmt::format("{}{}/", AllWalKeysPrefix(ns), broker_id);
}

std::string WalObjectKey(std::string_view ns, int32_t broker_id, std::string_view name) {
  return WalKeyPrefix(ns, broker_id) + std::string(name) + std::string(kWalSuffix);
}

bool ParseWalKey(std::string_view key, ParsedWalKey* out) {
  const std::string marker = fmt::format("/{}/", kWalDirectory);
  size_t at = key.rfind(marker);
  if (at == std::string_view::npos || at == 0) return false;
  std::string_view rest = key.substr(at + marker.size());  // "{broker_id}/{name}.wal"
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view file = rest.substr(slash + 1);
  if (!file.ends_with(kWalSuffix) || file.size() == kWalSuffix.size() || file.find('/') != std::string_view::npos) {
    return false;
  }
  if (!ParseBrokerId(rest.substr(0, slash), &out->broker_id)) return false;
  out->ns = std::string(key.substr(0, at));
  out->name = std::string(file.substr(0, file.size() - kWalSuffix.size()));
  return true;
}

}  // namespace kafscale
