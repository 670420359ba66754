#include "kafka/group/group_coordinator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "kafka/broker.h"
#include "kafka/group/group.h"
#include "kafka/group/group_store.h"
#include "kafka/group/offsets_topic.h"
#include "net/asio.h"

namespace tarn::kafka {
namespace {

JoinGroupResponse JoinError(ErrorCode code, std::string member_id) {
  JoinGroupResponse r;
  r.error_code = code;
  r.member_id = std::move(member_id);
  return r;
}

SyncGroupResponse SyncError(ErrorCode code) {
  SyncGroupResponse r;
  r.error_code = code;
  return r;
}

template <typename Response>
Awaitable<Response> Await(std::shared_ptr<Parked<Response>> parked) {
  while (!parked->response.has_value()) co_await parked->signal.Wait();
  co_return *parked->response;
}

// Whether a member rejoining with `offered` protocols would keep the group's current protocol
// with the same metadata, so its assignment still holds.
bool KeepsProtocol(const GroupMember& member, const std::optional<std::string>& protocol,
                   const std::vector<MemberProtocol>& offered) {
  if (!protocol.has_value()) return false;
  Bytes current = member.MetadataFor(protocol);
  return std::any_of(offered.begin(), offered.end(), [&](const MemberProtocol& p) {
    return p.name == *protocol && p.metadata == current;
  });
}

}  // namespace

struct GroupCoordinator::Timer {
  explicit Timer(IoContext& io) : timer(io) {}
  asio::steady_timer timer;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
};

GroupCoordinator::GroupCoordinator(IoContext& io, Broker& broker, GroupCoordinatorOptions options,
                                   const Clock& clock)
    : io_(io),
      broker_(broker),
      options_(options),
      clock_(clock),
      random_(std::random_device()()),
      timer_(std::make_unique<Timer>(io)) {}

GroupCoordinator::~GroupCoordinator() { Stop(); }

Result<std::unique_ptr<GroupCoordinator>> GroupCoordinator::Open(IoContext& io, Broker& broker,
                                                                 GroupCoordinatorOptions options,
                                                                 const Clock& clock) {
  std::unique_ptr<GroupCoordinator> coordinator(
      new GroupCoordinator(io, broker, options, clock));
  TARN_ASSIGN_OR_RETURN(coordinator->store_,
                        GroupStore::Open(broker, options.offsets_topic_partitions));
  TARN_TRY(coordinator->Load());
  coordinator->ScheduleTick();
  return coordinator;
}

void GroupCoordinator::Stop() {
  *timer_->alive = false;
  timer_->timer.cancel();
}

void GroupCoordinator::ScheduleTick() {
  if (options_.timer_tick_ms <= 0 || !*timer_->alive) return;
  timer_->timer.expires_after(std::chrono::milliseconds(options_.timer_tick_ms));
  timer_->timer.async_wait([this, alive = timer_->alive](boost::system::error_code ec) {
    if (ec || !*alive) return;
    ExpireDeadlines();
    ScheduleTick();
  });
}

int64_t GroupCoordinator::NowMs() const { return clock_.MonotonicNs() / 1'000'000; }

std::string GroupCoordinator::NewMemberId(const std::string& prefix) {
  // prefix-UUID, as Kafka's member ids look (a random, version 4 UUID).
  uint64_t high = random_();
  uint64_t low = random_();
  high = (high & ~0xf000ull) | 0x4000ull;
  low = (low & ~(0xc0ull << 56)) | (0x80ull << 56);
  char uuid[40];
  std::snprintf(uuid, sizeof(uuid), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(high >> 32), static_cast<unsigned>((high >> 16) & 0xffff),
                static_cast<unsigned>(high & 0xffff), static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xffffffffffffull));
  return prefix + "-" + uuid;
}

Group* GroupCoordinator::FindGroup(const std::string& group_id) const {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.get();
}

Group& GroupCoordinator::GetOrCreateGroup(const std::string& group_id) {
  auto& slot = groups_[group_id];
  if (!slot) {
    slot = std::make_unique<Group>(group_id);
    slot->state_since_ms = clock_.NowMs();
  }
  return *slot;
}

void GroupCoordinator::RemoveGroupIfUnused(const std::string& group_id) {
  Group* group = FindGroup(group_id);
  if (group != nullptr && group->state == GroupState::kEmpty && group->members.empty() &&
      group->pending_members.empty() && group->offsets.empty() && group->generation == 0) {
    groups_.erase(group_id);
  }
}

void GroupCoordinator::SetState(Group& group, GroupState state) {
  group.state = state;
  group.state_since_ms = clock_.NowMs();
}

// --- JoinGroup ---------------------------------------------------------------------------------

Awaitable<JoinGroupResponse> GroupCoordinator::JoinGroup(JoinGroupRequest request,
                                                         int16_t version, ClientInfo client) {
  co_return co_await Await(StartJoin(request, version, client));
}

GroupCoordinator::ParkedJoin GroupCoordinator::Answered(JoinGroupResponse response) {
  auto parked = std::make_shared<Parked<JoinGroupResponse>>(io_);
  parked->Answer(std::move(response));
  return parked;
}

