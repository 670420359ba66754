// ListGroups (key 16), versions 0-2: ListGroupsRequest.json and ListGroupsResponse.json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "kafka/api_keys.h"
#include "kafka/error_code.h"
#include "kafka/wire.h"

namespace tarn::kafka {

struct ListGroupsRequest {  // no fields before v4
  static constexpr ApiKey kApiKey = ApiKey::kListGroups;

  static Result<ListGroupsRequest> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const ListGroupsRequest&) const = default;
};

struct ListGroupsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kListGroups;

  struct ListedGroup {
    std::string group_id;
    std::string protocol_type;
    bool operator==(const ListedGroup&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error_code = ErrorCode::kNone;
  std::vector<ListedGroup> groups;

  static Result<ListGroupsResponse> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const ListGroupsResponse&) const = default;
};

}  // namespace tarn::kafka
