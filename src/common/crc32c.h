// CRC32C (Castagnoli polynomial, reflected 0x82F63B78): the checksum of Kafka
// record batches, KafScale segment bodies, write-ahead objects and the
// embedded metadata store's log records.
#pragma once

#include <cstdint>
#include <string_view>

namespace kafscale {

// Returns the CRC32C of `data`. To checksum data that arrives in pieces, pass
// the result for the preceding bytes as `crc`:
//   Crc32c(b, Crc32c(a)) == Crc32c(a + b).
// Uses SSE4.2 instructions when the CPU has them, a table otherwise.
// Thread-safe; never fails.
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

// Returns Crc32c(a + b) from crc_a == Crc32c(a), crc_b == Crc32c(b) and
// length_b == b.size(), without reading the bytes: O(log length_b) steps of
// about 32 shifts each, cheaper than checksumming b from about 4 KiB up.
// Thread-safe; never fails.
uint32_t Crc32cCombine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b);

// The two implementations behind Crc32c, exposed so tests can check that they
// agree. Same contract as Crc32c. Crc32cHardware may only be called when
// Crc32cHardwareAvailable() is true.
uint32_t Crc32cPortable(std::string_view data, uint32_t crc = 0);
uint32_t Crc32cHardware(std::string_view data, uint32_t crc = 0);
bool Crc32cHardwareAvailable();

}  // namespace kafscale