GroupCoordinator::ParkedJoin GroupCoordinator::StartJoin(const JoinGroupRequest& original,
                                                         int16_t version,
                                                         const ClientInfo& client) {
  JoinGroupRequest request = original;
  if (request.rebalance_timeout_ms <= 0) request.rebalance_timeout_ms = request.session_timeout_ms;
  if (request.group_id.empty()) {
    return Answered(JoinError(ErrorCode::kInvalidGroupId, request.member_id));
  }
  if (request.session_timeout_ms < options_.min_session_timeout_ms ||
      request.session_timeout_ms > options_.max_session_timeout_ms) {
    return Answered(JoinError(ErrorCode::kInvalidSessionTimeout, request.member_id));
  }
  Group* group = FindGroup(request.group_id);
  if (group == nullptr) {
    if (!request.member_id.empty()) {
      return Answered(JoinError(ErrorCode::kUnknownMemberId, request.member_id));
    }
    if (request.protocol_type.empty() || request.protocols.empty()) {
      return Answered(JoinError(ErrorCode::kInconsistentGroupProtocol, request.member_id));
    }
    group = &GetOrCreateGroup(request.group_id);
  }
  if (group->state == GroupState::kDead) {
    return Answered(JoinError(ErrorCode::kCoordinatorNotAvailable, request.member_id));
  }
  if (!group->SupportsProtocols(request.protocol_type, request.protocols)) {
    RemoveGroupIfUnused(request.group_id);
    return Answered(JoinError(ErrorCode::kInconsistentGroupProtocol, request.member_id));
  }

  if (!request.member_id.empty()) {
    if (group->pending_members.erase(request.member_id) > 0) {
      return JoinAsNewMember(*group, request, client, request.member_id);
    }
    return JoinAsKnownMember(*group, request, client);
  }
  if (request.group_instance_id.has_value()) {
    if (group->static_members.contains(*request.group_instance_id)) {
      return JoinAsReplacement(*group, request, client);
    }
    return JoinAsNewMember(*group, request, client, NewMemberId(*request.group_instance_id));
  }
  std::string member_id = NewMemberId(client.client_id);
  if (version >= 4) {
    // KIP-394: the member learns its id first and must come back with it, so that a client
    // whose JoinGroup times out does not leave a stranger in the group.
    group->pending_members[member_id] = NowMs() + request.session_timeout_ms;
    return Answered(JoinError(ErrorCode::kMemberIdRequired, member_id));
  }
  return JoinAsNewMember(*group, request, client, std::move(member_id));
}

GroupCoordinator::ParkedJoin GroupCoordinator::JoinAsNewMember(Group& group,
                                                               const JoinGroupRequest& request,
                                                               const ClientInfo& client,
                                                               std::string member_id) {
  if (group.members.empty()) group.protocol_type = request.protocol_type;
  GroupMember& member = group.members[member_id];
  member.member_id = member_id;
  member.group_instance_id = request.group_instance_id;
  if (member.group_instance_id.has_value()) {
    group.static_members[*member.group_instance_id] = member_id;
  }
  UpdateMember(member, request, client);
  ParkedJoin parked = Park(member);
  spdlog::info("group {}: member {} joins", group.id, member_id);
  if (group.state == GroupState::kPreparingRebalance) {
    if (group.initial_delay_until_ms > 0) {
      group.initial_delay_until_ms = std::min(NowMs() + options_.initial_rebalance_delay_ms,
                                              group.initial_delay_limit_ms);
    }
  } else {
    PrepareRebalance(group, "member " + member_id + " joined");
  }
  MaybeCompleteJoin(group);
  return parked;
}

GroupCoordinator::ParkedJoin GroupCoordinator::JoinAsKnownMember(Group& group,
                                                                 const JoinGroupRequest& request,
                                                                 const ClientInfo& client) {
  if (group.IsFencedStaticMember(request.member_id, request.group_instance_id)) {
    return Answered(JoinError(ErrorCode::kFencedInstanceId, request.member_id));
  }
  auto it = group.members.find(request.member_id);
  if (it == group.members.end()) {
    return Answered(JoinError(ErrorCode::kUnknownMemberId, request.member_id));
  }
  GroupMember& member = it->second;
  member.session_deadline_ms = NowMs() + member.session_timeout_ms;
  const bool same_protocols = member.protocols == request.protocols;
  switch (group.state) {
    case GroupState::kEmpty:
    case GroupState::kDead:
      return Answered(JoinError(ErrorCode::kUnknownMemberId, request.member_id));
    case GroupState::kPreparingRebalance: {
      UpdateMember(member, request, client);
      ParkedJoin parked = Park(member);
      MaybeCompleteJoin(group);
      return parked;
    }
    case GroupState::kCompletingRebalance:
      // Most likely the member missed our answer: give it again.
      if (same_protocols) return Answered(CurrentGeneration(group, member.member_id));
      break;
    case GroupState::kStable:
      // A follower with nothing new keeps its assignment; the leader rejoining, or anyone with
      // new metadata (a changed subscription), asks for a new assignment.
      if (same_protocols && member.member_id != group.leader) {
        return Answered(CurrentGeneration(group, member.member_id));
      }
      break;
  }
  UpdateMember(member, request, client);
  ParkedJoin parked = Park(member);
  PrepareRebalance(group, "member " + member.member_id +
                              (same_protocols ? " (the leader) rejoined" : " changed its protocols"));
  MaybeCompleteJoin(group);
  return parked;
}

