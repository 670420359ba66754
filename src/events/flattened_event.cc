#include "events/flattened_event.h"

namespace tarn::events {

FlattenedEvent::FlattenedEvent(const nlohmann::json& event) {
  std::string path;
  Visit(event, path, 0);
}

const std::vector<const nlohmann::json*>* FlattenedEvent::Find(std::string_view path) const {
  const auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &it->second->values;
}

void FlattenedEvent::Visit(const nlohmann::json& node, std::string& path, int depth) {
  if (depth > kMaxDepth) return;
  if (node.is_object()) {
    const size_t length = path.size();
    for (const auto& [key, value] : node.items()) {
      if (length != 0) path.push_back('.');
      path.append(key);
      Visit(value, path, depth + 1);
      path.resize(length);
    }
    return;
  }
  if (node.is_array()) {
    for (const auto& element : node) Visit(element, path, depth + 1);
    return;
  }
  if (node.is_binary() || node.is_discarded()) return;
  const auto it = by_path_.find(path);
  if (it != by_path_.end()) {
    it->second->values.push_back(&node);
    return;
  }
  Field& field = fields_.emplace_back(Field{.path = path, .values = {&node}});
  by_path_.emplace(field.path, &field);
}

}  // namespace tarn::events
