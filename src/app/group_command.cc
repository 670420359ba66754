#include "app/group_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <iostream>
#include <map>
#include <memory>

#include "app/command_line.h"
#include "app/commands.h"
#include "app/kafka_client.h"
#include "app/topic_command.h"

namespace tarn::app {
namespace {

// Admin requests go through a producer handle: it needs no group and the admin API accepts it.
Result<hub::KafkaClient> ConnectAdmin(const ClientOptions& options) {
  TARN_ASSIGN_OR_RETURN(hub::ConfPtr conf, hub::NewClientConf(options, {}));
  return hub::KafkaClient::Create(RD_KAFKA_PRODUCER, std::move(conf), options);
}

std::string StateName(rd_kafka_consumer_group_state_t state) {
  return state == RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN
             ? "Unknown"
             : rd_kafka_consumer_group_state_name(state);
}

// DescribeGroups for `ids`: state, protocol and members of each (no offsets).
Result<std::vector<GroupDescription>> DescribeGroups(const hub::KafkaClient& client,
                                                     const std::vector<std::string>& ids) {
  std::vector<GroupDescription> out;
  if (ids.empty()) return out;
  std::vector<const char*> names;
  for (const std::string& id : ids) names.push_back(id.c_str());
  TARN_ASSIGN_OR_RETURN(
      hub::EventPtr event,
      client.RunAdmin(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
                      [&](const rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                        rd_kafka_DescribeConsumerGroups(client.get(), names.data(), names.size(),
                                                        options, queue);
                      }));
  size_t count = 0;
  const rd_kafka_ConsumerGroupDescription_t** groups =
      rd_kafka_DescribeConsumerGroups_result_groups(
          rd_kafka_event_DescribeConsumerGroups_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_ConsumerGroupDescription_t* g = groups[i];
    const std::string id = rd_kafka_ConsumerGroupDescription_group_id(g);
    TARN_TRY(hub::KafkaStatus(rd_kafka_ConsumerGroupDescription_error(g),
                         "cannot describe group " + Quote(id)));
    GroupDescription d;
    d.group_id = id;
    d.state = StateName(rd_kafka_ConsumerGroupDescription_state(g));
    if (const char* p = rd_kafka_ConsumerGroupDescription_partition_assignor(g); p != nullptr) {
      d.protocol = p;
    }
    const size_t members = rd_kafka_ConsumerGroupDescription_member_count(g);
    for (size_t m = 0; m < members; ++m) {
      const rd_kafka_MemberDescription_t* member = rd_kafka_ConsumerGroupDescription_member(g, m);
      GroupMemberInfo info;
      info.member_id = rd_kafka_MemberDescription_consumer_id(member);
      if (const char* instance = rd_kafka_MemberDescription_group_instance_id(member);
          instance != nullptr && *instance != '\0') {
        info.instance_id = instance;
      }
      info.client_id = rd_kafka_MemberDescription_client_id(member);
      info.host = rd_kafka_MemberDescription_host(member);
      // librdkafka decodes the consumer protocol's Assignment bytes into partitions.
      const rd_kafka_MemberAssignment_t* assignment = rd_kafka_MemberDescription_assignment(member);
      const rd_kafka_topic_partition_list_t* partitions =
          assignment != nullptr ? rd_kafka_MemberAssignment_partitions(assignment) : nullptr;
      for (int p = 0; partitions != nullptr && p < partitions->cnt; ++p) {
        info.assignment.emplace_back(partitions->elems[p].topic, partitions->elems[p].partition);
      }
      d.members.push_back(std::move(info));
    }
    std::sort(d.members.begin(), d.members.end(),
              [](const GroupMemberInfo& a, const GroupMemberInfo& b) {
                return a.member_id < b.member_id;
              });
    out.push_back(std::move(d));
  }
  return out;
}

Result<GroupDescription> DescribeGroup(const hub::KafkaClient& client, const std::string& id) {
  TARN_ASSIGN_OR_RETURN(std::vector<GroupDescription> groups, DescribeGroups(client, {id}));
  if (groups.empty()) return Error(Status::NotFound("no description of group " + Quote(id)));
  return std::move(groups.front());
}

// The group's committed offsets of `partitions` (those it has committed).
Result<std::map<TopicPartitionName, int64_t>> CommittedOffsets(
    const hub::KafkaClient& client, const std::string& group,
    const rd_kafka_topic_partition_list_t* partitions) {
  return hub::ListGroupOffsets(client, group, *partitions);
}

Status ListGroups(const ClientOptions& options) {
  TARN_ASSIGN_OR_RETURN(hub::KafkaClient client, ConnectAdmin(options));
  TARN_ASSIGN_OR_RETURN(
      hub::EventPtr event,
      client.RunAdmin(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
                      [&](const rd_kafka_AdminOptions_t* admin_options, rd_kafka_queue_t* queue) {
                        rd_kafka_ListConsumerGroups(client.get(), admin_options, queue);
                      }));
  const rd_kafka_ListConsumerGroups_result_t* result =
      rd_kafka_event_ListConsumerGroups_result(event.get());
  size_t error_count = 0;
  const rd_kafka_error_t** errors = rd_kafka_ListConsumerGroups_result_errors(result, &error_count);
  if (error_count > 0) TARN_TRY(hub::KafkaStatus(errors[0], "cannot list groups"));
  size_t count = 0;
  const rd_kafka_ConsumerGroupListing_t** listed =
      rd_kafka_ListConsumerGroups_result_valid(result, &count);
  std::vector<std::string> ids;
  for (size_t i = 0; i < count; ++i) ids.emplace_back(rd_kafka_ConsumerGroupListing_group_id(listed[i]));
  std::sort(ids.begin(), ids.end());
  // ListGroups below v4 carries no state: DescribeGroups has it.
  TARN_ASSIGN_OR_RETURN(std::vector<GroupDescription> described, DescribeGroups(client, ids));
  std::vector<GroupListing> rows;
  for (const GroupDescription& d : described) {
    rows.push_back({d.group_id, d.state, static_cast<int32_t>(d.members.size())});
  }
  std::sort(rows.begin(), rows.end(),
            [](const GroupListing& a, const GroupListing& b) { return a.group_id < b.group_id; });
  std::cout << FormatGroupList(rows);
  return Status::Ok();
}

Status DescribeGroupCommand(const ClientOptions& options, const std::string& id) {
  TARN_ASSIGN_OR_RETURN(hub::KafkaClient client, ConnectAdmin(options));
  TARN_ASSIGN_OR_RETURN(GroupDescription group, DescribeGroup(client, id));
  // Every partition of every topic: librdkafka 2.0 asks for "all partitions" with an empty
  // list, which brokers answer with nothing.
  TARN_ASSIGN_OR_RETURN(hub::MetadataPtr metadata, client.FetchMetadata());
  hub::PartitionListPtr every(rd_kafka_topic_partition_list_new(0));
  for (int t = 0; t < metadata->topic_cnt; ++t) {
    const rd_kafka_metadata_topic_t& topic = metadata->topics[t];
    for (int p = 0; p < topic.partition_cnt; ++p) {
      rd_kafka_topic_partition_list_add(every.get(), topic.topic, topic.partitions[p].id);
    }
  }
  std::map<TopicPartitionName, int64_t> committed;
  if (every->cnt > 0) {
    TARN_ASSIGN_OR_RETURN(committed, CommittedOffsets(client, id, every.get()));
  }
  std::map<TopicPartitionName, GroupPartitionInfo> partitions;
  for (const auto& [tp, offset] : committed) {
    partitions[tp].committed = offset;
  }
  for (const GroupMemberInfo& member : group.members) {
    for (const TopicPartitionName& tp : member.assignment) partitions[tp].member_id = member.member_id;
  }
  const int timeout_ms = static_cast<int>(client.timeout().count());
  for (auto& [tp, info] : partitions) {
    info.topic = tp.first;
    info.partition = tp.second;
    int64_t low = 0;
    int64_t high = 0;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        client.get(), tp.first.c_str(), tp.second, &low, &high, timeout_ms);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) info.log_end = high;
    group.partitions.push_back(info);
  }
  std::cout << FormatGroupDescription(group);
  return Status::Ok();
}

