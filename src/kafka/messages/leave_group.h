// LeaveGroup (key 13), versions 0-3: LeaveGroupRequest.json and LeaveGroupResponse.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "kafka/api_keys.h"
#include "kafka/error_code.h"
#include "kafka/wire.h"

namespace tarn::kafka {

struct LeaveGroupRequest {
  static constexpr ApiKey kApiKey = ApiKey::kLeaveGroup;

  struct MemberIdentity {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    bool operator==(const MemberIdentity&) const = default;
  };

  std::string group_id;
  // v3+ sends a batch. v0-2 send one member_id, decoded as a batch of one (and encoding v0-2
  // requires exactly one member).
  std::vector<MemberIdentity> members;

  static Result<LeaveGroupRequest> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const LeaveGroupRequest&) const = default;
};

struct LeaveGroupResponse {
  static constexpr ApiKey kApiKey = ApiKey::kLeaveGroup;

  struct MemberResponse {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    ErrorCode error_code = ErrorCode::kNone;
    bool operator==(const MemberResponse&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  ErrorCode error_code = ErrorCode::kNone;
  std::vector<MemberResponse> members;  // v3+

  static Result<LeaveGroupResponse> Decode(WireReader& in, int16_t version);
  void Encode(WireWriter& out, int16_t version) const;
  bool operator==(const LeaveGroupResponse&) const = default;
};

}  // namespace tarn::kafka