// A static member restarted: it comes back with its instance id and no member id. It takes a new
// member id; the old id is fenced. A stable group whose follower keeps the protocol carries on
// without a rebalance, the member keeping its assignment.
GroupCoordinator::ParkedJoin GroupCoordinator::JoinAsReplacement(Group& group,
                                                                 const JoinGroupRequest& request,
                                                                 const ClientInfo& client) {
  const std::string& instance_id = *request.group_instance_id;
  const std::string old_id = group.static_members[instance_id];
  auto node = group.members.extract(old_id);
  if (node.empty()) {  // not expected: the map and the members change together
    group.static_members.erase(instance_id);
    return JoinAsNewMember(group, request, client, NewMemberId(instance_id));
  }
  GroupMember& old = node.mapped();
  const JoinGroupResponse fenced = JoinError(ErrorCode::kFencedInstanceId, old_id);
  if (old.pending_join) old.pending_join->Answer(fenced);
  if (old.pending_sync) old.pending_sync->Answer(SyncError(ErrorCode::kFencedInstanceId));
  old.pending_join.reset();
  old.pending_sync.reset();
  const bool keeps_protocol = KeepsProtocol(old, group.protocol, request.protocols);
  const std::string new_id = NewMemberId(instance_id);
  node.key() = new_id;
  node.mapped().member_id = new_id;
  GroupMember& member = group.members.insert(std::move(node)).position->second;
  group.static_members[instance_id] = new_id;
  const bool was_leader = group.leader == old_id;
  if (was_leader) group.leader = new_id;
  UpdateMember(member, request, client);
  spdlog::info("group {}: static member {} is now {} ({} is fenced)", group.id, instance_id,
               new_id, old_id);

  if (group.state == GroupState::kStable && keeps_protocol && !was_leader) {
    member.awaiting_sync = true;
    group.rebalance_deadline_ms = std::max(group.rebalance_deadline_ms,
                                           NowMs() + member.rebalance_timeout_ms);
    PersistGroup(group);
    return Answered(CurrentGeneration(group, new_id));
  }
  ParkedJoin parked = Park(member);
  if (group.state != GroupState::kPreparingRebalance) {
    PrepareRebalance(group, "static member " + instance_id + " rejoined");
  }
  MaybeCompleteJoin(group);
  return parked;
}

void GroupCoordinator::UpdateMember(GroupMember& member, const JoinGroupRequest& request,
                                    const ClientInfo& client) {
  member.client_id = client.client_id;
  member.client_host = client.host;
  member.session_timeout_ms = request.session_timeout_ms;
  member.rebalance_timeout_ms = request.rebalance_timeout_ms;
  member.protocols = request.protocols;
  member.session_deadline_ms = NowMs() + request.session_timeout_ms;
}

GroupCoordinator::ParkedJoin GroupCoordinator::Park(GroupMember& member) {
  // A client that sends JoinGroup again while one is parked has given up on the first.
  if (member.pending_join) {
    member.pending_join->Answer(JoinError(ErrorCode::kRebalanceInProgress, member.member_id));
  }
  member.pending_join = std::make_shared<Parked<JoinGroupResponse>>(io_);
  return member.pending_join;
}

JoinGroupResponse GroupCoordinator::CurrentGeneration(const Group& group,
                                                      const std::string& member_id) const {
  JoinGroupResponse r;
  r.generation_id = group.generation;
  r.protocol_name = group.protocol.value_or("");
  r.leader = group.leader;
  r.member_id = member_id;
  if (member_id == group.leader) {
    for (const auto& [id, member] : group.members) {
      r.members.push_back({id, member.group_instance_id, member.MetadataFor(group.protocol)});
    }
  }
  return r;
}

void GroupCoordinator::PrepareRebalance(Group& group, const std::string& reason) {
  for (auto& [id, member] : group.members) {
    // Followers waiting for an assignment of the generation that will not be.
    if (member.pending_sync) {
      member.pending_sync->Answer(SyncError(ErrorCode::kRebalanceInProgress));
      member.pending_sync.reset();
    }
    member.awaiting_sync = false;
  }
  const bool was_empty = group.state == GroupState::kEmpty;
  SetState(group, GroupState::kPreparingRebalance);
  const int64_t now = NowMs();
  const int64_t timeout = group.MaxRebalanceTimeoutMs();
  group.rebalance_deadline_ms = now + timeout;
  group.initial_delay_until_ms = 0;
  if (was_empty && options_.initial_rebalance_delay_ms > 0) {
    group.initial_delay_until_ms = now + std::min<int64_t>(options_.initial_rebalance_delay_ms, timeout);
    group.initial_delay_limit_ms = now + timeout;
  }
  spdlog::info("group {}: rebalancing after generation {}: {}", group.id, group.generation, reason);
}

