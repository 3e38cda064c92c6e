#include "storage/segment_key.h"

#include <fmt/format.h>

#include <charconv>

namespace kafscale {

namespace {

constexpr std::string_view kSegmentFilePrefix = "segment-";
constexpr std::string_view kSegmentSuffix = ".kfs";
constexpr std::string_view kIndexSuffix = ".index";
constexpr size_t kOffsetDigits = 20;

std::string ObjectKey(std::string_view ns, std::string_view topic, int32_t partition, int64_t base_offset,
                      std::string_view suffix) {
  return fmt::format("{}/{}/{}/{}{:020d}{}", ns, topic, partition, kSegmentFilePrefix, base_offset, suffix);
}

bool AllDigits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

template <typename Int>
bool ParseDecimal(std::string_view text, Int* out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size();
}

// Moves the text after the last '/' of *rest into *segment and cuts it (and
// the '/') off *rest. False when *rest has no '/'.
bool PopLastSegment(std::string_view* rest, std::string_view* segment) {
  size_t slash = rest->rfind('/');
  if (slash == std::string_view::npos) return false;
  *segment = rest->substr(slash + 1);
  *rest = rest->substr(0, slash);
  return true;
}

}  // namespace

std::string SegmentKey(std::string_view ns, std::string_view topic, int32_t partition, int64_t base_offset) {
  return ObjectKey(ns, topic, partition, base_offset, kSegmentSuffix);
}

std::string IndexKey(std::string_view ns, std::string_view topic, int32_t partition, int64_t base_offset) {
  return ObjectKey(ns, topic, partition, base_offset, kIndexSuffix);
}

std::string PartitionKeyPrefix(std::string_view ns, std::string_view topic, int32_t partition) {
  return fmt::format("{}/{}/{}/", ns, topic, partition);
}

Status ParseSegmentKey(std::string_view key, ParsedSegmentKey* out) {
  auto invalid = [key](std::string_view why) {
    return Status::InvalidArgument("not a segment key (" + std::string(why) + "): " + std::string(key));
  };
  std::string_view rest = key;
  std::string_view file, partition, topic;
  if (!PopLastSegment(&rest, &file) || !PopLastSegment(&rest, &partition) || !PopLastSegment(&rest, &topic)) {
    return invalid("too few '/'-separated parts");
  }
  if (rest.empty() || topic.empty()) return invalid("empty namespace or topic");
  out->ns = std::string(rest);
  out->topic = std::string(topic);

  if (!file.starts_with(kSegmentFilePrefix)) return invalid("file name");
  file.remove_prefix(kSegmentFilePrefix.size());
  if (file.ends_with(kSegmentSuffix)) {
    out->kind = SegmentObjectKind::kSegment;
    file.remove_suffix(kSegmentSuffix.size());
  } else if (file.ends_with(kIndexSuffix)) {
    out->kind = SegmentObjectKind::kIndex;
    file.remove_suffix(kIndexSuffix.size());
  } else {
    return invalid("suffix");
  }
  if (file.size() != kOffsetDigits || !AllDigits(file) || !ParseDecimal(file, &out->base_offset)) {
    return invalid("base offset");
  }
  bool canonical_partition = AllDigits(partition) && (partition == "0" || partition[0] != '0');
  if (!canonical_partition || !ParseDecimal(partition, &out->partition)) return invalid("partition");
  return Status::OK();
}

}  // namespace kafscale
