#include "router/router.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <random>

#include "base/metrics.h"
#include "events/flattened_event.h"
#include "events/pattern_index.h"
#include "net/asio.h"

namespace tarn::router {
namespace {

using nlohmann::json;

// The fault event for an event a destination refused (DESIGN.md's envelope, type `fault`).
hub::OutgoingRecord FaultRecord(const RoutedEvent& routed, const DeliveryFailure& failure,
                                const std::string& bus, const Target& target, int64_t now_ms) {
  const std::string destination = target.Destination();
  json target_json = TargetToJson(target);
  target_json["destination"] = destination;
  json headers = json::array();
  for (const hub::RecordHeader& header : routed.record->headers) {
    headers.push_back({header.name, header.value});
  }
  const hub::StoredRecord& record = *routed.record;
  const std::string key = record.key.value_or(std::to_string(record.partition));
  json fault = {
      {"id", fmt::format("fault:{}:{}:{}:{}", destination, bus, record.partition, record.offset)},
      {"type", "fault"},
      {"timestamp", now_ms},
      {"partitionKey", key},
      {"tags", {{"source", "tarn-router"}}},
      {"err", {{"name", failure.name}, {"message", failure.message}}},
      {"event", *routed.event},
      {"rule", routed.rule},
      {"target", std::move(target_json)},
      {"position", {{"topic", bus}, {"partition", record.partition}, {"offset", record.offset}}},
      {"headers", std::move(headers)}};
  hub::OutgoingRecord out;
  out.key = key;
  out.value = fault.dump(-1, ' ', false, json::error_handler_t::replace);
  out.headers = {{"ce_type", "fault"}, {"ce_source", "tarn-router"}};
  return out;
}

}  // namespace

// Bus records parsed once for every lane: lanes that read the same stretch of the bus (the
// usual case: they keep up) share each record's JSON and its flattened form. Oldest out first.
class Router::ParsedCache {
 public:
  struct Parsed {
    nlohmann::json event;  // discarded when the value is not a JSON object
    std::optional<events::FlattenedEvent> flat;
  };

  explicit ParsedCache(size_t capacity) : capacity_(capacity) {}

  // The record's parsed form; null when its value is not a JSON object (not an event).
  std::shared_ptr<const Parsed> Get(const hub::StoredRecord& record) {
    const Key key{record.partition, record.offset};
    if (auto it = entries_.find(key); it != entries_.end() && it->second.value == record.value) {
      return it->second.parsed;
    }
    std::shared_ptr<Parsed> parsed;
    if (record.value && !record.value->empty() && record.value->front() == '{') {
      parsed = std::make_shared<Parsed>();
      parsed->event = json::parse(*record.value, nullptr, false);
      if (parsed->event.is_object()) {
        parsed->flat.emplace(parsed->event);
      } else {
        parsed.reset();
      }
    }
    if (entries_.size() >= capacity_) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    if (entries_.insert_or_assign(key, Entry{record.value, parsed}).second) order_.push_back(key);
    return parsed;
  }

 private:
  using Key = std::pair<int32_t, int64_t>;
  struct Entry {
    std::optional<std::string> value;  // to tell a reused offset (the bus recreated) apart
    std::shared_ptr<const Parsed> parsed;
  };
  const size_t capacity_;
  std::map<Key, Entry> entries_;
  std::deque<Key> order_;
};

struct Router::Metrics {
  explicit Metrics(MetricsRegistry& registry)
      : matched(registry.AddCounterFamily("tarn_router_matched_total",
                                          "Bus events a rule's pattern matched.", {"rule"})),
        delivered(registry.AddCounterFamily("tarn_router_delivered_total",
                                            "Events a destination acknowledged.", {"target"})),
        retried(registry.AddCounterFamily(
            "tarn_router_retries_total",
            "Deliveries tried again after a failure that was not the event's.", {"target"})),
        faulted(registry.AddCounterFamily("tarn_router_faults_total",
                                          "Events a destination refused, written as faults.",
                                          {"target"})),
        lag(registry.AddGaugeFamily("tarn_router_lag",
                                    "Bus records a destination's lane has yet to read.",
                                    {"target"})) {}
  CounterFamily& matched;
  CounterFamily& delivered;
  CounterFamily& retried;
  CounterFamily& faulted;
  GaugeFamily& lag;
};

// One destination's lane: reads the bus from its own position, matches, delivers, commits.
class Router::Lane : public std::enable_shared_from_this<Lane> {
 public:
  Lane(Router& router, std::string destination, std::unique_ptr<Delivery> delivery)
      : router_(router),
        destination_(std::move(destination)),
        delivery_(std::move(delivery)),
        delivered_(router.metrics_->delivered.With({destination_})),
        retried_(router.metrics_->retried.With({destination_})),
        faulted_(router.metrics_->faulted.With({destination_})),
        lag_(router.metrics_->lag.With({destination_})) {}