void GroupCoordinator::MaybeCompleteJoin(Group& group) {
  if (group.state != GroupState::kPreparingRebalance) return;
  if (group.initial_delay_until_ms > 0) {
    if (NowMs() < group.initial_delay_until_ms) return;
    group.initial_delay_until_ms = 0;
  }
  if (!group.pending_members.empty()) return;
  const bool everyone_joined = std::all_of(group.members.begin(), group.members.end(),
                                           [](const auto& e) { return e.second.pending_join != nullptr; });
  if (everyone_joined) CompleteJoin(group);
}

void GroupCoordinator::CompleteJoin(Group& group) {
  // Dynamic members that did not rejoin in time are gone; static ones keep their place (and
  // their session timer) so that a restarting instance finds it.
  std::vector<std::string> missing;
  for (const auto& [id, member] : group.members) {
    if (!member.pending_join && !member.group_instance_id.has_value()) missing.push_back(id);
  }
  for (const std::string& id : missing) {
    spdlog::info("group {}: member {} did not rejoin in time and is removed", group.id, id);
    EraseMember(group, id);
  }
  group.initial_delay_until_ms = 0;
  ++group.generation;
  if (group.members.empty()) {
    group.protocol.reset();
    group.leader.clear();
    SetState(group, GroupState::kEmpty);
    spdlog::info("group {}: generation {} is empty", group.id, group.generation);
    PersistGroup(group);
    return;
  }
  group.protocol = group.SelectProtocol();
  auto leader = group.members.find(group.leader);
  if (leader == group.members.end() || !leader->second.pending_join) {
    auto joined = std::find_if(group.members.begin(), group.members.end(),
                               [](const auto& e) { return e.second.pending_join != nullptr; });
    group.leader = joined != group.members.end() ? joined->first : group.members.begin()->first;
  }
  SetState(group, GroupState::kCompletingRebalance);
  const int64_t now = NowMs();
  group.rebalance_deadline_ms = now + group.MaxRebalanceTimeoutMs();
  spdlog::info("group {}: generation {} with {} members, protocol {}, leader {}", group.id,
               group.generation, group.members.size(), group.protocol.value_or("(none)"),
               group.leader);
  for (auto& [id, member] : group.members) {
    member.awaiting_sync = true;
    member.session_deadline_ms = now + member.session_timeout_ms;
    if (member.pending_join) {
      member.pending_join->Answer(CurrentGeneration(group, id));
      member.pending_join.reset();
    }
  }
}

void GroupCoordinator::EraseMember(Group& group, const std::string& member_id) {
  auto it = group.members.find(member_id);
  if (it == group.members.end()) return;
  GroupMember& member = it->second;
  if (member.pending_join) {
    member.pending_join->Answer(JoinError(ErrorCode::kUnknownMemberId, member_id));
  }
  if (member.pending_sync) member.pending_sync->Answer(SyncError(ErrorCode::kUnknownMemberId));
  if (member.group_instance_id.has_value()) {
    auto s = group.static_members.find(*member.group_instance_id);
    if (s != group.static_members.end() && s->second == member_id) group.static_members.erase(s);
  }
  if (group.leader == member_id) group.leader.clear();
  group.members.erase(it);
}

void GroupCoordinator::RemoveMember(Group& group, const std::string& member_id,
                                    const std::string& reason) {
  EraseMember(group, member_id);
  spdlog::info("group {}: member {} {}", group.id, member_id, reason);
  if (group.state == GroupState::kStable || group.state == GroupState::kCompletingRebalance) {
    PrepareRebalance(group, "member " + member_id + " " + reason);
  }
  MaybeCompleteJoin(group);
}

// --- SyncGroup, Heartbeat, LeaveGroup ----------------------------------------------------------

Awaitable<SyncGroupResponse> GroupCoordinator::SyncGroup(SyncGroupRequest request) {
  if (request.group_id.empty()) co_return SyncError(ErrorCode::kInvalidGroupId);
  Group* group = FindGroup(request.group_id);
  if (group == nullptr) co_return SyncError(ErrorCode::kUnknownMemberId);
  if (group->IsFencedStaticMember(request.member_id, request.group_instance_id)) {
    co_return SyncError(ErrorCode::kFencedInstanceId);
  }
  auto it = group->members.find(request.member_id);
  if (it == group->members.end()) co_return SyncError(ErrorCode::kUnknownMemberId);
  if (request.generation_id != group->generation) {
    co_return SyncError(ErrorCode::kIllegalGeneration);
  }
  GroupMember& member = it->second;
  member.session_deadline_ms = NowMs() + member.session_timeout_ms;
  switch (group->state) {
    case GroupState::kEmpty:
    case GroupState::kDead:
      co_return SyncError(ErrorCode::kUnknownMemberId);
    case GroupState::kPreparingRebalance:
      co_return SyncError(ErrorCode::kRebalanceInProgress);
    case GroupState::kStable: {
      member.awaiting_sync = false;
      SyncGroupResponse r;
      r.assignment = member.assignment;
      co_return r;
    }
    case GroupState::kCompletingRebalance:
      break;
  }
  member.awaiting_sync = false;
  if (request.member_id != group->leader) {
    // Never answered on a timer: the follower waits for the leader's assignment (or for the
    // generation to end).
    if (member.pending_sync) {
      member.pending_sync->Answer(SyncError(ErrorCode::kRebalanceInProgress));
    }
    member.pending_sync = std::make_shared<Parked<SyncGroupResponse>>(io_);
    co_return co_await Await(member.pending_sync);
  }

  for (auto& [id, m] : group->members) m.assignment.clear();
  for (auto& a : request.assignments) {
    auto target = group->members.find(a.member_id);
    if (target != group->members.end()) target->second.assignment = std::move(a.assignment);
  }
  SetState(*group, GroupState::kStable);
  spdlog::info("group {}: generation {} is stable", group->id, group->generation);
  for (auto& [id, m] : group->members) {
    if (m.pending_sync) {
      SyncGroupResponse r;
      r.assignment = m.assignment;
      m.pending_sync->Answer(std::move(r));
      m.pending_sync.reset();
    }
  }
  SyncGroupResponse mine;
  mine.assignment = member.assignment;
  std::optional<StoreWrite> write = PersistGroup(*group);
  if (write.has_value()) {
    Status durable = co_await store_->WaitDurable(*write);
    if (!durable.ok()) {
      spdlog::warn("group {}: metadata not stored: {}", request.group_id, durable.ToString());
    }
  }
  co_return mine;
}

