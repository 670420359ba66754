// ApiVersions (key 18), versions 0-3: ApiVersionsRequest.json and ApiVersionsResponse.json.
// v3 is flexible in its body, but its response header stays v0 (request_header.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "kafka/api_keys.h"
#include "kafka/error_code.h"
#include "kafka/wire.h"

namespace tarn::kafka {

struct ApiVersionsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kApiVersions;

  std::string client_software_name;     // v3+
  std::string client_software_version;  // v3+

  static Result<ApiVersionsRequest> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const ApiVersionsRequest&) const = default;
};

// To a version above our max, the answer is this message encoded at v0 with
// kUnsupportedVersion, listing at least ApiVersions itself: clients parse that at any version
// and retry with one we serve.
struct ApiVersionsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kApiVersions;

  struct ApiVersion {
    ApiKey api_key{};
    int16_t min_version = 0;
    int16_t max_version = 0;
    bool operator==(const ApiVersion&) const = default;
  };

  ErrorCode error_code = ErrorCode::kNone;
  std::vector<ApiVersion> api_keys;
  int32_t throttle_time_ms = 0;  // v1+

  static Result<ApiVersionsResponse> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const ApiVersionsResponse&) const = default;
};

}  // namespace tarn::kafka
