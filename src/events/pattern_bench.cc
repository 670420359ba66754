// Matcher cost per event: one pattern alone, and a PatternIndex of 1, 100 and 10,000 rules that
// mix exact, prefix and numeric tests the way routing rules do (a source or type plus a detail).
#include <benchmark/benchmark.h>

#include <string>

#include "events/pattern.h"
#include "events/pattern_index.h"

namespace tarn::events {
namespace {

nlohmann::json SampleEvent() {
  return nlohmann::json::parse(R"({
    "id": "0f3c9c3e-4b0e-4c6b-9a57-3f7c2a1d0e11", "type": "order-placed", "timestamp": 1718000000000,
    "partitionKey": "order-42",
    "tags": {"source": "service-17", "region": "eu-west-1", "subsystem": "sales"},
    "order": {"id": "order-42", "status": "placed", "total": 117.5, "items": 3,
              "customer": {"id": "customer-9", "tier": "gold"}, "skus": ["sku-1", "sku-7"]}})");
}

// Rule i: an exact type or source, and one of an exact status, a customer-id prefix or a
// numeric range on the total. About one rule in a hundred matches the sample event.
nlohmann::json MixedRule(int i) {
  nlohmann::json rule;
  if (i % 2 == 0) {
    rule["type"] = {i % 100 == 0 ? "order-placed" : "type-" + std::to_string(i)};
  } else {
    rule["tags"]["source"] = {"service-" + std::to_string(i % 1000)};
  }
  switch (i % 3) {
    case 0:
      rule["order"]["status"] = {"placed", "status-" + std::to_string(i)};
      break;
    case 1:
      rule["order"]["customer"]["id"] = {{{"prefix", "customer-" + std::to_string(i % 50)}}};
      break;
    default:
      rule["order"]["total"] = {{{"numeric", {">", i % 200, "<=", i % 200 + 50}}}};
      break;
  }
  return rule;
}

void BM_SinglePatternMatch(benchmark::State& state) {
  const auto pattern =
      Pattern::Parse(R"({"type": ["order-placed"], "tags": {"region": [{"prefix": "eu-"}]},
                                          "order": {"total": [{"numeric": [">", 100]}]}})");
  const nlohmann::json event = SampleEvent();
  for (auto _ : state) benchmark::DoNotOptimize(pattern->Matches(event));
}
BENCHMARK(BM_SinglePatternMatch);

// The same, with the event flattened once outside the loop (what an index does per event).
void BM_SinglePatternMatchFlattened(benchmark::State& state) {
  const auto pattern =
      Pattern::Parse(R"({"type": ["order-placed"], "tags": {"region": [{"prefix": "eu-"}]},
                                          "order": {"total": [{"numeric": [">", 100]}]}})");
  const nlohmann::json event = SampleEvent();
  const FlattenedEvent flat(event);
  for (auto _ : state) benchmark::DoNotOptimize(pattern->Matches(flat));
}
BENCHMARK(BM_SinglePatternMatchFlattened);

void BM_Flatten(benchmark::State& state) {
  const nlohmann::json event = SampleEvent();
  for (auto _ : state) benchmark::DoNotOptimize(FlattenedEvent(event).fields().size());
}
BENCHMARK(BM_Flatten);

// Flattening included: the cost a router pays per event.
void BM_IndexMatch(benchmark::State& state) {
  PatternIndex index;
  for (int i = 0; i < state.range(0); ++i) {
    if (!index.Add("rule-" + std::to_string(i), *Pattern::FromJson(MixedRule(i))).ok())
      std::abort();
  }
  const nlohmann::json event = SampleEvent();
  size_t matched = 0;
  for (auto _ : state) matched = index.Match(event).size();
  state.counters["rules_matched"] = static_cast<double>(matched);
}
BENCHMARK(BM_IndexMatch)->Arg(1)->Arg(100)->Arg(10000);

// The baseline the index replaces: every pattern tested in turn on the flattened event.
void BM_EachPatternInTurn(benchmark::State& state) {
  std::vector<Pattern> patterns;
  for (int i = 0; i < state.range(0); ++i) patterns.push_back(*Pattern::FromJson(MixedRule(i)));
  const nlohmann::json event = SampleEvent();
  for (auto _ : state) {
    const FlattenedEvent flat(event);
    size_t matched = 0;
    for (const Pattern& pattern : patterns) matched += pattern.Matches(flat);
    benchmark::DoNotOptimize(matched);
  }
}
BENCHMARK(BM_EachPatternInTurn)->Arg(1)->Arg(100)->Arg(10000);

}  // namespace
}  // namespace tarn::events
