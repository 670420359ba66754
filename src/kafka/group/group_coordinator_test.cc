// The group coordinator's state machine, driven without a network: requests are coroutines on a
// local io_context, time is a ManualClock, and the coordinator's own timer is off (the test
// calls ExpireDeadlines after moving the clock). Offsets go through a real broker in a
// temporary directory, so reopening it shows what survives.
#include "kafka/group/group_coordinator.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "kafka/broker.h"
#include "kafka/group/group.h"
#include "kafka/group/offsets_topic.h"
#include "net/asio.h"

namespace tarn::kafka {
namespace {

namespace fs = std::filesystem;

constexpr int32_t kSession = 10'000;
constexpr int32_t kRebalance = 30'000;
constexpr int64_t kInitialDelay = 3'000;

// A request running as a coroutine: done() once answered.
template <typename Response>
class Pending {
 public:
  bool done() const { return result_->has_value(); }
  const Response& get() const { return **result_; }
  std::shared_ptr<std::optional<Response>> result_ = std::make_shared<std::optional<Response>>();
};

MemberProtocol Protocol(std::string name, std::string metadata = "m") {
  return MemberProtocol{std::move(name), Bytes(metadata.begin(), metadata.end())};
}

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

class GroupCoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("group_test_" + std::to_string(std::random_device()()));
    fs::remove_all(dir_);
    broker_options_.data_dir = dir_;
    options_.timer_tick_ms = 0;
    options_.initial_rebalance_delay_ms = kInitialDelay;
    Reopen();
    broker_->CreateTopic("orders", 2, {}).value();
  }
  void TearDown() override {
    groups_.reset();
    broker_.reset();
    fs::remove_all(dir_);
  }
  void Reopen() {
    groups_.reset();
    broker_.reset();
    broker_ = Broker::Open(io_, broker_options_, clock_, nullptr).value();
    auto groups = GroupCoordinator::Open(io_, *broker_, options_, clock_);
    ASSERT_TRUE(groups.has_value()) << groups.error().ToString();
    groups_ = std::move(*groups);
  }

  // Runs whatever is ready; parked requests stay parked.
  void Settle() {
    io_.restart();
    io_.poll();
  }
  // Runs the loop until `done` (disk syncs finish on another thread), at most a few seconds.
  template <typename Predicate>
  void RunUntil(Predicate done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_one_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(done()) << "timed out";
  }
  void Advance(int64_t ms) {
    clock_.Advance(ms);
    groups_->ExpireDeadlines();
    Settle();
  }

  template <typename Response>
  Pending<Response> Spawn(Awaitable<Response> request) {
    Pending<Response> pending;
    asio::co_spawn(io_, std::move(request), [out = pending.result_](std::exception_ptr e, Response r) {
      if (!e) *out = std::move(r);
    });
    Settle();
    return pending;
  }