struct ResetArgs {
  ClientOptions client;
  std::string group;
  std::string topic;
  std::optional<int32_t> partition;
  bool to_earliest = false;
  bool to_latest = false;
  std::optional<int64_t> to_offset;
  std::optional<std::string> to_datetime;
  bool dry_run = false;
};

Status ResetOffsets(const ResetArgs& args) {
  std::optional<int64_t> timestamp;
  if (args.to_datetime.has_value()) {
    TARN_ASSIGN_OR_RETURN(timestamp, ParseDateTime(*args.to_datetime));
  }
  TARN_ASSIGN_OR_RETURN(hub::KafkaClient client, ConnectAdmin(args.client));
  // As Kafka's tool: positions change only while nobody consumes, or a member would overwrite
  // them with its next commit.
  TARN_ASSIGN_OR_RETURN(GroupDescription group, DescribeGroup(client, args.group));
  if (group.state != "Empty" && group.state != "Dead") {
    return Status::FailedPrecondition(
        "group " + Quote(args.group) + " is " + group.state + " with " +
        std::to_string(group.members.size()) +
        " members: offsets can be reset only while the group is Empty (stop its consumers)");
  }
  TARN_ASSIGN_OR_RETURN(std::vector<int32_t> all, client.TopicPartitions(args.topic));
  std::vector<int32_t> chosen = all;
  if (args.partition.has_value()) {
    if (std::find(all.begin(), all.end(), *args.partition) == all.end()) {
      return Status::NotFound("topic " + Quote(args.topic) + " has no partition " +
                              std::to_string(*args.partition));
    }
    chosen = {*args.partition};
  }
  hub::PartitionListPtr wanted(rd_kafka_topic_partition_list_new(static_cast<int>(chosen.size())));
  for (int32_t p : chosen) rd_kafka_topic_partition_list_add(wanted.get(), args.topic.c_str(), p);
  TARN_ASSIGN_OR_RETURN(auto committed, CommittedOffsets(client, args.group, wanted.get()));

  const int timeout_ms = static_cast<int>(client.timeout().count());
  std::map<int32_t, int64_t> by_time;
  if (timestamp.has_value()) {
    hub::PartitionListPtr query(rd_kafka_topic_partition_list_new(static_cast<int>(chosen.size())));
    for (int32_t p : chosen) {
      rd_kafka_topic_partition_list_add(query.get(), args.topic.c_str(), p)->offset = *timestamp;
    }
    TARN_TRY(client.Explain(hub::KafkaStatus(
        rd_kafka_offsets_for_times(client.get(), query.get(), timeout_ms),
        "cannot find offsets by time in " + Quote(args.topic))));
    for (int i = 0; i < query->cnt; ++i) by_time[query->elems[i].partition] = query->elems[i].offset;
  }
  std::vector<OffsetReset> plan;
  for (int32_t p : chosen) {
    int64_t low = 0;
    int64_t high = 0;
    TARN_TRY(client.Explain(hub::KafkaStatus(
        rd_kafka_query_watermark_offsets(client.get(), args.topic.c_str(), p, &low, &high,
                                         timeout_ms),
        "cannot get the offsets of " + args.topic + "/" + std::to_string(p))));
    OffsetReset reset;
    reset.topic = args.topic;
    reset.partition = p;
    if (auto it = committed.find({args.topic, p}); it != committed.end()) reset.current = it->second;
    if (args.to_earliest) {
      reset.target = low;
    } else if (args.to_latest) {
      reset.target = high;
    } else if (args.to_offset.has_value()) {
      reset.target = std::clamp(*args.to_offset, low, high);
    } else {
      // No record at or after the time: the end, where the next record will be.
      int64_t found = by_time.count(p) ? by_time[p] : -1;
      reset.target = found >= 0 ? found : high;
    }
    plan.push_back(reset);
  }
  std::cout << FormatOffsetResets(plan, args.dry_run);
  if (args.dry_run) return Status::Ok();

  hub::PartitionListPtr targets(rd_kafka_topic_partition_list_new(static_cast<int>(plan.size())));
  for (const OffsetReset& r : plan) {
    rd_kafka_topic_partition_list_add(targets.get(), r.topic.c_str(), r.partition)->offset =
        r.target;
  }
  TARN_TRY(hub::AlterGroupOffsets(client, args.group, *targets));
  return Status::Ok();
}

