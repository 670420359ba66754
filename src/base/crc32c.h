// CRC-32C (Castagnoli), as used by Kafka record batches and Tarn's own file formats.
#pragma once

#include <cstdint>

#include "base/bytes.h"

namespace tarn {

// Extends `crc` (0 to start) with `data`. Uses the SSE4.2 instruction when the CPU has it.
uint32_t Crc32c(ByteView data, uint32_t crc = 0);

}  // namespace tarn