  // The rules that feed this lane: name -> (pattern, the rule's target for this destination).
  void SetRules(const std::map<std::string, std::pair<events::Pattern, Target>>& rules) {
    events::PatternIndex index;
    targets_.clear();
    matched_.clear();
    for (const auto& [name, entry] : rules) {
      (void)index.Add(name, entry.first);
      targets_.insert_or_assign(name, entry.second);
      matched_[name] = router_.metrics_->matched.With({name});
    }
    index_ = std::move(index);
  }

  void Start() {
    asio::co_spawn(router_.io_, [self = shared_from_this()] { return self->Run(); },
                   [destination = destination_](std::exception_ptr error) {
                     if (!error) return;
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       spdlog::error("router: lane {} failed: {}", destination, e.what());
                     }
                   });
  }

  void Stop() {
    stopped_ = true;
    delivery_->Cancel();
  }

  LaneStatus Status() const {
    LaneStatus status{.destination = destination_, .rules = {}, .positions = positions_,
                      .lag = lag_value_, .delivered = delivered_count_, .faulted = faulted_count_,
                      .last_error = last_error_};
    for (const auto& [name, target] : targets_) status.rules.push_back(name);
    return status;
  }

 private:
  std::string Group() const { return router_.options_.group_prefix + destination_; }

  Awaitable<void> Pause(std::chrono::milliseconds how_long) {
    asio::steady_timer timer(router_.io_, how_long);
    co_await timer.async_wait(asio::use_awaitable);
  }

  // Where the lane starts: the group's committed positions, else the end of the bus (a new
  // destination routes what is published from now on), committed at once so that a restart
  // resumes there.
  Awaitable<tarn::Status> LoadPositions() {
    const std::string& bus = router_.options_.bus_topic;
    Result<std::map<int32_t, hub::PartitionBounds>> bounds = co_await router_.hub_.Bounds(bus);
    if (!bounds) co_return bounds.error();
    Result<std::map<int32_t, int64_t>> committed = co_await router_.hub_.CommittedOffsets(Group(), bus);
    if (!committed) co_return committed.error();
    std::map<int32_t, int64_t> fresh;
    for (const auto& [partition, range] : *bounds) {
      auto it = committed->find(partition);
      if (it != committed->end()) {
        positions_[partition] = std::clamp(it->second, range.log_start, range.high_watermark);
      } else {
        positions_[partition] = range.high_watermark;
        fresh[partition] = range.high_watermark;
      }
    }
    if (!fresh.empty()) co_return co_await router_.hub_.CommitOffsets(Group(), bus, std::move(fresh));
    co_return tarn::Status::Ok();
  }

  void Fail(const tarn::Status& status) {
    if (last_error_ != status.message()) {
      spdlog::warn("router: lane {}: {}", destination_, status.ToString());
    }
    last_error_ = status.message();
  }

  Awaitable<void> Run() {
    const RouterOptions& options = router_.options_;
    while (!stopped_) {
      tarn::Status loaded = co_await LoadPositions();
      if (loaded.ok()) break;
      Fail(loaded);
      co_await Pause(options.retry_pause);
    }
    while (!stopped_) {
      Result<std::vector<hub::StoredRecord>> records =
          co_await router_.hub_.Read(options.bus_topic, positions_, options.read_batch, options.poll_wait);
      if (stopped_) break;
      if (!records) {
        Fail(records.error());
        if (records.error().code() == StatusCode::kOutOfRange) (void)co_await LoadPositions();
        co_await Pause(options.retry_pause);
        continue;
      }
      co_await UpdateLag();
      if (records->empty()) continue;
      tarn::Status routed = co_await Route(*records);
      if (!routed.ok()) {
        Fail(routed);
        retried_->Increment();
        co_await Pause(options.retry_pause);
        continue;  // the same records again: positions_ did not move
      }
      last_error_.clear();
    }
  }

  Awaitable<void> UpdateLag() {
    Result<std::map<int32_t, hub::PartitionBounds>> bounds =
        co_await router_.hub_.Bounds(router_.options_.bus_topic);
    if (!bounds) co_return;
    int64_t lag = 0;
    for (const auto& [partition, range] : *bounds) {
      auto it = positions_.find(partition);
      lag += range.high_watermark - (it == positions_.end() ? range.log_start : it->second);
    }
    lag_value_ = lag;
    lag_->Set(static_cast<double>(lag));
  }

  // Matches, delivers, writes faults and commits one read's records; an error leaves the
  // positions where they were.
  Awaitable<tarn::Status> Route(const std::vector<hub::StoredRecord>& records) {
    // The matched events, kept alive while their RoutedEvents point into them.
    std::vector<std::shared_ptr<const ParsedCache::Parsed>> matched;
    std::vector<RoutedEvent> routed;
    for (const hub::StoredRecord& record : records) {
      std::shared_ptr<const ParsedCache::Parsed> parsed = router_.parsed_->Get(record);
      if (!parsed) continue;
      std::vector<std::string> rules = index_.Match(*parsed->flat);
      if (rules.empty()) continue;
      for (const std::string& rule : rules) matched_[rule]->Increment();
      routed.push_back(RoutedEvent{&record, &parsed->event, rules.front()});
      matched.push_back(std::move(parsed));
    }
    if (!routed.empty()) {
      Result<DeliveryReport> report = co_await delivery_->Deliver(routed);
      if (!report) co_return report.error();
      retried_->Increment(report->retries);
      if (!report->failures.empty()) {
        tarn::Status written = co_await WriteFaults(routed, report->failures);
        if (!written.ok()) co_return written;
      }
      const uint64_t delivered = routed.size() - report->failures.size();
      delivered_->Increment(delivered);
      delivered_count_ += delivered;
    }
    std::map<int32_t, int64_t> next = positions_;
    for (const hub::StoredRecord& record : records) next[record.partition] = record.offset + 1;
    tarn::Status committed =
        co_await router_.hub_.CommitOffsets(Group(), router_.options_.bus_topic, next);
    // The destination has the events: move on even if the commit failed (a restart may then
    // deliver them again, which at-least-once allows).
    if (!committed.ok()) Fail(committed);
    positions_ = std::move(next);
    co_return tarn::Status::Ok();
  }