HeartbeatResponse GroupCoordinator::Heartbeat(const HeartbeatRequest& request) {
  HeartbeatResponse r;
  Group* group = request.group_id.empty() ? nullptr : FindGroup(request.group_id);
  if (request.group_id.empty()) {
    r.error_code = ErrorCode::kInvalidGroupId;
  } else if (group == nullptr) {
    r.error_code = ErrorCode::kUnknownMemberId;
  } else if (group->IsFencedStaticMember(request.member_id, request.group_instance_id)) {
    r.error_code = ErrorCode::kFencedInstanceId;
  } else if (!group->HasMember(request.member_id)) {
    r.error_code = ErrorCode::kUnknownMemberId;
  } else if (request.generation_id != group->generation) {
    r.error_code = ErrorCode::kIllegalGeneration;
  } else {
    GroupMember& member = group->members.at(request.member_id);
    member.session_deadline_ms = NowMs() + member.session_timeout_ms;
    if (group->state == GroupState::kPreparingRebalance) {
      r.error_code = ErrorCode::kRebalanceInProgress;
    }
  }
  return r;
}

LeaveGroupResponse GroupCoordinator::LeaveGroup(const LeaveGroupRequest& request,
                                                int16_t version) {
  LeaveGroupResponse r;
  if (request.group_id.empty()) {
    r.error_code = ErrorCode::kInvalidGroupId;
    return r;
  }
  Group* group = FindGroup(request.group_id);
  for (const auto& leaving : request.members) {
    auto& out = r.members.emplace_back();
    out.member_id = leaving.member_id;
    out.group_instance_id = leaving.group_instance_id;
    if (group == nullptr) {
      out.error_code = ErrorCode::kUnknownMemberId;
      continue;
    }
    std::string member_id = leaving.member_id;
    if (member_id.empty() && leaving.group_instance_id.has_value()) {
      // An admin removing a static member by its instance id alone.
      auto s = group->static_members.find(*leaving.group_instance_id);
      if (s != group->static_members.end()) member_id = s->second;
    } else if (group->IsFencedStaticMember(member_id, leaving.group_instance_id)) {
      out.error_code = ErrorCode::kFencedInstanceId;
      continue;
    }
    if (group->pending_members.erase(member_id) > 0) {
      MaybeCompleteJoin(*group);
    } else if (!group->HasMember(member_id)) {
      out.error_code = ErrorCode::kUnknownMemberId;
    } else {
      RemoveMember(*group, member_id, "left the group");
    }
  }
  // Before v3 the response has one error, the single member's.
  if (version < 3 && !r.members.empty()) r.error_code = r.members.front().error_code;
  return r;
}

// --- Offsets -----------------------------------------------------------------------------------

// Kafka's order (GroupCoordinator.validateOffsetCommit): a commit naming a member (a generation,
// a member id or an instance id) must come from the current generation's member; an anonymous
// commit (generation -1, no member: assign() consumers, admin tools) only to a group without
// members. A member's commit during CompletingRebalance must wait for the new assignment.
ErrorCode GroupCoordinator::ValidateCommit(const Group& group,
                                           const OffsetCommitRequest& request) const {
  if (group.state == GroupState::kDead) return ErrorCode::kCoordinatorNotAvailable;
  if (request.generation_id_or_member_epoch >= 0 || !request.member_id.empty() ||
      request.group_instance_id.has_value()) {
    if (group.IsFencedStaticMember(request.member_id, request.group_instance_id)) {
      return ErrorCode::kFencedInstanceId;
    }
    if (!group.HasMember(request.member_id)) return ErrorCode::kUnknownMemberId;
    if (request.generation_id_or_member_epoch != group.generation) {
      return ErrorCode::kIllegalGeneration;
    }
  } else if (group.state != GroupState::kEmpty) {
    return ErrorCode::kUnknownMemberId;
  }
  if (group.state == GroupState::kCompletingRebalance) return ErrorCode::kRebalanceInProgress;
  return ErrorCode::kNone;
}