  JoinGroupRequest JoinRequest(std::string member_id = "",
                               std::optional<std::string> instance_id = std::nullopt,
                               std::vector<MemberProtocol> protocols = {Protocol("range")}) {
    JoinGroupRequest r;
    r.group_id = "g";
    r.session_timeout_ms = kSession;
    r.rebalance_timeout_ms = kRebalance;
    r.member_id = std::move(member_id);
    r.group_instance_id = std::move(instance_id);
    r.protocol_type = "consumer";
    r.protocols = std::move(protocols);
    return r;
  }
  Pending<JoinGroupResponse> Join(JoinGroupRequest request, int16_t version = 5) {
    return Spawn(groups_->JoinGroup(std::move(request), version, ClientInfo{"client", "/127.0.0.1"}));
  }
  // A dynamic member's first join at v4+: MEMBER_ID_REQUIRED, then the join with its id.
  Pending<JoinGroupResponse> JoinNew(std::vector<MemberProtocol> protocols = {Protocol("range")}) {
    auto first = Join(JoinRequest("", std::nullopt, protocols));
    EXPECT_TRUE(first.done());
    EXPECT_EQ(first.get().error_code, ErrorCode::kMemberIdRequired);
    return Join(JoinRequest(first.get().member_id, std::nullopt, protocols));
  }
  Pending<SyncGroupResponse> Sync(const std::string& member_id, int32_t generation,
                                  std::vector<SyncGroupRequest::SyncGroupRequestAssignment> assignments = {},
                                  std::optional<std::string> instance_id = std::nullopt) {
    SyncGroupRequest r;
    r.group_id = "g";
    r.member_id = member_id;
    r.generation_id = generation;
    r.group_instance_id = std::move(instance_id);
    r.assignments = std::move(assignments);
    return Spawn(groups_->SyncGroup(std::move(r)));
  }
  ErrorCode Heartbeat(const std::string& member_id, int32_t generation,
                      std::optional<std::string> instance_id = std::nullopt) {
    HeartbeatRequest r;
    r.group_id = "g";
    r.member_id = member_id;
    r.generation_id = generation;
    r.group_instance_id = std::move(instance_id);
    return groups_->Heartbeat(r).error_code;
  }
  ErrorCode Leave(const std::string& member_id) {
    LeaveGroupRequest r;
    r.group_id = "g";
    r.members.push_back({member_id, std::nullopt});
    return groups_->LeaveGroup(r, 1).error_code;
  }
  std::string State() {
    DescribeGroupsRequest r;
    r.groups = {"g"};
    return groups_->DescribeGroups(r).groups.at(0).group_state;
  }
  // Commits offset `offset` of orders/0 (and waits for the disk); the partition's error.
  ErrorCode Commit(const std::string& member_id, int32_t generation, int64_t offset,
                   const std::string& group = "g") {
    OffsetCommitRequest r;
    r.group_id = group;
    r.member_id = member_id;
    r.generation_id_or_member_epoch = generation;
    auto& t = r.topics.emplace_back();
    t.name = "orders";
    t.partitions.push_back({PartitionId(0), Offset(offset), 7, std::string("meta")});
    auto pending = Spawn(groups_->OffsetCommit(std::move(r)));
    RunUntil([&] { return pending.done(); });
    return pending.get().topics.at(0).partitions.at(0).error_code;
  }
  OffsetFetchResponse::OffsetFetchResponsePartition Fetched(const std::string& group,
                                                           const std::string& topic, int32_t p) {
    OffsetFetchRequest r;
    r.group_id = group;
    r.topics = std::vector<OffsetFetchRequest::OffsetFetchRequestTopic>{{topic, {PartitionId(p)}}};
    return groups_->OffsetFetch(r).topics.at(0).partitions.at(0);
  }

  // Two dynamic members through one full rebalance: returns {leader, follower} and the
  // generation, with the group Stable.
  struct TwoMembers {
    std::string leader;
    std::string follower;
    int32_t generation;
  };
  TwoMembers StableGroupOfTwo() {
    auto a = JoinNew();
    auto b = JoinNew();
    EXPECT_FALSE(a.done());
    Advance(kInitialDelay);
    EXPECT_TRUE(a.done() && b.done());
    const JoinGroupResponse& ja = a.get();
    const JoinGroupResponse& jb = b.get();
    TwoMembers out;
    out.leader = ja.leader;
    out.generation = ja.generation_id;
    out.follower = ja.member_id == ja.leader ? jb.member_id : ja.member_id;
    auto follower_sync = Sync(out.follower, out.generation);
    auto leader_sync = Sync(out.leader, out.generation,
                            {{out.leader, B("for-leader")}, {out.follower, B("for-follower")}});
    RunUntil([&] { return leader_sync.done(); });
    EXPECT_TRUE(follower_sync.done());
    EXPECT_EQ(State(), "Stable");
    return out;
  }

  fs::path dir_;
  IoContext io_;
  ManualClock clock_;
  BrokerOptions broker_options_;
  GroupCoordinatorOptions options_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<GroupCoordinator> groups_;
};

TEST_F(GroupCoordinatorTest, DynamicMemberIsToldToComeBackWithAnId) {
  auto first = Join(JoinRequest());
  ASSERT_TRUE(first.done());
  EXPECT_EQ(first.get().error_code, ErrorCode::kMemberIdRequired);
  EXPECT_TRUE(first.get().member_id.starts_with("client-"));
  // v3 and below get the id with the join itself.
  auto old = Join(JoinRequest(), 3);
  EXPECT_FALSE(old.done());
}