std::string OrDash(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }

// Parses exactly `digits` digits at `pos` of `s`.
bool ReadNumber(std::string_view s, size_t& pos, size_t digits, int& out) {
  if (pos + digits > s.size()) return false;
  auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + digits, out);
  if (ec != std::errc() || end != s.data() + pos + digits) return false;
  pos += digits;
  return true;
}

// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

std::string FormatAssignment(const std::vector<TopicPartitionName>& partitions) {
  std::string out;
  std::string topic;
  for (const auto& [t, p] : partitions) {
    if (out.empty() || t != topic) {
      if (!out.empty()) out += ' ';
      out += t + "/" + std::to_string(p);
      topic = t;
    } else {
      out += "," + std::to_string(p);
    }
  }
  return out.empty() ? "-" : out;
}

std::string FormatGroupList(const std::vector<GroupListing>& groups) {
  std::vector<std::vector<std::string>> rows;
  for (const GroupListing& g : groups) {
    rows.push_back({g.group_id, g.state, std::to_string(g.members)});
  }
  return FormatTable({"GROUP", "STATE", "MEMBERS"}, rows);
}

std::string FormatGroupDescription(const GroupDescription& group) {
  std::string out = "Group: " + group.group_id + "\n";
  out += "State: " + group.state + "\n";
  out += "Protocol: " + (group.protocol.empty() ? std::string("-") : group.protocol) + "\n";
  out += "Members: " + std::to_string(group.members.size()) + "\n";
  if (!group.members.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const GroupMemberInfo& m : group.members) {
      rows.push_back({m.member_id, m.instance_id.value_or("-"), m.client_id, m.host,
                      FormatAssignment(m.assignment)});
    }
    out += "\n" + FormatTable({"MEMBER", "INSTANCE", "CLIENT", "HOST", "PARTITIONS"}, rows);
  }
  if (!group.partitions.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const GroupPartitionInfo& p : group.partitions) {
      std::optional<int64_t> lag;
      if (p.committed && p.log_end) lag = std::max<int64_t>(0, *p.log_end - *p.committed);
      rows.push_back({p.topic, std::to_string(p.partition), OrDash(p.committed), OrDash(p.log_end),
                      OrDash(lag), p.member_id.empty() ? "-" : p.member_id});
    }
    out += "\n" +
           FormatTable({"TOPIC", "PARTITION", "COMMITTED", "LOG-END", "LAG", "MEMBER"}, rows);
  }
  return out;
}

