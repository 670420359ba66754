// `tarn lake verify|query|replay`: the event lake's files, read where they lie (docs/lake.md).
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "app/command_line.h"
#include "app/commands.h"
#include "base/clock.h"
#include "base/file_util.h"
#include "hub/kafka_hub.h"
#include "lake/catalog.h"
#include "lake/query.h"
#include "net/asio.h"
#include "net/run_to_completion.h"

namespace tarn::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

struct LakeArgs {
  std::string dir = "./tarn-data/lake";
  lake::QueryArgs query;
  // replay
  std::string name, destination, brokers = "127.0.0.1:9092";
  double rate = 0;
  int batch = 500;
};

// Redraws one line on stderr: "[#####.....]  42% 12/30 files  1,234 events".
class ProgressBar {
 public:
  explicit ProgressBar(std::string what) : what_(std::move(what)), shown_(::isatty(STDERR_FILENO) == 1) {}
  ~ProgressBar() {
    if (drawn_) std::fputs("\n", stderr);
  }
  void Show(const lake::QueryProgress& p, int64_t sent) {
    if (!shown_) return;
    const double share = p.bytes_total > 0 ? static_cast<double>(p.bytes_done) / p.bytes_total : 1.0;
    const int filled = static_cast<int>(share * 30);
    std::fprintf(stderr, "\r[%s%s] %3d%% %lld/%lld files  %lld %s", std::string(filled, '#').c_str(),
                 std::string(30 - filled, '.').c_str(), static_cast<int>(share * 100),
                 static_cast<long long>(p.files_done), static_cast<long long>(p.files_total),
                 static_cast<long long>(sent), what_.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }

 private:
  std::string what_;
  bool shown_;
  bool drawn_ = false;
};

Status Verify(const LakeArgs& args) {
  TARN_ASSIGN_OR_RETURN(lake::Catalog catalog,
                        lake::Catalog::Load(args.dir, /*recover=*/false, SystemClock().NowMs()));
  lake::VerifyReport report = lake::Verify(catalog);
  for (const auto& [partition, range] : report.ranges) {
    std::printf("%s/%d: offsets %lld to %lld\n", partition.first.c_str(), partition.second,
                static_cast<long long>(range.first), static_cast<long long>(range.second - 1));
  }
  std::printf("%lld files, %lld events, %lld bytes\n", static_cast<long long>(report.files),
              static_cast<long long>(report.events), static_cast<long long>(report.bytes));
  if (report.problems.empty()) {
    std::printf("ok\n");
    return Status::Ok();
  }
  for (const std::string& problem : report.problems) std::fprintf(stderr, "%s\n", problem.c_str());
  return Status::Corruption(fmt::format("{} problem(s) in {}", report.problems.size(), args.dir));
}

Status RunQueryCommand(const LakeArgs& args) {
  TARN_ASSIGN_OR_RETURN(lake::Query query, lake::BuildQuery(args.query));
  TARN_ASSIGN_OR_RETURN(lake::Catalog catalog,
                        lake::Catalog::Load(args.dir, /*recover=*/false, SystemClock().NowMs()));
  ProgressBar bar("events");
  int64_t matched = 0;
  std::string out;
  Status ran = lake::RunQuery(
      catalog, query,
      [&](const lake::LakeLine& line) {
        out.append(line.text);
        out.push_back('\n');
        ++matched;
        if (out.size() >= (1 << 16)) {
          std::fwrite(out.data(), 1, out.size(), stdout);
          out.clear();
        }
        return true;
      },
      [&](const lake::QueryProgress& progress) { bar.Show(progress, matched); });
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return ran;
}

// Where a replay notes how far it got: per source "topic/partition", the last offset sent.
fs::path ReplayStatePath(const LakeArgs& args) {
  return fs::path(args.dir) / "_replays" / (args.name + ".json");
}

Status Replay(const LakeArgs& args) {
  if (args.name.empty() || args.name.find_first_of("/\\") != std::string::npos) {
    return Status::InvalidArgument("--name must be a name (no '/')");
  }
  TARN_TRY(hub::ValidateTopicName(args.destination).WithContext("--topic"));
  TARN_ASSIGN_OR_RETURN(lake::Query query, lake::BuildQuery(args.query));
  TARN_ASSIGN_OR_RETURN(lake::Catalog catalog,
                        lake::Catalog::Load(args.dir, /*recover=*/false, SystemClock().NowMs()));

  // Resume: what an earlier run of this replay sent is skipped.
  const fs::path state_path = ReplayStatePath(args);
  ordered_json state = {{"name", args.name}, {"topic", args.destination}, {"sent", ordered_json::object()}};
  if (Result<std::string> saved = ReadFileToString(state_path); saved) {
    ordered_json loaded = ordered_json::parse(*saved, nullptr, false);
    if (!loaded.is_object() || loaded.value("topic", "") != args.destination) {
      return Status::FailedPrecondition(fmt::format(
          "{} belongs to a replay to another topic; choose another --name", state_path.string()));
    }
    state = std::move(loaded);
  } else if (saved.error().code() != StatusCode::kNotFound) {
    return saved.error();
  }
  std::error_code ec;
  fs::create_directories(state_path.parent_path(), ec);

  IoContext io;
  hub::KafkaHubOptions options;
  options.brokers = args.brokers;
  options.client_id = "tarn-lake-replay";
  TARN_ASSIGN_OR_RETURN(std::unique_ptr<hub::KafkaHub> hub, hub::KafkaHub::Create(io, options));
  Result<int32_t> partitions = net::RunToCompletion(io, hub->EnsureTopic(args.destination, {}));
  if (!partitions) return partitions.error();

  std::vector<hub::OutgoingRecord> batch;
  std::map<std::string, int64_t> batch_last;  // "topic/partition" -> last offset in the batch
  int64_t sent = 0, skipped = 0;
  const auto started = std::chrono::steady_clock::now();
  Status failed;
  auto flush = [&]() -> bool {
    if (batch.empty()) return true;
    Result<std::vector<hub::RecordPosition>> appended =
        net::RunToCompletion(io, hub->Append(args.destination, std::move(batch)));
    batch.clear();
    if (!appended) {
      failed = appended.error();
      return false;
    }
    for (const auto& [source, offset] : batch_last) state["sent"][source] = offset;
    batch_last.clear();
    Status saved = WriteFileAtomically(state_path, state.dump() + "\n");
    if (!saved.ok()) {
      failed = saved;
      return false;
    }
    return true;
  };
  ProgressBar bar("events replayed");
  Status ran = lake::RunQuery(
      catalog, query,
      [&](const lake::LakeLine& line) {
        const std::string source = fmt::format("{}/{}", line.file->topic, line.file->partition);
        if (state["sent"].contains(source) && line.offset <= state["sent"][source].get<int64_t>()) {
          return true;
        }
        ordered_json record = ordered_json::parse(line.text, nullptr, false);
        if (!record.is_object() || !record.contains("event") || !record["event"].is_object()) {
          ++skipped;  // not an event: a raw value or a tombstone
          return true;
        }
        ordered_json& event = record["event"];
        if (!event.contains("tags") || !event["tags"].is_object()) event["tags"] = ordered_json::object();
        event["tags"]["replay"] = args.name;
        hub::OutgoingRecord out;
        if (record.contains("key") && record["key"].is_string()) out.key = record["key"].get<std::string>();
        out.value = event.dump();
        if (record.contains("headers") && record["headers"].is_object()) {
          for (const auto& [name, value] : record["headers"].items()) {
            if (value.is_string()) out.headers.push_back({name, value.get<std::string>()});
          }
        }
        out.headers.push_back({"tarn_replay", args.name});
        batch.push_back(std::move(out));
        batch_last[source] = line.offset;
        ++sent;
        if (args.rate > 0) {  // at most `rate` events per second since the start
          const auto due = started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                         std::chrono::duration<double>(sent / args.rate));
          if (batch.size() >= static_cast<size_t>(std::max(1.0, std::min<double>(args.batch, args.rate / 10)))) {
            if (!flush()) return false;
            std::this_thread::sleep_until(due);
          }
        } else if (batch.size() >= static_cast<size_t>(args.batch)) {
          if (!flush()) return false;
        }
        return true;
      },
      [&](const lake::QueryProgress& progress) { bar.Show(progress, sent); });
  if (failed.ok()) flush();
  TARN_TRY(ran);
  TARN_TRY(failed);
  std::fprintf(stderr, "replay %s: %lld events sent to %s (%lld lines that are not events skipped)\n",
               args.name.c_str(), static_cast<long long>(sent), args.destination.c_str(),
               static_cast<long long>(skipped));
  return Status::Ok();
}

