#include "events/flattened_event.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tarn::events {
namespace {

std::vector<std::string> Dump(const FlattenedEvent& event, std::string_view path) {
  std::vector<std::string> values;
  const auto* leaves = event.Find(path);
  if (leaves == nullptr) return values;
  for (const nlohmann::json* leaf : *leaves) values.push_back(leaf->dump());
  return values;
}

TEST(FlattenedEventTest, JoinsNestedKeysWithDots) {
  const auto json = nlohmann::json::parse(R"({"a": {"b": {"c": 1}}, "d": "x"})");
  const FlattenedEvent event(json);
  EXPECT_EQ(Dump(event, "a.b.c"), std::vector<std::string>{"1"});
  EXPECT_EQ(Dump(event, "d"), std::vector<std::string>{"\"x\""});
  EXPECT_EQ(event.Find("a"), nullptr);  // an object is not a leaf
  EXPECT_EQ(event.Find("a.b"), nullptr);
  EXPECT_EQ(event.fields().size(), 2u);
}

TEST(FlattenedEventTest, CrushesArraysIntoTheirParentPath) {
  const auto json = nlohmann::json::parse(
      R"({"r": ["a", "b"], "e": [{"n": 1}, {"n": 2, "m": 3}], "deep": [[1, [2]], 3], "none": [], "obj": {}})");
  const FlattenedEvent event(json);
  EXPECT_EQ(Dump(event, "r"), (std::vector<std::string>{"\"a\"", "\"b\""}));
  EXPECT_EQ(Dump(event, "e.n"), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(Dump(event, "e.m"), std::vector<std::string>{"3"});
  EXPECT_EQ(Dump(event, "deep"), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(event.Find("none"), nullptr);
  EXPECT_EQ(event.Find("obj"), nullptr);
}

TEST(FlattenedEventTest, KeepsNullAndEmptyStringAsLeaves) {
  const auto json = nlohmann::json::parse(R"({"a": null, "b": ""})");
  const FlattenedEvent event(json);
  EXPECT_EQ(Dump(event, "a"), std::vector<std::string>{"null"});
  EXPECT_EQ(Dump(event, "b"), std::vector<std::string>{"\"\""});
}

TEST(FlattenedEventTest, DottedKeysMergeWithNestedOnes) {
  const auto json = nlohmann::json::parse(R"({"a": {"b": 1}, "a.b": 2})");
  const FlattenedEvent event(json);
  EXPECT_EQ(Dump(event, "a.b").size(), 2u);
}

nlohmann::json Wrap(nlohmann::json inner) {
  nlohmann::json array = nlohmann::json::array();
  array.push_back(std::move(inner));
  return array;
}

TEST(FlattenedEventTest, StopsAtTheDepthLimitWithoutFailing) {
  nlohmann::json json = 7;
  for (int i = 0; i < 10000; ++i) json = Wrap(std::move(json));
  const FlattenedEvent deep(json);
  EXPECT_TRUE(deep.fields().empty());

  nlohmann::json shallow = 7;
  for (int i = 0; i < FlattenedEvent::kMaxDepth; ++i) shallow = Wrap(std::move(shallow));
  EXPECT_EQ(FlattenedEvent(shallow).fields().size(), 1u);
}

TEST(FlattenedEventTest, ScalarEventHasOneEmptyPath) {
  const nlohmann::json json = "x";
  const FlattenedEvent event(json);
  EXPECT_EQ(Dump(event, ""), std::vector<std::string>{"\"x\""});
}

}  // namespace
}  // namespace tarn::events