std::string FormatOffsetResets(const std::vector<OffsetReset>& resets, bool dry_run) {
  std::vector<std::vector<std::string>> rows;
  for (const OffsetReset& r : resets) {
    rows.push_back(
        {r.topic, std::to_string(r.partition), OrDash(r.current), std::to_string(r.target)});
  }
  std::string out = FormatTable({"TOPIC", "PARTITION", "CURRENT", "NEW"}, rows);
  if (dry_run) out += "Dry run: no offsets were changed.\n";
  return out;
}

Result<int64_t> ParseDateTime(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Error(Status::InvalidArgument("bad date and time \"" + std::string(text) + "\": " +
                                         std::string(why) +
                                         " (expected e.g. 2024-05-01T12:30:00Z)"));
  };
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadNumber(text, pos, 4, year) || pos >= text.size() || text[pos++] != '-' ||
      !ReadNumber(text, pos, 2, month) || pos >= text.size() || text[pos++] != '-' ||
      !ReadNumber(text, pos, 2, day)) {
    return bad("the date is not YYYY-MM-DD");
  }
  if (month < 1 || month > 12 || day < 1 || day > 31) return bad("no such date");
  int64_t millis = 0;
  int64_t zone_minutes = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return bad("expected 'T'");
    ++pos;
    if (!ReadNumber(text, pos, 2, hour) || pos >= text.size() || text[pos++] != ':' ||
        !ReadNumber(text, pos, 2, minute)) {
      return bad("the time is not HH:MM[:SS]");
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!ReadNumber(text, pos, 2, second)) return bad("the seconds are not SS");
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        int64_t scale = 100;
        size_t digits = 0;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
          millis += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
          ++digits;
        }
        if (digits == 0) return bad("no digits after the decimal point");
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return bad("no such time");
    if (pos < text.size()) {
      char sign = text[pos++];
      if (sign == 'Z' || sign == 'z') {
        zone_minutes = 0;
      } else if (sign == '+' || sign == '-') {
        int zh = 0, zm = 0;
        if (!ReadNumber(text, pos, 2, zh)) return bad("the zone is not +HH:MM");
        if (pos < text.size() && text[pos] == ':') ++pos;
        if (pos < text.size() && !ReadNumber(text, pos, 2, zm)) return bad("the zone is not +HH:MM");
        zone_minutes = (sign == '-' ? -1 : 1) * (zh * 60 + zm);
      } else {
        return bad("expected Z, +HH:MM or -HH:MM after the time");
      }
    }
  }
  if (pos != text.size()) return bad("unexpected characters at the end");
  const int64_t days = DaysFromCivil(year, month, day);
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - zone_minutes * 60;
  return seconds * 1000 + millis;
}

