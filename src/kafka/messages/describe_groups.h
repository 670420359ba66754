// DescribeGroups (key 15), versions 0-4: DescribeGroupsRequest.json and
// DescribeGroupsResponse.json.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "kafka/api_keys.h"
#include "kafka/error_code.h"
#include "kafka/wire.h"

namespace tarn::kafka {

struct DescribeGroupsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeGroups;

  std::vector<std::string> groups;
  bool include_authorized_operations = false;  // v3+

  static Result<DescribeGroupsRequest> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const DescribeGroupsRequest&) const = default;
};

struct DescribeGroupsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeGroups;

  struct DescribedGroupMember {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // v4+
    std::string client_id;
    std::string client_host;
    Bytes member_metadata;    // only while Stable
    Bytes member_assignment;  // only while Stable
    bool operator==(const DescribedGroupMember&) const = default;
  };
  struct DescribedGroup {
    ErrorCode error_code = ErrorCode::kNone;
    std::string group_id;
    std::string group_state;  // Empty, PreparingRebalance, CompletingRebalance, Stable, Dead
    std::string protocol_type;
    std::string protocol_data;  // the chosen protocol's name
    std::vector<DescribedGroupMember> members;
    // v3+; INT32_MIN: not computed.
    int32_t authorized_operations = std::numeric_limits<int32_t>::min();
    bool operator==(const DescribedGroup&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  std::vector<DescribedGroup> groups;

  static Result<DescribeGroupsResponse> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const DescribeGroupsResponse&) const = default;
};

}  // namespace tarn::kafka