TEST_F(GroupCoordinatorTest, FirstRebalanceWaitsTheInitialDelayThenElectsOneLeader) {
  auto a = JoinNew();
  Advance(kInitialDelay - 1);
  auto b = JoinNew();  // pushes the delay back
  Advance(kInitialDelay - 1);
  EXPECT_FALSE(a.done());
  EXPECT_EQ(State(), "PreparingRebalance");
  Advance(1);
  ASSERT_TRUE(a.done() && b.done());
  EXPECT_EQ(a.get().error_code, ErrorCode::kNone);
  EXPECT_EQ(a.get().generation_id, 1);
  EXPECT_EQ(b.get().generation_id, 1);
  EXPECT_EQ(a.get().protocol_name, "range");
  EXPECT_EQ(a.get().leader, b.get().leader);
  // Only the leader learns the members.
  const JoinGroupResponse& leader = a.get().member_id == a.get().leader ? a.get() : b.get();
  const JoinGroupResponse& follower = a.get().member_id == a.get().leader ? b.get() : a.get();
  EXPECT_EQ(leader.members.size(), 2u);
  EXPECT_TRUE(follower.members.empty());
  EXPECT_EQ(State(), "CompletingRebalance");
}

TEST_F(GroupCoordinatorTest, FollowerSyncWaitsForTheLeadersAssignment) {
  auto a = JoinNew();
  auto b = JoinNew();
  Advance(kInitialDelay);
  std::string leader = a.get().leader;
  std::string follower = a.get().member_id == leader ? b.get().member_id : a.get().member_id;
  auto follower_sync = Sync(follower, 1);
  // However long the leader takes (within the rebalance timeout), the follower is not answered.
  Advance(kSession / 2);
  EXPECT_FALSE(follower_sync.done());
  EXPECT_EQ(Heartbeat(follower, 1), ErrorCode::kNone);
  auto leader_sync = Sync(leader, 1, {{leader, B("L")}, {follower, B("F")}});
  RunUntil([&] { return leader_sync.done(); });
  ASSERT_TRUE(follower_sync.done());
  EXPECT_EQ(follower_sync.get().error_code, ErrorCode::kNone);
  EXPECT_EQ(follower_sync.get().assignment, B("F"));
  EXPECT_EQ(leader_sync.get().assignment, B("L"));
  EXPECT_EQ(State(), "Stable");
  // A later SyncGroup in Stable returns the stored assignment.
  auto again = Sync(follower, 1);
  ASSERT_TRUE(again.done());
  EXPECT_EQ(again.get().assignment, B("F"));
}

TEST_F(GroupCoordinatorTest, ProtocolIsTheOneAllSupportThatMostPrefer) {
  auto a = JoinNew({Protocol("cooperative-sticky"), Protocol("range")});
  auto b = JoinNew({Protocol("range"), Protocol("cooperative-sticky")});
  auto c = JoinNew({Protocol("range"), Protocol("cooperative-sticky")});
  Advance(kInitialDelay);
  ASSERT_TRUE(a.done());
  EXPECT_EQ(a.get().protocol_name, "range");
  // A member sharing no protocol with the group is refused.
  auto d = Join(JoinRequest("", std::nullopt, {Protocol("roundrobin")}));
  ASSERT_TRUE(d.done());
  EXPECT_EQ(d.get().error_code, ErrorCode::kInconsistentGroupProtocol);
}

TEST_F(GroupCoordinatorTest, SessionTimeoutOutsideTheLimitsIsRefused) {
  JoinGroupRequest r = JoinRequest();
  r.session_timeout_ms = options_.min_session_timeout_ms - 1;
  auto short_one = Join(r);
  ASSERT_TRUE(short_one.done());
  EXPECT_EQ(short_one.get().error_code, ErrorCode::kInvalidSessionTimeout);
  r.session_timeout_ms = options_.max_session_timeout_ms + 1;
  auto long_one = Join(r);
  ASSERT_TRUE(long_one.done());
  EXPECT_EQ(long_one.get().error_code, ErrorCode::kInvalidSessionTimeout);
}