Awaitable<OffsetCommitResponse> GroupCoordinator::OffsetCommit(OffsetCommitRequest request) {
  OffsetCommitResponse response;
  ErrorCode group_error = ErrorCode::kNone;
  if (request.group_id.empty()) {
    group_error = ErrorCode::kInvalidGroupId;
  } else {
    Group* group = FindGroup(request.group_id);
    if (group == nullptr) {
      if (request.generation_id_or_member_epoch < 0) {
        group = &GetOrCreateGroup(request.group_id);
      } else {
        group_error = ErrorCode::kIllegalGeneration;
      }
    }
    if (group != nullptr) {
      group_error = ValidateCommit(*group, request);
      if (group_error == ErrorCode::kNone && group->HasMember(request.member_id)) {
        GroupMember& member = group->members.at(request.member_id);
        member.session_deadline_ms = NowMs() + member.session_timeout_ms;
      }
    }
  }

  struct Entry {
    std::pair<std::string, int32_t> key;
    CommittedOffset value;
    size_t topic_index;
    size_t partition_index;
  };
  std::vector<Entry> entries;
  std::vector<StoreRecord> records;
  const int64_t now_ms = clock_.NowMs();
  response.topics.reserve(request.topics.size());
  for (const auto& topic : request.topics) {
    auto& topic_out = response.topics.emplace_back();
    topic_out.name = topic.name;
    std::shared_ptr<Topic> found = broker_.FindTopic(topic.name);
    for (const auto& p : topic.partitions) {
      auto& out = topic_out.partitions.emplace_back();
      out.partition_index = p.partition_index;
      const std::string metadata = p.committed_metadata.value_or("");
      if (group_error != ErrorCode::kNone) {
        out.error_code = group_error;
      } else if (!found || !found->FindPartition(p.partition_index)) {
        out.error_code = ErrorCode::kUnknownTopicOrPartition;
      } else if (static_cast<int64_t>(metadata.size()) > options_.max_metadata_bytes) {
        out.error_code = ErrorCode::kOffsetMetadataTooLarge;
      } else {
        Entry e;
        e.key = {topic.name, p.partition_index.value()};
        e.value = CommittedOffset{p.committed_offset, p.committed_leader_epoch, metadata, now_ms};
        e.topic_index = response.topics.size() - 1;
        e.partition_index = topic_out.partitions.size() - 1;
        records.push_back(StoreRecord{
            EncodeOffsetCommitKey({request.group_id, topic.name, p.partition_index.value()}),
            EncodeOffsetCommitValue(
                {p.committed_offset.value(), p.committed_leader_epoch, metadata, now_ms})});
        entries.push_back(std::move(e));
      }
    }
  }
  if (records.empty()) co_return response;

  auto fail_all = [&](const Status& why) {
    spdlog::warn("group {}: offset commit failed: {}", request.group_id, why.ToString());
    for (const Entry& e : entries) {
      response.topics[e.topic_index].partitions[e.partition_index].error_code =
          ErrorCode::kCoordinatorNotAvailable;
    }
  };
  Result<StoreWrite> write = store_->Append(request.group_id, records, now_ms);
  if (!write.has_value()) {
    fail_all(write.error());
    co_return response;
  }
  Status durable = co_await store_->WaitDurable(*write);
  if (!durable.ok()) {
    fail_all(durable);
    co_return response;
  }
  // The group may have changed while the write went to disk; only a later write of the same
  // partition's offset (a concurrent commit) may overrule this one.
  Group& group = GetOrCreateGroup(request.group_id);
  group.last_commit_ms = std::max(group.last_commit_ms, now_ms);
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].value.record_offset = write->base + static_cast<int64_t>(i);
    CommittedOffset& slot = group.offsets[entries[i].key];
    if (slot.record_offset < entries[i].value.record_offset) slot = std::move(entries[i].value);
  }
  co_return response;
}

OffsetFetchResponse GroupCoordinator::OffsetFetch(const OffsetFetchRequest& request) const {
  OffsetFetchResponse r;
  const Group* group = FindGroup(request.group_id);
  auto describe = [&](const std::string& topic, PartitionId partition) {
    OffsetFetchResponse::OffsetFetchResponsePartition out;
    out.partition_index = partition;
    out.metadata = "";
    if (group == nullptr) return out;
    auto it = group->offsets.find({topic, partition.value()});
    if (it == group->offsets.end()) return out;
    out.committed_offset = it->second.offset;
    out.committed_leader_epoch = it->second.leader_epoch;
    out.metadata = it->second.metadata;
    return out;
  };
  if (request.group_id.empty()) r.error_code = ErrorCode::kInvalidGroupId;
  if (!request.topics.has_value()) {
    if (group == nullptr) return r;
    for (const auto& [key, committed] : group->offsets) {
      if (r.topics.empty() || r.topics.back().name != key.first) {
        r.topics.emplace_back().name = key.first;
      }
      r.topics.back().partitions.push_back(describe(key.first, PartitionId(key.second)));
    }
    return r;
  }
  for (const auto& topic : *request.topics) {
    auto& out = r.topics.emplace_back();
    out.name = topic.name;
    for (PartitionId p : topic.partition_indexes) {
      out.partitions.push_back(describe(topic.name, p));
      if (request.group_id.empty()) out.partitions.back().error_code = ErrorCode::kInvalidGroupId;
    }
  }
  return r;
}

