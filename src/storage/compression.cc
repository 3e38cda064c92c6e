#include "storage/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <stdexcept>

#include "storage/big_endian.h"

namespace kafscale {

namespace {

// snappy-java stream header: 8 magic bytes, then i32 version and i32 minimum
// compatible version; chunks follow as i32 length + raw snappy block.
constexpr std::string_view kXerialMagic{"\x82SNAPPY\0", 8};
constexpr size_t kXerialHeaderSize = 16;
constexpr int32_t kXerialVersion = 1;
// snappy-java's default block size; chunks are compressed independently.
constexpr size_t kXerialChunkSize = 32 * 1024;

constexpr size_t kMinOutputGrowth = 4096;

Status OutputLimitExceeded(size_t max_output) {
  return Status::InvalidArgument("decompressed data exceeds the limit of " +
                                 std::to_string(max_output) + " bytes");
}

// Enlarges *out for more decompressed bytes, refusing to pass max_output.
Status GrowOutput(std::string* out, size_t max_output) {
  if (out->size() >= max_output) return OutputLimitExceeded(max_output);
  size_t wanted = std::max(out->size() * 2, kMinOutputGrowth);
  out->resize(std::min(wanted, max_output));
  return Status::OK();
}

// zlib counts bytes in uInt; Kafka batches are under 2 GiB, so larger input
// cannot be a batch.
Status CheckZlibInputSize(std::string_view input) {
  if (input.size() > UINT_MAX) return Status::InvalidArgument("gzip input too large");
  return Status::OK();
}

Status DecompressGzip(std::string_view input, size_t max_output, std::string* out) {
  if (Status s = CheckZlibInputSize(input); !s.ok()) return s;
  z_stream stream{};
  // 15 + 32: accept both gzip and zlib headers, detected automatically.
  if (inflateInit2(&stream, 15 + 32) != Z_OK) return Status::IOError("inflateInit2 failed");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> cleanup(&stream, &inflateEnd);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  size_t produced = 0;
  while (true) {
    if (produced == out->size()) {
      if (Status s = GrowOutput(out, max_output); !s.ok()) return s;
    }
    size_t room = std::min<size_t>(out->size() - produced, UINT_MAX);
    stream.next_out = reinterpret_cast<Bytef*>(out->data() + produced);
    stream.avail_out = static_cast<uInt>(room);
    int rc = inflate(&stream, Z_NO_FLUSH);
    produced += room - stream.avail_out;
    if (rc == Z_STREAM_END) {
      if (stream.avail_in == 0) break;
      // Java's GZIPInputStream reads concatenated members; so do we.
      if (inflateReset(&stream) != Z_OK) return Status::Corruption("gzip: cannot reset stream");
      continue;
    }
    if (rc == Z_BUF_ERROR && stream.avail_out > 0) return Status::Corruption("gzip: data truncated");
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return Status::Corruption(std::string("gzip: ") + (stream.msg ? stream.msg : "inflate failed"));
    }
  }
  out->resize(produced);
  return Status::OK();
}

// Appends the raw snappy block `block` to *out.
Status AppendRawSnappy(std::string_view block, size_t max_output, std::string* out) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(block.data(), block.size(), &length)) {
    return Status::Corruption("snappy: bad block header");
  }
  if (length > max_output - out->size()) return OutputLimitExceeded(max_output);
  size_t start = out->size();
  out->resize(start + length);
  if (!snappy::RawUncompress(block.data(), block.size(), out->data() + start)) {
    return Status::Corruption("snappy: malformed block");
  }
  return Status::OK();
}

bool HasXerialHeader(std::string_view data) {
  return data.size() >= kXerialHeaderSize && data.substr(0, kXerialMagic.size()) == kXerialMagic;
}

Status DecompressXerial(std::string_view input, size_t max_output, std::string* out) {
  while (!input.empty()) {
    // snappy-java also reads streams concatenated with their headers.
    if (HasXerialHeader(input)) {
      input.remove_prefix(kXerialHeaderSize);
      continue;
    }
    if (input.size() < 4) return Status::Corruption("snappy (xerial): truncated chunk length");
    auto chunk_size = LoadBigEndian<int32_t>(input.data());
    input.remove_prefix(4);
    if (chunk_size < 0 || static_cast<size_t>(chunk_size) > input.size()) {
      return Status::Corruption("snappy (xerial): chunk length " + std::to_string(chunk_size) +
                                " exceeds the remaining " + std::to_string(input.size()) + " bytes");
    }
    if (Status s = AppendRawSnappy(input.substr(0, chunk_size), max_output, out); !s.ok()) return s;
    input.remove_prefix(chunk_size);
  }
  return Status::OK();
}

Status DecompressSnappy(std::string_view input, size_t max_output, std::string* out) {
  out->clear();
  if (HasXerialHeader(input)) return DecompressXerial(input, max_output, out);
  return AppendRawSnappy(input, max_output, out);
}