void AddQueryFlags(CLI::App& cmd, LakeArgs& args) {
  cmd.add_option("--dir", args.dir, "The lake's root (default ./tarn-data/lake)");
  cmd.add_option("--from", args.query.from, "Events at or after this time (epoch ms or ISO 8601, UTC)");
  cmd.add_option("--to", args.query.to, "Events before this time");
  cmd.add_option("--type", args.query.types, "Event type; a trailing * matches a prefix (repeatable)");
  cmd.add_option("--topic", args.query.topics, "Only this topic (repeatable)");
  cmd.add_option("--key", args.query.key, "Only records with this key (the partition key)");
  cmd.add_option("--where", args.query.where, "An event pattern (EventBridge syntax) the event must match");
  cmd.add_option("--limit", args.query.limit, "At most this many events")->check(CLI::PositiveNumber);
}

}  // namespace

void AddLakeCommands(CLI::App& root, int& exit_code) {
  auto args = std::make_shared<LakeArgs>();
  auto* lake = root.add_subcommand("lake", "The event lake: every fact, in files (docs/lake.md)");
  lake->require_subcommand(1);
  auto add = [&](const char* name, const char* help, Status (*run)(const LakeArgs&)) {
    auto* cmd = lake->add_subcommand(name, help);
    cmd->callback([cmd, args, run, &exit_code] { exit_code = ReportStatus(*cmd, run(*args)); });
    return cmd;
  };
  auto* verify = add("verify", "Check every file against its manifest; report gaps in offsets", Verify);
  verify->add_option("--dir", args->dir, "The lake's root (default ./tarn-data/lake)");
  auto* query = add("query", "Matching events as NDJSON, in order", RunQueryCommand);
  AddQueryFlags(*query, *args);
  auto* replay = add("replay", "Send matching events to a topic, in order per key, resumably", Replay);
  AddQueryFlags(*replay, *args);
  replay->add_option("--name", args->name, "The replay's name: marks each event (tags.replay), keys resumption")
      ->required();
  replay->add_option("--to-topic", args->destination, "The topic to send the events to")->required();
  replay->add_option("--brokers", args->brokers, "The hub's Kafka address (default 127.0.0.1:9092)");
  replay->add_option("--rate", args->rate, "At most this many events per second (default: no limit)")
      ->check(CLI::PositiveNumber);
}

}  // namespace tarn::app