TEST_F(GroupCoordinatorTest, HeartbeatErrors) {
  TwoMembers g = StableGroupOfTwo();
  EXPECT_EQ(Heartbeat(g.follower, g.generation), ErrorCode::kNone);
  EXPECT_EQ(Heartbeat(g.follower, g.generation - 1), ErrorCode::kIllegalGeneration);
  EXPECT_EQ(Heartbeat("nobody", g.generation), ErrorCode::kUnknownMemberId);
  HeartbeatRequest elsewhere;
  elsewhere.group_id = "no-such-group";
  elsewhere.member_id = g.follower;
  EXPECT_EQ(groups_->Heartbeat(elsewhere).error_code, ErrorCode::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, NewMemberStartsARebalanceTheOthersLearnOfByHeartbeat) {
  TwoMembers g = StableGroupOfTwo();
  auto c = JoinNew();
  EXPECT_FALSE(c.done());
  EXPECT_EQ(State(), "PreparingRebalance");
  EXPECT_EQ(Heartbeat(g.follower, g.generation), ErrorCode::kRebalanceInProgress);
  auto sync = Sync(g.follower, g.generation);
  ASSERT_TRUE(sync.done());
  EXPECT_EQ(sync.get().error_code, ErrorCode::kRebalanceInProgress);
  auto a = Join(JoinRequest(g.leader));
  EXPECT_FALSE(c.done());
  auto b = Join(JoinRequest(g.follower));
  // Everyone has rejoined: no waiting for a timeout (and no initial delay: not empty before).
  ASSERT_TRUE(a.done() && b.done() && c.done());
  EXPECT_EQ(c.get().generation_id, g.generation + 1);
  EXPECT_EQ(a.get().leader, g.leader);  // the leader stays the leader
}

TEST_F(GroupCoordinatorTest, StableFollowerRejoiningUnchangedGetsTheSameGeneration) {
  TwoMembers g = StableGroupOfTwo();
  auto again = Join(JoinRequest(g.follower));
  ASSERT_TRUE(again.done());
  EXPECT_EQ(again.get().generation_id, g.generation);
  EXPECT_EQ(State(), "Stable");
  // The leader rejoining means it wants to reassign.
  auto leader = Join(JoinRequest(g.leader));
  EXPECT_FALSE(leader.done());
  EXPECT_EQ(State(), "PreparingRebalance");
}

TEST_F(GroupCoordinatorTest, SilentMemberIsEvictedWhenItsSessionLapses) {
  TwoMembers g = StableGroupOfTwo();
  Advance(kSession - 1000);
  EXPECT_EQ(Heartbeat(g.leader, g.generation), ErrorCode::kNone);
  Advance(1000);  // the follower has been silent for a whole session
  EXPECT_EQ(State(), "PreparingRebalance");
  EXPECT_EQ(Heartbeat(g.follower, g.generation), ErrorCode::kUnknownMemberId);
  auto a = Join(JoinRequest(g.leader));
  ASSERT_TRUE(a.done());
  EXPECT_EQ(a.get().generation_id, g.generation + 1);
  EXPECT_EQ(a.get().members.size(), 1u);
}

TEST_F(GroupCoordinatorTest, MembersThatDoNotRejoinAreDroppedAtTheRebalanceTimeout) {
  TwoMembers g = StableGroupOfTwo();
  auto c = JoinNew();
  auto a = Join(JoinRequest(g.leader));
  // The follower keeps heartbeating but never rejoins.
  for (int64_t t = 0; t < kRebalance; t += kSession / 2) {
    EXPECT_FALSE(a.done());
    EXPECT_EQ(Heartbeat(g.follower, g.generation), ErrorCode::kRebalanceInProgress);
    Advance(kSession / 2);
  }
  ASSERT_TRUE(a.done() && c.done());
  EXPECT_EQ(a.get().members.size(), 2u);
  EXPECT_EQ(Heartbeat(g.follower, g.generation), ErrorCode::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, LeaveStartsARebalanceAndTheLastLeaveEmptiesTheGroup) {
  TwoMembers g = StableGroupOfTwo();
  EXPECT_EQ(Leave(g.follower), ErrorCode::kNone);
  EXPECT_EQ(State(), "PreparingRebalance");
  EXPECT_EQ(Leave(g.follower), ErrorCode::kUnknownMemberId);
  EXPECT_EQ(Leave(g.leader), ErrorCode::kNone);
  EXPECT_EQ(State(), "Empty");
}

TEST_F(GroupCoordinatorTest, StaticMemberRestartKeepsItsAssignmentWithoutARebalance) {
  auto a = Join(JoinRequest("", "instance-a"));
  auto b = Join(JoinRequest("", "instance-b"));
  Advance(kInitialDelay);
  ASSERT_TRUE(a.done() && b.done());
  const std::string leader = a.get().leader;
  const bool a_leads = a.get().member_id == leader;
  const std::string follower_id = a_leads ? b.get().member_id : a.get().member_id;
  const std::string follower_instance = a_leads ? "instance-b" : "instance-a";
  EXPECT_TRUE(follower_id.starts_with(follower_instance + "-"));
  auto fs = Sync(follower_id, 1, {}, follower_instance);
  auto ls = Sync(leader, 1, {{leader, B("L")}, {follower_id, B("F")}});
  RunUntil([&] { return ls.done() && fs.done(); });

  // The follower restarts: same instance id, no member id, same protocols.
  auto back = Join(JoinRequest("", follower_instance));
  ASSERT_TRUE(back.done());
  EXPECT_EQ(back.get().error_code, ErrorCode::kNone);
  EXPECT_EQ(back.get().generation_id, 1);
  const std::string new_id = back.get().member_id;
  EXPECT_NE(new_id, follower_id);
  EXPECT_EQ(State(), "Stable");
  auto sync = Sync(new_id, 1, {}, follower_instance);
  ASSERT_TRUE(sync.done());
  EXPECT_EQ(sync.get().assignment, B("F"));
  // The old member id is fenced.
  EXPECT_EQ(Heartbeat(follower_id, 1, follower_instance), ErrorCode::kFencedInstanceId);
  EXPECT_EQ(Heartbeat(new_id, 1, follower_instance), ErrorCode::kNone);
  EXPECT_EQ(Commit(follower_id, 1, 5), ErrorCode::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, StaticMemberWithNewProtocolsRebalancesAndSessionStillEvicts) {
  auto a = Join(JoinRequest("", "instance-a"));
  Advance(kInitialDelay);
  ASSERT_TRUE(a.done());
  auto s = Sync(a.get().member_id, 1, {{a.get().member_id, B("A")}}, "instance-a");
  RunUntil([&] { return s.done(); });
  auto b = Join(JoinRequest("", "instance-b"));
  auto a2 = Join(JoinRequest(a.get().member_id, "instance-a"));
  ASSERT_TRUE(a2.done() && b.done());
  EXPECT_EQ(b.get().generation_id, 2);
  auto s2 = Sync(a.get().member_id, 2, {{a.get().member_id, B("A")}, {b.get().member_id, B("B")}},
                 "instance-a");
  auto s3 = Sync(b.get().member_id, 2, {}, "instance-b");
  RunUntil([&] { return s2.done() && s3.done(); });

  // instance-b restarts with different metadata: a rebalance.
  auto b2 = Join(JoinRequest("", "instance-b", {Protocol("range", "other")}));
  EXPECT_FALSE(b2.done());
  EXPECT_EQ(State(), "PreparingRebalance");
  auto a3 = Join(JoinRequest(a.get().member_id, "instance-a"));
  ASSERT_TRUE(a3.done() && b2.done());
  EXPECT_EQ(a3.get().generation_id, 3);
  // instance-b then goes silent: its session still evicts it.
  auto s4 = Sync(a.get().member_id, 3, {}, "instance-a");
  auto s5 = Sync(b2.get().member_id, 3, {}, "instance-b");
  RunUntil([&] { return s4.done() && s5.done(); });
  Advance(kSession / 2);
  EXPECT_EQ(Heartbeat(a.get().member_id, 3, "instance-a"), ErrorCode::kNone);
  Advance(kSession / 2);
  EXPECT_EQ(Heartbeat(b2.get().member_id, 3, "instance-b"), ErrorCode::kUnknownMemberId);
}

TEST_F(GroupCoordinatorTest, CommitValidation) {
  // A standalone consumer (generation -1, no member) may commit to a group without members.
  EXPECT_EQ(Commit("", -1, 10, "standalone"), ErrorCode::kNone);
  EXPECT_EQ(Fetched("standalone", "orders", 0).committed_offset, Offset(10));
  // A generation to a group that does not exist.
  EXPECT_EQ(Commit("someone", 3, 10, "nowhere"), ErrorCode::kIllegalGeneration);

  auto a = JoinNew();
  Advance(kInitialDelay);
  ASSERT_TRUE(a.done());
  const std::string member = a.get().member_id;
  // Not while the assignment is being handed out.
  EXPECT_EQ(Commit(member, 1, 3), ErrorCode::kRebalanceInProgress);
  auto s = Sync(member, 1, {{member, B("A")}});
  RunUntil([&] { return s.done(); });
  EXPECT_EQ(Commit(member, 1, 3), ErrorCode::kNone);
  EXPECT_EQ(Commit(member, 0, 3), ErrorCode::kIllegalGeneration);
  EXPECT_EQ(Commit("stranger", 1, 3), ErrorCode::kUnknownMemberId);
  // Anonymous commits to a group with members are refused.
  EXPECT_EQ(Commit("", -1, 3), ErrorCode::kUnknownMemberId);

  OffsetCommitRequest unknown_topic;
  unknown_topic.group_id = "g";
  unknown_topic.member_id = member;
  unknown_topic.generation_id_or_member_epoch = 1;
  unknown_topic.topics.push_back({"no-such-topic", {{PartitionId(0), Offset(1), -1, ""}}});
  auto response = Spawn(groups_->OffsetCommit(unknown_topic));
  ASSERT_TRUE(response.done());
  EXPECT_EQ(response.get().topics[0].partitions[0].error_code,
            ErrorCode::kUnknownTopicOrPartition);
}

TEST_F(GroupCoordinatorTest, OffsetFetchWithoutACommit) {
  auto none = Fetched("g", "orders", 0);
  EXPECT_EQ(none.committed_offset, Offset(-1));
  EXPECT_EQ(none.metadata, "");
  EXPECT_EQ(none.error_code, ErrorCode::kNone);
}

TEST_F(GroupCoordinatorTest, OffsetsAndGroupsComeBackAfterReopening) {
  EXPECT_EQ(Commit("", -1, 41, "standalone"), ErrorCode::kNone);
  EXPECT_EQ(Commit("", -1, 42, "standalone"), ErrorCode::kNone);
  TwoMembers g = StableGroupOfTwo();
  EXPECT_EQ(Commit(g.follower, g.generation, 7), ErrorCode::kNone);

  Reopen();
  auto standalone = Fetched("standalone", "orders", 0);
  EXPECT_EQ(standalone.committed_offset, Offset(42));
  EXPECT_EQ(standalone.committed_leader_epoch, 7);
  EXPECT_EQ(standalone.metadata, "meta");
  EXPECT_EQ(Fetched("g", "orders", 0).committed_offset, Offset(7));
  EXPECT_EQ(Fetched("g", "orders", 1).committed_offset, Offset(-1));
  // The group's members carry on where they were.
  EXPECT_EQ(State(), "Stable");
  EXPECT_EQ(Heartbeat(g.follower, g.generation), ErrorCode::kNone);
  auto sync = Sync(g.follower, g.generation);
  ASSERT_TRUE(sync.done());
  EXPECT_EQ(sync.get().assignment, B("for-follower"));
  // Null topics: every committed partition.
  OffsetFetchRequest all;
  all.group_id = "standalone";
  all.topics = std::nullopt;
  auto fetched = groups_->OffsetFetch(all);
  ASSERT_EQ(fetched.topics.size(), 1u);
  EXPECT_EQ(fetched.topics[0].name, "orders");
  ASSERT_EQ(fetched.topics[0].partitions.size(), 1u);
  EXPECT_EQ(fetched.topics[0].partitions[0].committed_offset, Offset(42));
}

TEST_F(GroupCoordinatorTest, OffsetsOfAGroupEmptyPastTheRetentionAreDeleted) {
  EXPECT_EQ(Commit("", -1, 5, "old"), ErrorCode::kNone);
  Advance(options_.offsets_retention_ms - 1);
  EXPECT_EQ(Fetched("old", "orders", 0).committed_offset, Offset(5));
  Advance(1);
  EXPECT_EQ(Fetched("old", "orders", 0).committed_offset, Offset(-1));
  RunUntil([&] { return true; });
  Reopen();  // the tombstone holds across a restart
  EXPECT_EQ(Fetched("old", "orders", 0).committed_offset, Offset(-1));
}

TEST_F(GroupCoordinatorTest, CommittingKeepsAStandaloneGroupsOffsets) {
  EXPECT_EQ(Commit("", -1, 5, "standalone"), ErrorCode::kNone);
  for (int day = 0; day < 10; ++day) {
    Advance(options_.offsets_retention_ms / 7);
    EXPECT_EQ(Commit("", -1, 6 + day, "standalone"), ErrorCode::kNone);
  }
  EXPECT_EQ(Fetched("standalone", "orders", 0).committed_offset, Offset(15));
}

TEST_F(GroupCoordinatorTest, ListAndDescribe) {
  TwoMembers g = StableGroupOfTwo();
  auto listed = groups_->ListGroups();
  ASSERT_EQ(listed.groups.size(), 1u);
  EXPECT_EQ(listed.groups[0].group_id, "g");
  EXPECT_EQ(listed.groups[0].protocol_type, "consumer");
  DescribeGroupsRequest r;
  r.groups = {"g", "unknown"};
  auto described = groups_->DescribeGroups(r);
  ASSERT_EQ(described.groups.size(), 2u);
  EXPECT_EQ(described.groups[0].group_state, "Stable");
  EXPECT_EQ(described.groups[0].protocol_data, "range");
  ASSERT_EQ(described.groups[0].members.size(), 2u);
  EXPECT_EQ(described.groups[0].members[0].client_host, "/127.0.0.1");
  EXPECT_FALSE(described.groups[0].members[0].member_assignment.empty());
  EXPECT_EQ(described.groups[1].group_state, "Dead");
  EXPECT_EQ(described.groups[1].error_code, ErrorCode::kNone);
}

TEST(OffsetsTopicTest, RecordsRoundTripAndKeepKafkasLayout) {
  OffsetCommitKey key{"g", "orders", 3};
  Bytes encoded = EncodeOffsetCommitKey(key);
  // version 1, "g", "orders", partition 3
  EXPECT_EQ(encoded, (Bytes{0, 1, 0, 1, 'g', 0, 6, 'o', 'r', 'd', 'e', 'r', 's', 0, 0, 0, 3}));
  EXPECT_EQ(std::get<OffsetCommitKey>(DecodeOffsetsTopicKey(encoded).value()), key);
  OffsetCommitValue value{42, 5, "meta", 1700000000000};
  EXPECT_EQ(DecodeOffsetCommitValue(EncodeOffsetCommitValue(value)).value(), value);
  GroupMetadataValue group;
  group.protocol_type = "consumer";
  group.generation = 4;
  group.protocol = "range";
  group.leader = "m1";
  group.current_state_timestamp_ms = 123;
  group.members.push_back({"m1", "i1", "client", "/127.0.0.1", 300000, 10000, B("s"), B("a")});
  EXPECT_EQ(DecodeGroupMetadataValue(EncodeGroupMetadataValue(group)).value(), group);
  EXPECT_EQ(std::get<GroupMetadataKey>(
                DecodeOffsetsTopicKey(EncodeGroupMetadataKey({"g"})).value()).group, "g");
  // A value cut short is corruption, not a crash.
  Bytes cut = EncodeGroupMetadataValue(group);
  cut.resize(cut.size() - 3);
  EXPECT_EQ(DecodeGroupMetadataValue(cut).error().code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeOffsetsTopicKey(Bytes{0, 9}).error().code(), StatusCode::kUnsupported);
}

TEST(OffsetsTopicTest, GroupsHashOntoPartitionsAsKafkaDoes) {
  // Java: "my-group".hashCode() == -1906497762; without the sign bit 240985886, % 50 == 36.
  EXPECT_EQ(OffsetsTopicPartitionFor("my-group", 50), 36);
  for (const char* id : {"", "a", "consumer-group-with-a-long-name"}) {
    int32_t p = OffsetsTopicPartitionFor(id, 4);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, 4);
  }
}

}  // namespace
}  // namespace tarn::kafka