void AddGroupCommands(CLI::App& root, int& exit_code) {
  CLI::App* group = root.add_subcommand("group", "List and describe consumer groups, reset their offsets");
  group->require_subcommand(1);

  auto list_client = std::make_shared<ClientOptions>();
  CLI::App* list = group->add_subcommand("list", "List consumer groups with their states");
  AddClientFlags(*list, *list_client);
  list->callback([list, list_client, &exit_code] {
    exit_code = ReportStatus(*list, ListGroups(*list_client));
  });

  struct DescribeArgs {
    ClientOptions client;
    std::string group;
  };
  auto describe_args = std::make_shared<DescribeArgs>();
  CLI::App* describe = group->add_subcommand(
      "describe",
      "Show a group's state, protocol and members with their partitions, and per partition the "
      "committed offset, log end offset and lag");
  describe->add_option("GROUP", describe_args->group, "Group id")->required();
  AddClientFlags(*describe, describe_args->client);
  describe->callback([describe, describe_args, &exit_code] {
    exit_code = ReportStatus(*describe,
                             DescribeGroupCommand(describe_args->client, describe_args->group));
  });

  auto reset_args = std::make_shared<ResetArgs>();
  CLI::App* reset = group->add_subcommand(
      "reset-offsets",
      "Set a group's committed offsets on a topic; only while the group is Empty (no consumers)");
  reset->add_option("--group", reset_args->group, "Group id")->required();
  reset->add_option("--topic", reset_args->topic, "Topic whose offsets to reset")->required();
  reset->add_option("--partition", reset_args->partition, "Only this partition (default: all)")
      ->type_name("N")
      ->check(CLI::NonNegativeNumber);
  CLI::Option_group* target =
      reset->add_option_group("target", "Where to move the offsets (exactly one)");
  target->add_flag("--to-earliest", reset_args->to_earliest, "The first offset still stored");
  target->add_flag("--to-latest", reset_args->to_latest,
                   "The end: only records produced from now on are read");
  target->add_option("--to-offset", reset_args->to_offset,
                     "This offset (kept within the earliest and latest)")
      ->type_name("N");
  target->add_option("--to-datetime", reset_args->to_datetime,
                     "The first record at or after this time, e.g. 2024-05-01T12:30:00Z (UTC "
                     "when no zone is given)")
      ->type_name("ISO8601");
  target->require_option(1);
  reset->add_flag("--dry-run", reset_args->dry_run, "Print the new offsets without setting them");
  AddClientFlags(*reset, reset_args->client);
  reset->callback([reset, reset_args, &exit_code] {
    exit_code = ReportStatus(*reset, ResetOffsets(*reset_args));
  });
}

}  // namespace tarn::app
