#include "storage/compression.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <random>

namespace kafscale {
namespace {

constexpr size_t kLimit = 64 << 20;

const CompressionCodec kAllCodecs[] = {CompressionCodec::kNone, CompressionCodec::kGzip, CompressionCodec::kSnappy,
                                       CompressionCodec::kLz4, CompressionCodec::kZstd};

// Compressible but not trivial: words from a small vocabulary.
std::string SampleText(size_t size) {
  static const char* const kWords[] = {"kafka ", "segment ", "offset ", "broker ", "record ", "batch "};
  std::mt19937 random(42);
  std::string out;
  while (out.size() < size) out += kWords[random() % 6];
  out.resize(size);
  return out;
}

TEST(CompressionTest, RoundTripsEveryCodec) {
  for (size_t size : {0ul, 1ul, 100ul, 70000ul, 300000ul}) {
    std::string input = SampleText(size);
    for (CompressionCodec codec : kAllCodecs) {
      std::string compressed = Compress(codec, input);
      std::string output;
      ASSERT_TRUE(Decompress(codec, compressed, kLimit, &output).ok()) << CompressionCodecName(codec) << " " << size;
      EXPECT_EQ(output, input) << CompressionCodecName(codec) << " " << size;
    }
  }
}

TEST(CompressionTest, SnappyXerialFramingRoundTripsAcrossChunks) {
  std::string input = SampleText(100000);  // several 32 KiB chunks
  std::string framed = Compress(CompressionCodec::kSnappy, input, SnappyFraming::kXerial);
  ASSERT_EQ(framed.substr(0, 8), std::string("\x82SNAPPY\0", 8));
  std::string output;
  ASSERT_TRUE(Decompress(CompressionCodec::kSnappy, framed, kLimit, &output).ok());
  EXPECT_EQ(output, input);

  // snappy-java reads streams concatenated header and all.
  std::string doubled = framed + framed;
  ASSERT_TRUE(Decompress(CompressionCodec::kSnappy, doubled, kLimit, &output).ok());
  EXPECT_EQ(output, input + input);
}

TEST(CompressionTest, ReadsConcatenatedGzipMembersAndZstdFrames) {
  std::string a = SampleText(5000), b = SampleText(300);
  std::string output;
  std::string gzip = Compress(CompressionCodec::kGzip, a) + Compress(CompressionCodec::kGzip, b);
  ASSERT_TRUE(Decompress(CompressionCodec::kGzip, gzip, kLimit, &output).ok());
  EXPECT_EQ(output, a + b);
  std::string zstd = Compress(CompressionCodec::kZstd, a) + Compress(CompressionCodec::kZstd, b);
  ASSERT_TRUE(Decompress(CompressionCodec::kZstd, zstd, kLimit, &output).ok());
  EXPECT_EQ(output, a + b);
  std::string lz4 = Compress(CompressionCodec::kLz4, a) + Compress(CompressionCodec::kLz4, b);
  ASSERT_TRUE(Decompress(CompressionCodec::kLz4, lz4, kLimit, &output).ok());
  EXPECT_EQ(output, a + b);
}

TEST(CompressionTest, ReadsZstdFramesWithoutContentSize) {
  // Streaming producers do not know the size up front and leave it out.
  std::string input = SampleText(200000);
  ZSTD_CCtx* context = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 0);
  std::string compressed(ZSTD_compressBound(input.size()), '\0');
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  ZSTD_outBuffer out{compressed.data(), compressed.size(), 0};
  ASSERT_EQ(ZSTD_compressStream2(context, &out, &in, ZSTD_e_end), 0u);
  ZSTD_freeCCtx(context);
  compressed.resize(out.pos);
  ASSERT_EQ(ZSTD_getFrameContentSize(compressed.data(), compressed.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  std::string output;
  ASSERT_TRUE(Decompress(CompressionCodec::kZstd, compressed, kLimit, &output).ok());
  EXPECT_EQ(output, input);
}

TEST(CompressionTest, ReadsZlibWrappedDeflate) {
  std::string input = SampleText(3000);
  uLongf size = compressBound(input.size());
  std::string compressed(size, '\0');
  ASSERT_EQ(compress(reinterpret_cast<Bytef*>(compressed.data()), &size,
                     reinterpret_cast<const Bytef*>(input.data()), input.size()),
            Z_OK);
  compressed.resize(size);
  std::string output;
  ASSERT_TRUE(Decompress(CompressionCodec::kGzip, compressed, kLimit, &output).ok());
  EXPECT_EQ(output, input);
}

TEST(CompressionTest, TruncatedInputIsCorruption) {
  std::string input = SampleText(50000);
  for (CompressionCodec codec : kAllCodecs) {
    if (codec == CompressionCodec::kNone) continue;
    for (SnappyFraming framing : {SnappyFraming::kRaw, SnappyFraming::kXerial}) {
      std::string compressed = Compress(codec, input, framing);
      for (size_t cut : {size_t{0}, size_t{1}, compressed.size() / 2, compressed.size() - 1}) {
        std::string output;
        Status s = Decompress(codec, std::string_view(compressed).substr(0, cut), kLimit, &output);
        EXPECT_TRUE(s.IsCorruption()) << CompressionCodecName(codec) << " cut at " << cut << ": " << s.ToString();
      }
    }
  }
}

TEST(CompressionTest, GarbageIsCorruption) {
  std::string garbage(1000, '\x5A');
  for (CompressionCodec codec : kAllCodecs) {
    if (codec == CompressionCodec::kNone) continue;
    std::string output;
    EXPECT_TRUE(Decompress(codec, garbage, kLimit, &output).IsCorruption()) << CompressionCodecName(codec);
  }
}

TEST(CompressionTest, OutputLimitStopsDecompressionBombs) {
  std::string input(1 << 20, 'x');
  for (CompressionCodec codec : kAllCodecs) {
    for (SnappyFraming framing : {SnappyFraming::kRaw, SnappyFraming::kXerial}) {
      std::string output;
      Status s = Decompress(codec, Compress(codec, input, framing), 1000, &output);
      EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << CompressionCodecName(codec) << ": " << s.ToString();
      EXPECT_TRUE(Decompress(codec, Compress(codec, input, framing), input.size(), &output).ok());
    }
  }
}

TEST(CompressionTest, UnknownCodec) {
  auto unknown = static_cast<CompressionCodec>(6);
  EXPECT_FALSE(IsKnownCompressionCodec(unknown));
  EXPECT_TRUE(IsKnownCompressionCodec(CompressionCodec::kZstd));
  EXPECT_EQ(CompressionCodecName(unknown), "unknown(6)");
  std::string output;
  EXPECT_TRUE(Decompress(unknown, "abc", kLimit, &output).IsCorruption());
  EXPECT_THROW(Compress(unknown, "abc"), std::invalid_argument);
}

}  // namespace
}  // namespace kafscale
