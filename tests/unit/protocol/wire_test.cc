#include "protocol/wire.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>

#include "protocol/hex.h"

namespace kafscale::kafka {
namespace {

using testing::BytesToHex;
using testing::HexToBytes;
using testing::SharedHex;

std::string Encode(const std::function<void(Writer&)>& write) {
  Writer w;
  write(w);
  return BytesToHex(w.FinishFlat());
}

Reader ReaderFor(std::string_view hex) { return Reader(SharedHex(hex)); }

TEST(WireTest, FixedWidthIntegersAreBigEndian) {
  EXPECT_EQ(Encode([](Writer& w) {
              w.WriteInt8(-2);
              w.WriteInt16(0x0102);
              w.WriteInt32(-1);
              w.WriteInt64(0x0102030405060708);
              w.WriteUint16(0xfffe);
              w.WriteUint32(0x80000000u);
              w.WriteBool(true);
              w.WriteBool(false);
            }),
            "fe" "0102" "ffffffff" "0102030405060708" "fffe" "80000000" "01" "00");
  Reader r = ReaderFor("fe0102ffffffff0102030405060708fffe800000000100");
  EXPECT_EQ(r.ReadInt8("a"), -2);
  EXPECT_EQ(r.ReadInt16("b"), 0x0102);
  EXPECT_EQ(r.ReadInt32("c"), -1);
  EXPECT_EQ(r.ReadInt64("d"), 0x0102030405060708);
  EXPECT_EQ(r.ReadUint16("e"), 0xfffe);
  EXPECT_EQ(r.ReadUint32("f"), 0x80000000u);
  EXPECT_TRUE(r.ReadBool("g"));
  EXPECT_FALSE(r.ReadBool("h"));
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(WireTest, IntegerExtremesRoundTrip) {
  Writer w;
  w.WriteInt16(std::numeric_limits<int16_t>::min());
  w.WriteInt32(std::numeric_limits<int32_t>::min());
  w.WriteInt64(std::numeric_limits<int64_t>::min());
  w.WriteInt64(std::numeric_limits<int64_t>::max());
  Reader r(std::make_shared<const std::string>(w.FinishFlat()));
  EXPECT_EQ(r.ReadInt16("a"), std::numeric_limits<int16_t>::min());
  EXPECT_EQ(r.ReadInt32("b"), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(r.ReadInt64("c"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r.ReadInt64("d"), std::numeric_limits<int64_t>::max());
}

TEST(WireTest, Float64IsIeeeBigEndian) {
  EXPECT_EQ(Encode([](Writer& w) { w.WriteFloat64(1.5); }), "3ff8000000000000");
  Reader r = ReaderFor("3ff8000000000000fff0000000000000");
  EXPECT_EQ(r.ReadFloat64("a"), 1.5);
  EXPECT_TRUE(std::isinf(r.ReadFloat64("b")));
}

TEST(WireTest, AnyNonZeroByteReadsAsTrue) {
  Reader r = ReaderFor("02");
  EXPECT_TRUE(r.ReadBool("flag"));
}

struct UnsignedVarintCase {
  uint32_t value;
  const char* hex;
};

TEST(WireTest, UnsignedVarintEncodings) {
  for (auto [value, hex] : {UnsignedVarintCase{0, "00"}, {1, "01"}, {127, "7f"}, {128, "8001"},
                            {300, "ac02"}, {16383, "ff7f"}, {16384, "808001"},
                            {0x0fffffff, "ffffff7f"}, {0x10000000, "8080808001"},
                            {0xffffffff, "ffffffff0f"}}) {
    SCOPED_TRACE(value);
    EXPECT_EQ(Encode([value = value](Writer& w) { w.WriteUnsignedVarint(value); }), hex);
    Reader r = ReaderFor(hex);
    EXPECT_EQ(r.ReadUnsignedVarint("v"), value);
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TEST(WireTest, UnsignedVarlongExtremes) {
  EXPECT_EQ(Encode([](Writer& w) { w.WriteUnsignedVarlong(std::numeric_limits<uint64_t>::max()); }),
            "ffffffffffffffffff01");
  Reader r = ReaderFor("ffffffffffffffffff01");
  EXPECT_EQ(r.ReadUnsignedVarlong("v"), std::numeric_limits<uint64_t>::max());
}

TEST(WireTest, ZigZagVarints) {
  EXPECT_EQ(Encode([](Writer& w) {
              w.WriteVarint(0);
              w.WriteVarint(-1);
              w.WriteVarint(1);
              w.WriteVarint(-2);
              w.WriteVarint(63);
              w.WriteVarint(-64);
              w.WriteVarint(64);
            }),
            "00" "01" "02" "03" "7e" "7f" "8001");
  for (int32_t v : {0, 1, -1, 1000, -1000, std::numeric_limits<int32_t>::max(),
                    std::numeric_limits<int32_t>::min()}) {
    Writer w;
    w.WriteVarint(v);
    Reader r(std::make_shared<const std::string>(w.FinishFlat()));
    EXPECT_EQ(r.ReadVarint("v"), v);
  }
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1} << 40, std::numeric_limits<int64_t>::max(),
                    std::numeric_limits<int64_t>::min()}) {
    Writer w;
    w.WriteVarlong(v);
    Reader r(std::make_shared<const std::string>(w.FinishFlat()));
    EXPECT_EQ(r.ReadVarlong("v"), v);
  }
  EXPECT_EQ(Encode([](Writer& w) { w.WriteVarlong(std::numeric_limits<int64_t>::min()); }),
            "ffffffffffffffffff01");
}

TEST(WireTest, MalformedVarintsThrow) {
  // Six bytes, all with the continuation bit: longer than any 32-bit varint.
  EXPECT_THROW(ReaderFor("ffffffffff01").ReadUnsignedVarint("v"), DecodeError);
  // Five bytes whose last carries bits beyond 32.
  EXPECT_THROW(ReaderFor("ffffffff1f").ReadUnsignedVarint("v"), DecodeError);
  // Continuation bit set on the last available byte.
  EXPECT_THROW(ReaderFor("80").ReadUnsignedVarint("v"), DecodeError);
  EXPECT_THROW(ReaderFor("ffffffffffffffffff02").ReadUnsignedVarlong("v"), DecodeError);
  EXPECT_THROW(ReaderFor("ffffffffffffffffffff01").ReadUnsignedVarlong("v"), DecodeError);
}

TEST(WireTest, ClassicAndCompactStrings) {
  EXPECT_EQ(Encode([](Writer& w) { w.WriteString("abc", false); }), "0003616263");
  EXPECT_EQ(Encode([](Writer& w) { w.WriteString("abc", true); }), "04616263");
  EXPECT_EQ(Encode([](Writer& w) { w.WriteString("", true); }), "01");
  EXPECT_EQ(Encode([](Writer& w) { w.WriteNullableString(std::nullopt, false); }), "ffff");
  EXPECT_EQ(Encode([](Writer& w) { w.WriteNullableString(std::nullopt, true); }), "00");
  EXPECT_EQ(ReaderFor("0003616263").ReadString(false, "s"), "abc");
  EXPECT_EQ(ReaderFor("04616263").ReadString(true, "s"), "abc");
  EXPECT_EQ(ReaderFor("ffff").ReadNullableString(false, "s"), std::nullopt);
  EXPECT_EQ(ReaderFor("00").ReadNullableString(true, "s"), std::nullopt);
  EXPECT_EQ(ReaderFor("01").ReadNullableString(true, "s"), std::string());
}

TEST(WireTest, ClassicBytesUseInt32Length) {
  EXPECT_EQ(Encode([](Writer& w) { w.WriteBytes(std::string("\0\1", 2), false); }), "000000020001");
  EXPECT_EQ(Encode([](Writer& w) { w.WriteNullableBytes(std::nullopt, false); }), "ffffffff");
  EXPECT_EQ(ReaderFor("000000020001").ReadBytes(false, "b"), std::string("\0\1", 2));
  EXPECT_EQ(ReaderFor("03abcd").ReadBytes(true, "b"), HexToBytes("abcd"));
  EXPECT_EQ(ReaderFor("ffffffff").ReadNullableBytes(false, "b"), std::nullopt);
}

TEST(WireTest, NullInNonNullableFieldThrowsNamingTheField) {
  try {
    ReaderFor("ffff").ReadString(false, "Topic.Name");
    FAIL() << "expected DecodeError";
  } catch (const DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find("Topic.Name"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ReaderFor("00").ReadString(true, "s"), DecodeError);
  EXPECT_THROW(ReaderFor("ffffffff").ReadBytes(false, "b"), DecodeError);
  EXPECT_THROW(ReaderFor("ffffffff").ReadRecords(false, "r"), DecodeError);
  EXPECT_THROW(ReaderFor("ffffffff").ReadArrayLength(false, false, "a"), DecodeError);
  EXPECT_EQ(ReaderFor("ffffffff").ReadArrayLength(false, true, "a"), -1);
  EXPECT_EQ(ReaderFor("00").ReadArrayLength(true, true, "a"), -1);
}

TEST(WireTest, NegativeLengthsThrow) {
  EXPECT_THROW(ReaderFor("fffe").ReadNullableString(false, "s"), DecodeError);
  EXPECT_THROW(ReaderFor("fffffffe").ReadNullableBytes(false, "b"), DecodeError);
  EXPECT_THROW(ReaderFor("80000000").ReadArrayLength(false, true, "a"), DecodeError);
}

TEST(WireTest, LengthsBeyondTheInputThrow) {
  EXPECT_THROW(ReaderFor("000561").ReadString(false, "s"), DecodeError);
  EXPECT_THROW(ReaderFor("0661").ReadString(true, "s"), DecodeError);
  EXPECT_THROW(ReaderFor("7fffffff00").ReadArrayLength(false, false, "a"), DecodeError);
  EXPECT_THROW(ReaderFor("ffffffff0f").ReadArrayLength(true, false, "a"), DecodeError);
  EXPECT_EQ(ReaderFor("0000000200aa").ReadArrayLength(false, false, "a"), 2);
}

TEST(WireTest, ReadingPastTheEndThrows) {
  EXPECT_THROW(ReaderFor("").ReadInt8("x"), DecodeError);
  EXPECT_THROW(ReaderFor("01").ReadInt16("x"), DecodeError);
  EXPECT_THROW(ReaderFor("010203").ReadInt32("x"), DecodeError);
  EXPECT_THROW(ReaderFor("01020304050607").ReadInt64("x"), DecodeError);
  EXPECT_THROW(ReaderFor("00").ReadUuid("x"), DecodeError);
  EXPECT_THROW(ReaderFor("0102").ReadRaw(3, "x"), DecodeError);
}

TEST(WireTest, ArrayLengths) {
  EXPECT_EQ(Encode([](Writer& w) { w.WriteArrayLength(3, false); }), "00000003");
  EXPECT_EQ(Encode([](Writer& w) { w.WriteArrayLength(3, true); }), "04");
  EXPECT_EQ(Encode([](Writer& w) { w.WriteArrayLength(-1, false); }), "ffffffff");
  EXPECT_EQ(Encode([](Writer& w) { w.WriteArrayLength(-1, true); }), "00");
}

TEST(WireTest, UuidIsSixteenRawBytes) {
  Uuid id;
  for (size_t i = 0; i < id.bytes.size(); ++i) id.bytes[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(Encode([&](Writer& w) { w.WriteUuid(id); }), "000102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(ReaderFor("000102030405060708090a0b0c0d0e0f").ReadUuid("id"), id);
}

TEST(WireTest, ClassicStringTooLongForInt16LengthIsACallerError) {
  Writer w;
  EXPECT_THROW(w.WriteString(std::string(40000, 'x'), false), std::length_error);
  w.WriteString(std::string(40000, 'x'), true);  // compact strings have no such limit
}

TEST(WireTest, DecodedRecordsShareTheInputBuffer) {
  auto buffer = SharedHex("00000003abcdef");
  Reader r(buffer);
  Records records = r.ReadRecords(false, "records");
  ASSERT_EQ(records.slices.size(), 1u);
  EXPECT_EQ(records.slices[0].owner, buffer);
  EXPECT_EQ(records.slices[0].bytes.data(), buffer->data() + 4);
  EXPECT_EQ(records.Flatten(), HexToBytes("abcdef"));
  EXPECT_EQ(ReaderFor("ffffffff").ReadNullableRecords(false, "r"), std::nullopt);
  EXPECT_EQ(ReaderFor("01").ReadNullableRecords(true, "r"), Records());
}

TEST(WireTest, RecordsCompareByContentNotSlicing) {
  auto owner = std::make_shared<const std::string>("hello world");
  Records split;
  split.slices.push_back({owner, std::string_view(*owner).substr(0, 3)});
  split.slices.push_back({owner, std::string_view(*owner).substr(3, 0)});
  split.slices.push_back({owner, std::string_view(*owner).substr(3)});
  EXPECT_EQ(split.size(), 11u);
  EXPECT_EQ(split, Records::FromString("hello world"));
  EXPECT_FALSE(split == Records::FromString("hello worle"));
  EXPECT_FALSE(split == Records::FromString("hello"));
  EXPECT_EQ(Records::FromString(""), Records());
  EXPECT_TRUE(Records::FromString("").slices.empty());
}

TEST(WireTest, WriterKeepsRecordsAsExternalPieces) {
  Records records = Records::FromString("BATCH");
  const char* batch_bytes = records.slices[0].bytes.data();
  Writer w;
  w.WriteInt16(7);
  w.WriteRecords(records, false);
  w.WriteInt8(1);
  EXPECT_EQ(w.size(), 2u + 4u + 5u + 1u);
  std::vector<SharedSlice> pieces = w.Finish();
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(BytesToHex(pieces[0].bytes), "000700000005");
  EXPECT_EQ(pieces[1].bytes.data(), batch_bytes);  // referenced, not copied
  EXPECT_EQ(pieces[1].owner, records.slices[0].owner);
  EXPECT_EQ(BytesToHex(pieces[2].bytes), "01");
  EXPECT_EQ(w.size(), 0u);  // Finish resets
}

TEST(WireTest, FinishFlatConcatenatesPieces) {
  Writer w;
  w.WriteNullableRecords(Records::FromString("xy"), true);
  w.WriteNullableRecords(std::nullopt, true);
  w.WriteRecords(Records(), false);
  EXPECT_EQ(BytesToHex(w.FinishFlat()), "03" "7879" "00" "00000000");
}

TEST(WireTest, TaggedFieldsMergeKnownAndUnknownByTag) {
  Writer w;
  w.WriteTaggedFields({{1, "a"}, {4, "bb"}}, {{0, ""}, {2, "c"}, {9, "d"}});
  EXPECT_EQ(BytesToHex(w.FinishFlat()),
            "05" "0000" "010161" "020163" "04026262" "090164");
  Writer empty;
  empty.WriteTaggedFields({}, {});
  EXPECT_EQ(BytesToHex(empty.FinishFlat()), "00");
}

TEST(WireTest, UnknownTaggedFieldsAreKept) {
  Reader r = ReaderFor("02" "0301ff" "8001020102" "aa");
  std::vector<RawTaggedField> fields;
  r.ReadUnknownTaggedFields(fields, "Struct");
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0], (RawTaggedField{3, HexToBytes("ff")}));
  EXPECT_EQ(fields[1], (RawTaggedField{128, HexToBytes("0102")}));
  EXPECT_EQ(r.remaining(), 1u);
}

TEST(WireTest, TaggedFieldValueIsBoundedBySize) {
  Reader r = ReaderFor("05" "02" "0001" "ee");
  Reader::TaggedField field = r.ReadTaggedField("Struct");
  EXPECT_EQ(field.tag, 5u);
  EXPECT_EQ(field.value.ReadInt16("value"), 1);
  EXPECT_THROW(field.value.ReadInt8("value"), DecodeError);  // not into the next field
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_THROW(ReaderFor("0505" "00").ReadTaggedField("Struct"), DecodeError);
}

TEST(WireTest, VersionChecks) {
  EXPECT_NO_THROW(CheckDecodeVersion("M", 3, 0, 3));
  EXPECT_THROW(CheckDecodeVersion("M", 4, 0, 3), DecodeError);
  EXPECT_THROW(CheckDecodeVersion("M", -1, 0, 3), DecodeError);
  EXPECT_THROW(CheckEncodeVersion("M", 4, 0, 3), std::invalid_argument);
}

}  // namespace
}  // namespace kafscale::kafka