Status DecompressLz4(std::string_view input, size_t max_output, std::string* out) {
  LZ4F_dctx* raw_context = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw_context, LZ4F_VERSION))) {
    return Status::IOError("lz4: cannot create decompression context");
  }
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> context(
      raw_context, &LZ4F_freeDecompressionContext);
  size_t produced = 0;
  while (true) {
    if (produced == out->size()) {
      if (Status s = GrowOutput(out, max_output); !s.ok()) return s;
    }
    size_t room = out->size() - produced;
    size_t consumed = input.size();
    size_t written = room;
    size_t hint = LZ4F_decompress(context.get(), out->data() + produced, &written, input.data(),
                                  &consumed, nullptr);
    if (LZ4F_isError(hint)) return Status::Corruption(std::string("lz4: ") + LZ4F_getErrorName(hint));
    input.remove_prefix(consumed);
    produced += written;
    // hint == 0: a frame ended; a following frame (if any) starts afresh.
    if (hint == 0 && input.empty()) break;
    if (hint != 0 && input.empty() && written < room) return Status::Corruption("lz4: data truncated");
  }
  out->resize(produced);
  return Status::OK();
}

Status DecompressZstd(std::string_view input, size_t max_output, std::string* out) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (!context) return Status::IOError("zstd: cannot create decompression context");
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  size_t produced = 0;
  while (true) {
    if (produced == out->size()) {
      if (Status s = GrowOutput(out, max_output); !s.ok()) return s;
    }
    ZSTD_outBuffer output{out->data(), out->size(), produced};
    size_t hint = ZSTD_decompressStream(context.get(), &output, &in);
    if (ZSTD_isError(hint)) return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(hint));
    produced = output.pos;
    // hint == 0: a frame ended and is fully flushed.
    if (hint == 0 && in.pos == in.size) break;
    if (hint != 0 && in.pos == in.size && output.pos < output.size) {
      return Status::Corruption("zstd: data truncated");
    }
  }
  out->resize(produced);
  return Status::OK();
}

std::string CompressGzip(std::string_view input) {
  if (!CheckZlibInputSize(input).ok()) throw std::invalid_argument("gzip input too large");
  z_stream stream{};
  // 15 + 16: gzip header, as Java's GZIPOutputStream writes.
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  std::unique_ptr<z_stream, decltype(&deflateEnd)> cleanup(&stream, &deflateEnd);
  std::string out(deflateBound(&stream, static_cast<uLong>(input.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  if (deflate(&stream, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("gzip: deflate failed");
  out.resize(stream.total_out);
  return out;
}

std::string CompressSnappy(std::string_view input, SnappyFraming framing) {
  std::string out;
  if (framing == SnappyFraming::kRaw) {
    snappy::Compress(input.data(), input.size(), &out);
    return out;
  }
  out.append(kXerialMagic);
  AppendBigEndian(&out, kXerialVersion);
  AppendBigEndian(&out, kXerialVersion);
  std::string chunk;
  for (size_t start = 0; start < input.size(); start += kXerialChunkSize) {
    snappy::Compress(input.data() + start, std::min(kXerialChunkSize, input.size() - start), &chunk);
    AppendBigEndian(&out, static_cast<int32_t>(chunk.size()));
    out += chunk;
  }
  return out;
}

std::string CompressLz4(std::string_view input) {
  std::string out(LZ4F_compressFrameBound(input.size(), nullptr), '\0');
  size_t size = LZ4F_compressFrame(out.data(), out.size(), input.data(), input.size(), nullptr);
  if (LZ4F_isError(size)) throw std::runtime_error(std::string("lz4: ") + LZ4F_getErrorName(size));
  out.resize(size);
  return out;
}

std::string CompressZstd(std::string_view input) {
  std::string out(ZSTD_compressBound(input.size()), '\0');
  size_t size = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), ZSTD_CLEVEL_DEFAULT);
  if (ZSTD_isError(size)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(size));
  out.resize(size);
  return out;
}

}  // namespace

bool IsKnownCompressionCodec(CompressionCodec codec) {
  return static_cast<uint8_t>(codec) <= static_cast<uint8_t>(CompressionCodec::kZstd);
}

std::string CompressionCodecName(CompressionCodec codec) {
  switch (codec) {
    case CompressionCodec::kNone: return "none";
    case CompressionCodec::kGzip: return "gzip";
    case CompressionCodec::kSnappy: return "snappy";
    case CompressionCodec::kLz4: return "lz4";
    case CompressionCodec::kZstd: return "zstd";
  }
  return "unknown(" + std::to_string(static_cast<int>(codec)) + ")";
}

Status Decompress(CompressionCodec codec, std::string_view input, size_t max_output,
                  std::string* out) {
  out->clear();
  switch (codec) {
    case CompressionCodec::kNone:
      if (input.size() > max_output) return OutputLimitExceeded(max_output);
      out->assign(input);
      return Status::OK();
    case CompressionCodec::kGzip: return DecompressGzip(input, max_output, out);
    case CompressionCodec::kSnappy: return DecompressSnappy(input, max_output, out);
    case CompressionCodec::kLz4: return DecompressLz4(input, max_output, out);
    case CompressionCodec::kZstd: return DecompressZstd(input, max_output, out);
  }
  return Status::Corruption("unknown compression codec " + CompressionCodecName(codec));
}

std::string Compress(CompressionCodec codec, std::string_view input, SnappyFraming snappy_framing) {
  switch (codec) {
    case CompressionCodec::kNone: return std::string(input);
    case CompressionCodec::kGzip: return CompressGzip(input);
    case CompressionCodec::kSnappy: return CompressSnappy(input, snappy_framing);
    case CompressionCodec::kLz4: return CompressLz4(input);
    case CompressionCodec::kZstd: return CompressZstd(input);
  }
  throw std::invalid_argument("unknown compression codec " + CompressionCodecName(codec));
}

}  // namespace kafscale
