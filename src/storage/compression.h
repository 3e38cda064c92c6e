// The compression codecs of Kafka record batches (attributes bits 0-2).
// The broker stores batches as the producer compressed them; it decompresses
// only to look inside (deep validation, tests, tools).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kafscale {

enum class CompressionCodec : uint8_t {
  kNone = 0,
  kGzip = 1,
  kSnappy = 2,
  kLz4 = 3,
  kZstd = 4,
};

// True for the five codec ids Kafka defines (0-4); ids 5-7 are unassigned.
bool IsKnownCompressionCodec(CompressionCodec codec);

// "none", "gzip", "snappy", "lz4", "zstd" or "unknown(<id>)".
std::string CompressionCodecName(CompressionCodec codec);

// Snappy data reaches Kafka in two shapes: raw snappy blocks (librdkafka,
// franz-go) and the xerial/snappy-java stream framing (Java clients).
enum class SnappyFraming { kRaw, kXerial };

// Decompresses `input` into *out, replacing its contents. Accepts every shape
// Kafka clients send: gzip (one or more members), raw or xerial-framed snappy,
// one or more LZ4 frames, one or more zstd frames (with or without content
// size). kNone copies the input.
// Errors: Corruption when the input is malformed or truncated, or the codec id
// is unknown; InvalidArgument when the output would exceed `max_output` bytes
// (guards against decompression bombs).
// Thread-safe (no shared state).
Status Decompress(CompressionCodec codec, std::string_view input, size_t max_output,
                  std::string* out);

// Compresses `input` the way a Kafka producer would (gzip member, snappy in
// the given framing, one LZ4 frame, one zstd frame). kNone returns a copy.
// Throws std::invalid_argument for an unknown codec, std::runtime_error if a
// compression library fails internally (it only does when out of memory).
// Thread-safe (no shared state).
std::string Compress(CompressionCodec codec, std::string_view input,
                     SnappyFraming snappy_framing = SnappyFraming::kRaw);

}  // namespace kafscale