  Awaitable<tarn::Status> WriteFaults(const std::vector<RoutedEvent>& routed,
                                      const std::vector<DeliveryFailure>& failures) {
    std::vector<hub::OutgoingRecord> faults;
    for (const DeliveryFailure& failure : failures) {
      const RoutedEvent& event = routed.at(failure.index);
      faults.push_back(FaultRecord(event, failure, router_.options_.bus_topic,
                                   targets_.at(event.rule), router_.clock_.NowMs()));
    }
    const std::string& topic = router_.options_.faults_topic;
    Result<int32_t> ready = co_await router_.hub_.EnsureTopic(topic, hub::TopicSpec());
    if (!ready) co_return ready.error().WithContext("faults topic");
    Result<std::vector<hub::RecordPosition>> written =
        co_await router_.hub_.Append(topic, std::move(faults));
    if (!written) co_return written.error().WithContext("writing faults");
    faulted_->Increment(failures.size());
    faulted_count_ += failures.size();
    co_return tarn::Status::Ok();
  }

  Router& router_;
  const std::string destination_;
  std::unique_ptr<Delivery> delivery_;
  events::PatternIndex index_;
  std::map<std::string, Target> targets_;  // rule -> its target for this destination
  std::map<std::string, std::shared_ptr<Counter>> matched_;
  std::shared_ptr<Counter> delivered_, retried_, faulted_;
  std::shared_ptr<Gauge> lag_;
  std::map<int32_t, int64_t> positions_;
  int64_t lag_value_ = 0;
  uint64_t delivered_count_ = 0;
  uint64_t faulted_count_ = 0;
  std::string last_error_;
  bool stopped_ = false;
};

Router::Router(IoContext& io, hub::Hub& hub, DeliveryFactory deliveries, const Clock& clock,
               MetricsRegistry& metrics, RouterOptions options)
    : io_(io),
      hub_(hub),
      deliveries_(std::move(deliveries)),
      clock_(clock),
      options_(std::move(options)),
      metrics_(std::make_unique<Metrics>(metrics)),
      parsed_(std::make_unique<ParsedCache>(options_.read_batch * 64)) {}

Router::~Router() { Stop(); }

void Router::SetRules(const std::map<std::string, Rule>& rules) {
  using LaneRules = std::map<std::string, std::pair<events::Pattern, Target>>;
  std::map<std::string, LaneRules> by_destination;
  std::map<std::string, const Target*> targets;
  patterns_.clear();
  for (const auto& [name, rule] : rules) {
    if (!rule.enabled) continue;
    patterns_.emplace(name, rule.pattern);
    for (const Target& target : rule.targets) {
      std::string destination = target.Destination();
      by_destination[destination].emplace(name, std::make_pair(rule.pattern, target));
      targets.emplace(destination, &target);
    }
  }
  for (auto it = lanes_.begin(); it != lanes_.end();) {
    if (by_destination.contains(it->first)) {
      ++it;
      continue;
    }
    it->second->Stop();
    it = lanes_.erase(it);
  }
  for (auto& [destination, lane_rules] : by_destination) {
    auto [it, created] = lanes_.try_emplace(destination);
    if (created) {
      std::unique_ptr<Delivery> delivery = deliveries_(*targets.at(destination));
      if (!delivery) {
        spdlog::error("router: no delivery for {}; its rules route nothing", destination);
        lanes_.erase(it);
        continue;
      }
      it->second = std::make_shared<Lane>(*this, destination, std::move(delivery));
    }
    it->second->SetRules(lane_rules);
    if (created) it->second->Start();
  }
}

std::vector<std::string> Router::Test(const nlohmann::json& event) const {
  std::vector<std::string> matched;
  events::FlattenedEvent flat(event);
  for (const auto& [name, pattern] : patterns_) {
    if (pattern.Matches(flat)) matched.push_back(name);
  }
  return matched;
}

std::vector<LaneStatus> Router::Lanes() const {
  std::vector<LaneStatus> lanes;
  for (const auto& [destination, lane] : lanes_) lanes.push_back(lane->Status());
  return lanes;
}

void Router::Stop() {
  for (auto& [destination, lane] : lanes_) lane->Stop();
  lanes_.clear();
}

}  // namespace tarn::router