ListGroupsResponse GroupCoordinator::ListGroups() const {
  ListGroupsResponse r;
  for (const auto& [id, group] : groups_) {
    if (group->state == GroupState::kDead) continue;
    r.groups.push_back({id, group->protocol_type});
  }
  return r;
}

DescribeGroupsResponse GroupCoordinator::DescribeGroups(
    const DescribeGroupsRequest& request) const {
  DescribeGroupsResponse r;
  for (const std::string& id : request.groups) {
    auto& out = r.groups.emplace_back();
    out.group_id = id;
    const Group* group = FindGroup(id);
    if (group == nullptr) {
      out.group_state = std::string(GroupStateName(GroupState::kDead));
      continue;
    }
    out.group_state = std::string(GroupStateName(group->state));
    out.protocol_type = group->protocol_type;
    // As Kafka: the protocol, subscriptions and assignments only describe a stable group.
    const bool stable = group->state == GroupState::kStable;
    if (stable) out.protocol_data = group->protocol.value_or("");
    for (const auto& [member_id, member] : group->members) {
      auto& m = out.members.emplace_back();
      m.member_id = member_id;
      m.group_instance_id = member.group_instance_id;
      m.client_id = member.client_id;
      m.client_host = member.client_host;
      if (stable) {
        m.member_metadata = member.MetadataFor(group->protocol);
        m.member_assignment = member.assignment;
      }
    }
  }
  return r;
}

// --- Persistence and time ----------------------------------------------------------------------

std::optional<StoreWrite> GroupCoordinator::PersistGroup(const Group& group) {
  GroupMetadataValue value;
  value.protocol_type = group.protocol_type;
  value.generation = group.generation;
  value.protocol = group.protocol;
  if (!group.leader.empty()) value.leader = group.leader;
  value.current_state_timestamp_ms = group.state_since_ms;
  if (group.state == GroupState::kStable) {
    for (const auto& [id, member] : group.members) {
      GroupMetadataValue::MemberMetadata m;
      m.member_id = id;
      m.group_instance_id = member.group_instance_id;
      m.client_id = member.client_id;
      m.client_host = member.client_host;
      m.rebalance_timeout_ms = member.rebalance_timeout_ms;
      m.session_timeout_ms = member.session_timeout_ms;
      m.subscription = member.MetadataFor(group.protocol);
      m.assignment = member.assignment;
      value.members.push_back(std::move(m));
    }
  }
  std::vector<StoreRecord> records;
  records.push_back(
      StoreRecord{EncodeGroupMetadataKey({group.id}), EncodeGroupMetadataValue(value)});
  auto write = store_->Append(group.id, records, clock_.NowMs());
  if (!write.has_value()) {
    spdlog::warn("group {}: metadata not stored: {}", group.id, write.error().ToString());
    return std::nullopt;
  }
  return *write;
}

// Deletes an empty group: tombstones for its offsets and metadata, then the group.
void GroupCoordinator::ExpireGroup(const std::string& group_id) {
  Group* group = FindGroup(group_id);
  if (group == nullptr) return;
  std::vector<StoreRecord> records;
  for (const auto& [key, committed] : group->offsets) {
    records.push_back(StoreRecord{EncodeOffsetCommitKey({group_id, key.first, key.second}), {}});
  }
  if (group->generation > 0) {
    records.push_back(StoreRecord{EncodeGroupMetadataKey({group_id}), {}});
  }
  if (!records.empty()) {
    auto write = store_->Append(group_id, records, clock_.NowMs());
    if (!write.has_value()) {
      spdlog::warn("group {}: cannot delete: {}", group_id, write.error().ToString());
      return;
    }
  }
  spdlog::info("group {}: deleted ({} committed offsets expired)", group_id, group->offsets.size());
  groups_.erase(group_id);
}

