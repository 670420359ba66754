// An event seen as its leaf fields: each path ("detail.state") with the leaf values found there.
// Arrays are crushed out: every element contributes its leaves to the same path, so an array of
// strings gives one path with several values, and an array of objects gives each object's fields.
// Empty arrays and empty objects contribute nothing. Path segments are joined with '.', so the
// key "a.b" and the nested key a -> b name the same path, as in EventBridge.
#pragma once

#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tarn::events {

class FlattenedEvent {
 public:
  struct Field {
    std::string path;
    std::vector<const nlohmann::json*> values;  // leaves, in document order
  };

  // Content nested deeper than this (objects and arrays together) is not visited: no pattern
  // can name a path that deep, and a hostile event cannot exhaust the stack.
  static constexpr int kMaxDepth = 128;

  // Points into `event`, which must outlive this object. Cost is linear in the event's size.
  explicit FlattenedEvent(const nlohmann::json& event);

  // The leaves at `path`, or null when the event has none there.
  const std::vector<const nlohmann::json*>* Find(std::string_view path) const;
  const std::deque<Field>& fields() const { return fields_; }

 private:
  void Visit(const nlohmann::json& node, std::string& path, int depth);

  std::deque<Field> fields_;  // a deque, so the paths by_path_ views never move
  std::unordered_map<std::string_view, Field*> by_path_;
};

}  // namespace tarn::events
