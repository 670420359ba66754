// The group coordinator: Kafka's classic consumer-group protocol (JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup) and committed offsets (OffsetCommit, OffsetFetch), for every group,
// since this broker is the only one.
//
// States, as Kafka's: Empty -> PreparingRebalance (a member joins; the first rebalance of an
// empty group waits initial_rebalance_delay_ms for more) -> CompletingRebalance (every known
// member has rejoined, or the rebalance timeout passed and the missing ones were dropped; the
// generation moves on, a protocol and a leader are chosen, the parked JoinGroups are answered)
// -> Stable (the leader's SyncGroup brought the assignments; parked SyncGroups are answered).
// A join, a leave or an expired session sends a Stable group back to PreparingRebalance.
//
// Offsets, and group metadata after each rebalance, are written to `__consumer_offsets`
// (GroupStore); an OffsetCommit is answered once its record is durable. Open() reads the whole
// topic back, so it must run before the Kafka listener accepts connections.
//
// Time: deadlines (sessions, rebalances) come from the Clock. A timer on the io_context calls
// ExpireDeadlines every timer_tick_ms; with a tick of 0 there is no timer and the owner calls
// it (tests do, after moving a ManualClock).
//
// Owned by the app next to the broker, which it must not outlive; lives on the io_context's
// thread, the only one that may call it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "kafka/messages/describe_groups.h"
#include "kafka/messages/heartbeat.h"
#include "kafka/messages/join_group.h"
#include "kafka/messages/leave_group.h"
#include "kafka/messages/list_groups.h"
#include "kafka/messages/offset_commit.h"
#include "kafka/messages/offset_fetch.h"
#include "kafka/group/group_store.h"
#include "kafka/messages/sync_group.h"
#include "net/asio_fwd.h"

namespace tarn::kafka {

class Broker;
class GroupStore;
struct Group;
struct GroupMember;
enum class GroupState;
template <typename Response>
struct Parked;

struct GroupCoordinatorOptions {
  // Partitions of `__consumer_offsets` when it is created.
  int32_t offsets_topic_partitions = 4;
  // How long the first rebalance of an empty group waits for more members
  // (Kafka's group.initial.rebalance.delay.ms).
  int64_t initial_rebalance_delay_ms = 3000;
  // The session timeouts a member may ask for (group.min/max.session.timeout.ms).
  int32_t min_session_timeout_ms = 6000;
  int32_t max_session_timeout_ms = 1800000;
  // Offsets of a group that has been empty this long are deleted (offsets.retention.minutes).
  int64_t offsets_retention_ms = int64_t{7} * 24 * 3600 * 1000;
  // Longest metadata string an OffsetCommit may carry (offset.metadata.max.bytes).
  int32_t max_metadata_bytes = 4096;
  // How often the timer checks deadlines; 0: no timer, the owner calls ExpireDeadlines.
  int64_t timer_tick_ms = 100;
};

// Who sent a request, for the member's record and DescribeGroups.
struct ClientInfo {
  std::string client_id;
  std::string host;  // "/127.0.0.1", as Kafka shows it
};

class GroupCoordinator {
 public:
  // Opens (or creates) `__consumer_offsets` and loads every group from it: offsets, and the
  // members of groups that had any, which come back Stable so that they can carry on. Errors:
  // the topic cannot be created or read.
  static Result<std::unique_ptr<GroupCoordinator>> Open(IoContext& io, Broker& broker,
                                                        GroupCoordinatorOptions options,
                                                        const Clock& clock);
  ~GroupCoordinator();

  // Suspends until the rebalance the join takes part in completes (or answers at once: errors,
  // MEMBER_ID_REQUIRED, a known member with unchanged protocols of a stable group).
  Awaitable<JoinGroupResponse> JoinGroup(JoinGroupRequest request, int16_t version,
                                         ClientInfo client);
  // A follower's SyncGroup suspends until the leader's arrives; the leader's is answered once
  // the group's metadata is durable.
  Awaitable<SyncGroupResponse> SyncGroup(SyncGroupRequest request);
  HeartbeatResponse Heartbeat(const HeartbeatRequest& request);
  LeaveGroupResponse LeaveGroup(const LeaveGroupRequest& request, int16_t version);
  // Answered once the commit is durable. Kafka's validation order; see the .cc.
  Awaitable<OffsetCommitResponse> OffsetCommit(OffsetCommitRequest request);
  OffsetFetchResponse OffsetFetch(const OffsetFetchRequest& request) const;
  ListGroupsResponse ListGroups() const;
  DescribeGroupsResponse DescribeGroups(const DescribeGroupsRequest& request) const;

  // Drops members whose session lapsed, completes rebalances whose time is up, deletes the
  // offsets of groups empty for longer than the retention.
  void ExpireDeadlines();
  // Stops the timer; parked requests stay parked. Call before closing the broker.
  void Stop();

 private:
  struct Timer;
  GroupCoordinator(IoContext& io, Broker& broker, GroupCoordinatorOptions options,
                   const Clock& clock);
  Status Load();
  void ScheduleTick();

  int64_t NowMs() const;  // monotonic, for deadlines
  std::string NewMemberId(const std::string& prefix);
  Group* FindGroup(const std::string& group_id) const;
  Group& GetOrCreateGroup(const std::string& group_id);
  void RemoveGroupIfUnused(const std::string& group_id);
  void SetState(Group& group, GroupState state);

  using ParkedJoin = std::shared_ptr<Parked<JoinGroupResponse>>;
  ParkedJoin StartJoin(const JoinGroupRequest& request, int16_t version, const ClientInfo& client);
  ParkedJoin JoinAsNewMember(Group& group, const JoinGroupRequest& request,
                             const ClientInfo& client, std::string member_id);
  ParkedJoin JoinAsKnownMember(Group& group, const JoinGroupRequest& request,
                               const ClientInfo& client);
  ParkedJoin JoinAsReplacement(Group& group, const JoinGroupRequest& request,
                               const ClientInfo& client);
  ParkedJoin Answered(JoinGroupResponse response);
  JoinGroupResponse CurrentGeneration(const Group& group, const std::string& member_id) const;
  void UpdateMember(GroupMember& member, const JoinGroupRequest& request,
                    const ClientInfo& client);
  ParkedJoin Park(GroupMember& member);
  void PrepareRebalance(Group& group, const std::string& reason);
  void MaybeCompleteJoin(Group& group);
  void CompleteJoin(Group& group);
  void EraseMember(Group& group, const std::string& member_id);
  void RemoveMember(Group& group, const std::string& member_id, const std::string& reason);
  ErrorCode ValidateCommit(const Group& group, const OffsetCommitRequest& request) const;
  std::optional<StoreWrite> PersistGroup(const Group& group);
  void ExpireGroup(const std::string& group_id);

  IoContext& io_;
  Broker& broker_;
  GroupCoordinatorOptions options_;
  const Clock& clock_;
  std::unique_ptr<GroupStore> store_;
  std::map<std::string, std::unique_ptr<Group>> groups_;
  std::mt19937_64 random_;
  std::unique_ptr<Timer> timer_;
};

}  // namespace tarn::kafka