void GroupCoordinator::ExpireDeadlines() {
  const int64_t now = NowMs();
  const int64_t wall_now = clock_.NowMs();
  std::vector<std::string> ids;
  ids.reserve(groups_.size());
  for (const auto& [id, group] : groups_) ids.push_back(id);
  for (const std::string& id : ids) {
    Group* group = FindGroup(id);
    if (group == nullptr) continue;
    if (std::erase_if(group->pending_members, [&](const auto& e) { return e.second <= now; }) > 0) {
      MaybeCompleteJoin(*group);
    }
    // A member with a parked JoinGroup or SyncGroup is alive: the rebalance timeout covers it.
    std::vector<std::string> lapsed;
    for (const auto& [member_id, member] : group->members) {
      if (!member.pending_join && !member.pending_sync && member.session_deadline_ms <= now) {
        lapsed.push_back(member_id);
      }
    }
    for (const std::string& member_id : lapsed) {
      // Removing one member can complete a rebalance that drops others.
      auto it = group->members.find(member_id);
      if (it == group->members.end()) continue;
      const int32_t timeout = it->second.session_timeout_ms;
      RemoveMember(*group, member_id,
                   "sent nothing for its session timeout (" + std::to_string(timeout) +
                       " ms) and is removed");
    }
    if (group->state == GroupState::kPreparingRebalance) {
      if (now >= group->rebalance_deadline_ms) {
        spdlog::info("group {}: rebalance timed out", id);
        CompleteJoin(*group);
      } else {
        MaybeCompleteJoin(*group);
      }
    } else if ((group->state == GroupState::kCompletingRebalance ||
                group->state == GroupState::kStable) &&
               now >= group->rebalance_deadline_ms) {
      std::vector<std::string> unsynced;
      for (const auto& [member_id, member] : group->members) {
        if (member.awaiting_sync) unsynced.push_back(member_id);
      }
      for (const std::string& member_id : unsynced) {
        if (group->HasMember(member_id)) {
          RemoveMember(*group, member_id, "did not send SyncGroup within the rebalance timeout");
        }
      }
    }
    if (group->state == GroupState::kEmpty && group->members.empty() &&
        group->pending_members.empty()) {
      // Retention counts from when the group became empty or last committed, whichever is
      // later: a standalone consumer that keeps committing keeps its offsets.
      const int64_t idle_since = std::max(group->state_since_ms, group->last_commit_ms);
      if (group->offsets.empty() || wall_now - idle_since >= options_.offsets_retention_ms) {
        ExpireGroup(id);
      }
    }
  }
}

Status GroupCoordinator::Load() {
  struct Loaded {
    std::optional<GroupMetadataValue> metadata;
    std::map<std::pair<std::string, int32_t>, CommittedOffset> offsets;
  };
  std::map<std::string, Loaded> loaded;
  size_t skipped = 0;
  Status read = store_->Load([&](ByteView key_bytes, std::optional<ByteView> value, Offset at) {
    auto key = DecodeOffsetsTopicKey(key_bytes);
    if (!key.has_value()) {
      ++skipped;
      return;
    }
    if (const auto* k = std::get_if<OffsetCommitKey>(&*key)) {
      Loaded& entry = loaded[k->group];
      std::pair<std::string, int32_t> partition{k->topic, k->partition};
      if (!value.has_value()) {
        entry.offsets.erase(partition);
        return;
      }
      auto v = DecodeOffsetCommitValue(*value);
      if (!v.has_value()) {
        ++skipped;
        return;
      }
      entry.offsets[partition] =
          CommittedOffset{Offset(v->offset), v->leader_epoch, v->metadata, v->commit_timestamp_ms, at};
    } else {
      const auto& g = std::get<GroupMetadataKey>(*key);
      Loaded& entry = loaded[g.group];
      if (!value.has_value()) {
        entry.metadata.reset();
        return;
      }
      auto v = DecodeGroupMetadataValue(*value);
      if (!v.has_value()) {
        ++skipped;
        return;
      }
      entry.metadata = std::move(*v);
    }
  });
  TARN_TRY(read);
  if (skipped > 0) {
    spdlog::warn("{}: skipped {} records that do not decode", kConsumerOffsetsTopic, skipped);
  }
  const int64_t now = NowMs();
  size_t offset_count = 0;
  for (auto& [id, entry] : loaded) {
    if (entry.offsets.empty() && !entry.metadata.has_value()) continue;
    Group& group = GetOrCreateGroup(id);
    offset_count += entry.offsets.size();
    group.offsets = std::move(entry.offsets);
    group.state_since_ms = clock_.NowMs();
    for (const auto& [key, committed] : group.offsets) {
      group.last_commit_ms = std::max(group.last_commit_ms, committed.commit_timestamp_ms);
    }
    if (!entry.metadata.has_value()) continue;
    const GroupMetadataValue& md = *entry.metadata;
    group.protocol_type = md.protocol_type;
    group.generation = md.generation;
    group.protocol = md.protocol;
    group.leader = md.leader.value_or("");
    if (md.current_state_timestamp_ms >= 0) group.state_since_ms = md.current_state_timestamp_ms;
    for (const auto& m : md.members) {
      GroupMember& member = group.members[m.member_id];
      member.member_id = m.member_id;
      member.group_instance_id = m.group_instance_id;
      member.client_id = m.client_id;
      member.client_host = m.client_host;
      member.session_timeout_ms = m.session_timeout_ms;
      member.rebalance_timeout_ms =
          m.rebalance_timeout_ms > 0 ? m.rebalance_timeout_ms : m.session_timeout_ms;
      member.protocols = {MemberProtocol{md.protocol.value_or(""), m.subscription}};
      member.assignment = m.assignment;
      member.session_deadline_ms = now + m.session_timeout_ms;
      if (m.group_instance_id.has_value()) group.static_members[*m.group_instance_id] = m.member_id;
    }
    if (!group.HasMember(group.leader)) group.leader.clear();
    // Members come back as they were, so that they carry on (or, if they are gone, their
    // sessions lapse and the group rebalances).
    group.state = group.members.empty() ? GroupState::kEmpty : GroupState::kStable;
  }
  spdlog::info("loaded {} groups with {} committed offsets from {}", groups_.size(), offset_count,
               kConsumerOffsetsTopic);
  return Status::Ok();
}

}  // namespace tarn::kafka
