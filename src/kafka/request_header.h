// Kafka request and response headers.
//
// Request header v1: api_key int16, api_version int16, correlation_id int32, client_id (nullable
// int16-length string). v2, used by flexible API versions, adds tagged fields; client_id stays
// classic, so the header parses before the body's encoding is known.
// Response header v0: correlation_id. v1, for flexible versions, adds tagged fields; ApiVersions
// always answers with v0 so a client can read the error of a version it guessed too high.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"
#include "kafka/api_keys.h"
#include "kafka/wire.h"

namespace tarn::kafka {

struct RequestHeader {
  ApiKey api_key{};  // may be a key the codec does not know
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;

  // Reads header v1, or v2 when IsFlexible(api_key, api_version). An unknown key is read as v1
  // (the caller closes the connection on it anyway). kCorruption when short or malformed.
  static Result<RequestHeader> Decode(WireReader& in);
  void Encode(WireWriter& out) const;

  bool operator==(const RequestHeader&) const = default;
};

// Whether the response to `version` of `key` uses header v1.
bool HasFlexibleResponseHeader(ApiKey key, int16_t version);

void EncodeResponseHeader(WireWriter& out, int32_t correlation_id, bool flexible_header);
// Reads a response header and returns its correlation id (for clients and tests).
Result<int32_t> DecodeResponseHeader(WireReader& in, bool flexible_header);

}  // namespace tarn::kafka
