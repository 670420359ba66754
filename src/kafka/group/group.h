// One consumer group as the coordinator holds it: members, state, generation, the chosen
// protocol and the committed offsets. Plain data with the few rules that read only the group
// (which protocols its members share, which one they vote for); the transitions between states
// are the GroupCoordinator's.
//
// Owned by the GroupCoordinator, on the io_context's thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/strong_id.h"
#include "kafka/messages/join_group.h"
#include "kafka/messages/sync_group.h"
#include "net/signal.h"

namespace tarn::kafka {

// Kafka's classic group states (GroupMetadata.scala).
enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };

// "Empty", "PreparingRebalance", ...: the names ListGroups and DescribeGroups report.
std::string_view GroupStateName(GroupState state);

// A request parked until the group answers it (a JoinGroup until the rebalance completes, a
// follower's SyncGroup until the leader's assignment arrives). The handler's coroutine holds a
// reference and waits on `signal` until `response` is set, so the member may go away meanwhile.
template <typename Response>
struct Parked {
  explicit Parked(IoContext& io) : signal(io) {}
  // Answers the request unless it already has an answer.
  void Answer(Response r) {
    if (response.has_value()) return;
    response = std::move(r);
    signal.NotifyAll();
  }
  std::optional<Response> response;
  net::Signal signal;
};

using MemberProtocol = JoinGroupRequest::JoinGroupRequestProtocol;

struct GroupMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // set for a static member
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::vector<MemberProtocol> protocols;  // in the member's order of preference
  Bytes assignment;                       // from the leader's SyncGroup

  int64_t session_deadline_ms = 0;  // monotonic; renewed by each request from the member
  bool awaiting_sync = false;       // got its JoinGroup answer, has not sent SyncGroup yet
  std::shared_ptr<Parked<JoinGroupResponse>> pending_join;
  std::shared_ptr<Parked<SyncGroupResponse>> pending_sync;

  // The metadata the member sent for `protocol`; empty when it did not list it.
  Bytes MetadataFor(const std::optional<std::string>& protocol) const;
};

struct CommittedOffset {
  Offset offset{-1};
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp_ms = -1;
  Offset record_offset{-1};  // where in __consumer_offsets it was written: later writes win
};

struct Group {
  explicit Group(std::string group_id) : id(std::move(group_id)) {}

  // Whether a member offering `protocols` of `type` may join: the type matches and at least one
  // protocol is one every current member supports too. An empty group accepts any.
  bool SupportsProtocols(std::string_view type, const std::vector<MemberProtocol>& protocols) const;
  // The protocol every member supports that most members prefer (each votes for the first of
  // its protocols that all support); ties go to the one listed first by the first member.
  std::optional<std::string> SelectProtocol() const;
  int32_t MaxRebalanceTimeoutMs() const;
  // A static member's request carries an instance id that now belongs to another member id.
  bool IsFencedStaticMember(const std::string& member_id,
                            const std::optional<std::string>& instance_id) const;
  bool HasMember(const std::string& member_id) const { return members.contains(member_id); }

  std::string id;
  GroupState state = GroupState::kEmpty;
  int64_t state_since_ms = 0;  // wall clock: when the group entered `state`
  int32_t generation = 0;
  std::string protocol_type;  // empty for a group that only commits offsets
  std::optional<std::string> protocol;
  std::string leader;                                 // member id; empty when none
  std::map<std::string, GroupMember> members;         // by member id
  std::map<std::string, std::string> static_members;  // instance id -> member id
  // Dynamic members told MEMBER_ID_REQUIRED: their id, and when it lapses (monotonic ms).
  std::map<std::string, int64_t> pending_members;

  // PreparingRebalance: when members that have not rejoined are dropped. CompletingRebalance
  // and Stable: when members that have not sent SyncGroup are dropped.
  int64_t rebalance_deadline_ms = 0;
  // The initial rebalance delay of a group that was Empty: no rebalance completes before
  // initial_delay_until_ms, which each new member pushes back up to initial_delay_limit_ms.
  int64_t initial_delay_until_ms = 0;
  int64_t initial_delay_limit_ms = 0;

  std::map<std::pair<std::string, int32_t>, CommittedOffset> offsets;  // by (topic, partition)
  int64_t last_commit_ms = 0;  // wall clock of the latest commit: retention counts from it too
};

}  // namespace tarn::kafka
